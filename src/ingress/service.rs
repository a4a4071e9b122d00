//! The hot path of one webhook, after the HTTP layer: verify, parse, plan, dispatch, commit.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::observer::CommitObserver;
use super::plan::{plan, Plan};
use super::verify::{Verification, VerifyError};
use crate::company::facts::{EventFacts, Target};
use crate::company::index::NumberIndex;
use crate::company::registry::{Registry, RegistryError};
use crate::config::IngestMode;
use crate::domain::{CompanyId, PhoneNumber};
use crate::ledger::{DeadLetter, Ledger, LedgerEntry};
use crate::metrics::{COMMIT_TIMEOUTS, COMPANY_HINT_MISMATCHES, DEAD_LETTERS, SIGNATURE_FAILURES};
use crate::provisioning::{on_number_order_complete, JobRunner};
use crate::routing::OptOutAction;
use crate::store::changes::{Change, DynChanges};
use crate::store::DynStore;
use crate::telnyx::events::{parse_envelope, Envelope, EventPayload};
use crate::telnyx::signature::SignedHeaders;

pub struct Ingress {
    pub verification: Verification,
    pub tolerance_secs: i64,
    pub mode: IngestMode,
    pub index: Arc<NumberIndex>,
    pub registry: Registry,
    pub ledger: Ledger,
    /// How long a webhook waits for its commit before answering 503.
    pub deadline: Duration,
    pub store: DynStore,
    pub changes: DynChanges,
    /// Provisioning jobs waiting for number orders (number_order.complete).
    pub jobs: JobRunner,
    /// Told how each webhook's commit went (the replay's outage tracker).
    pub observer: Arc<dyn CommitObserver>,
}

/// Why a dispatch did not complete.
enum Dispatch {
    /// A company's actor did not hold a number the owner index gave it.
    Stale(CompanyId),
    /// Answered as is (503).
    Refused(Outcome),
}

/// How a webhook is answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 200; the label says what happened (counted, acknowledged, dead_letter).
    Accepted { event_type: &'static str, outcome: &'static str },
    /// 4xx with a reason; nothing stored.
    Rejected { status: u16, reason: String, label: &'static str },
    /// 503 with a reason; nothing acknowledged, Telnyx retries. `event_type` is the parsed
    /// event's type, or "unknown" when the refusal came before the body was parsed.
    Unavailable { reason: String, label: &'static str, event_type: &'static str },
}

impl Outcome {
    /// A 503 for an event whose type is not known (yet): see [`Outcome::of_type`].
    pub fn unavailable(reason: impl Into<String>, label: &'static str) -> Self {
        Outcome::Unavailable { reason: reason.into(), label, event_type: "unknown" }
    }

    /// Labels a 503 with the event's type, so refusals can be told apart by type in /metrics.
    fn of_type(self, event_type: &'static str) -> Self {
        match self {
            Outcome::Unavailable { reason, label, .. } => Outcome::Unavailable { reason, label, event_type },
            other => other,
        }
    }
}

impl Ingress {
    /// A webhook as Telnyx POSTs it: verify its signature, then [`Ingress::ingest_verified`].
    pub async fn handle(&self, headers: SignedHeaders<'_>, body: Bytes, hint: Option<CompanyId>) -> Outcome {
        match self.verification.check(headers, &body, self.tolerance_secs).await {
            Ok(()) => {}
            Err(VerifyError::NoKey) => {
                return Outcome::unavailable(
                    "telnyx.public_key is not configured; webhooks cannot be verified yet",
                    "no_key",
                )
            }
            Err(VerifyError::Signature(e)) => {
                metrics::counter!(SIGNATURE_FAILURES, "reason" => e.metric_label()).increment(1);
                if matches!(e, crate::telnyx::signature::SignatureError::Overloaded) {
                    return Outcome::unavailable(e.reason(), "overloaded");
                }
                return Outcome::Rejected { status: 401, reason: e.reason().into(), label: "bad_signature" };
            }
        }
        let outcome = self.ingest_verified(body, hint).await;
        self.observer.observe(&outcome);
        outcome
    }

    /// Everything after the signature check: parse, plan, dispatch, commit. Only for bodies whose
    /// origin was established otherwise: [`Ingress::handle`] verified the signature, or the
    /// webhook replay fetched the body from Telnyx over the authenticated API.
    pub async fn ingest_verified(&self, body: Bytes, hint: Option<CompanyId>) -> Outcome {
        let env = match parse_envelope(&body) {
            Ok(env) => env,
            Err(e) => return Outcome::Rejected { status: 400, reason: e.to_string(), label: "bad_request" },
        };
        let event_type = env.payload.metric_label();
        if self.mode == IngestMode::Stateless {
            return Outcome::Accepted { event_type, outcome: "stateless" };
        }
        self.ingest_parsed(&env, &body, hint, event_type).await.of_type(event_type)
    }

    /// Plans a parsed event and carries the plan out: dead letter, dispatch to the owners' actors
    /// (waiting for the commit), or acknowledgement.
    async fn ingest_parsed(
        &self,
        env: &Envelope<'_>,
        body: &[u8],
        hint: Option<CompanyId>,
        event_type: &'static str,
    ) -> Outcome {
        let mut refreshed = false;
        loop {
            let mut planned = plan(env, &self.index);
            if let Plan::DeadLetter { numbers, .. } = &planned {
                match self.learn_owners(numbers).await {
                    Ok(true) => planned = plan(env, &self.index),
                    Ok(false) => {}
                    Err(e) => return Outcome::unavailable(e.to_string(), "unavailable"),
                }
            }
            let (facts, companies) = match planned {
                Plan::Acknowledge => return Outcome::Accepted { event_type, outcome: "acknowledged" },
                Plan::NumberOrder => return self.number_order(env, event_type).await,
                Plan::DeadLetter { reason, .. } => return self.dead_letter(env, body, reason, event_type).await,
                Plan::Dispatch { facts, companies } => (facts, companies),
            };
            if let (Some(hint), false) = (hint, refreshed) {
                if companies.iter().any(|(c, _)| *c != hint) {
                    metrics::counter!(COMPANY_HINT_MISMATCHES).increment(1);
                    tracing::debug!(%hint, event_id = %facts.event_id, "company hint differs from the number's owner");
                }
            }
            match tokio::time::timeout(self.deadline, self.dispatch(facts, companies)).await {
                Ok(Ok(())) => return Outcome::Accepted { event_type, outcome: "counted" },
                // The owner index gave a company a number its actor does not hold: refresh
                // both from the database and plan again (the event may now be another
                // company's, or a dead letter). Parts already committed count zero the
                // second time.
                Ok(Err(Dispatch::Stale(company))) if !refreshed => {
                    refreshed = true;
                    tracing::info!(%company, event_id = %env.id, "the owner index and the company's actor disagree about its numbers: refreshing both");
                    self.changes.changed(company, Change::Numbers).await;
                }
                Ok(Err(Dispatch::Stale(company))) => {
                    return Outcome::unavailable(
                        format!("company {company}'s numbers are being refreshed; retry"),
                        "unavailable",
                    )
                }
                Ok(Err(Dispatch::Refused(o))) => return o,
                Err(_) => {
                    metrics::counter!(COMMIT_TIMEOUTS).increment(1);
                    return Outcome::unavailable("commit deadline passed; retry", "timeout");
                }
            }
        }
    }

    /// Each company's actor submits its part to the ledger; the parts are keyed apart, so a part
    /// committed before another failed counts zero when Telnyx redelivers.
    async fn dispatch(&self, facts: Arc<EventFacts>, companies: Vec<(CompanyId, Vec<Target>)>) -> Result<(), Dispatch> {
        let parts =
            companies.into_iter().map(|(company, targets)| self.registry.ingest(company, facts.clone(), targets));
        let done = futures::future::try_join_all(parts).await.map_err(|e| match e {
            RegistryError::Stale(company) => Dispatch::Stale(company),
            RegistryError::Overloaded(_) => Dispatch::Refused(Outcome::unavailable(e.to_string(), "overloaded")),
            other => Dispatch::Refused(Outcome::unavailable(other.to_string(), "unavailable")),
        })?;
        for part in done {
            self.apply_opt_changes(part.opt_changes).await.map_err(Dispatch::Refused)?;
        }
        Ok(())
    }

    async fn number_order(&self, env: &Envelope<'_>, event_type: &'static str) -> Outcome {
        let EventPayload::NumberOrderComplete(order) = &env.payload else {
            return Outcome::Accepted { event_type, outcome: "acknowledged" };
        };
        match on_number_order_complete(&self.jobs, &order.order_id).await {
            Ok(_) => Outcome::Accepted { event_type, outcome: "acknowledged" },
            Err(e) => Outcome::unavailable(e.to_string(), "unavailable"),
        }
    }

    async fn dead_letter(
        &self,
        env: &Envelope<'_>,
        body: &[u8],
        reason: &'static str,
        event_type: &'static str,
    ) -> Outcome {
        let mut entry = LedgerEntry::new(Arc::from(&*env.id));
        entry.dead_letter = Some(DeadLetter {
            event_type: env.event_type.to_string(),
            reason,
            payload: String::from_utf8_lossy(body).into_owned(),
        });
        match self.commit(entry).await {
            Ok(()) => {
                metrics::counter!(DEAD_LETTERS, "reason" => reason).increment(1);
                Outcome::Accepted { event_type, outcome: "dead_letter" }
            }
            Err(o) => o,
        }
    }

    /// Before an event becomes a dead letter: asks the database whether its numbers have owners
    /// the index does not know yet (added by another process, e.g. `switchboard demo` next to a
    /// running daemon on SQLite, or by hand); if so, refreshes those companies (index and actor,
    /// here and on the other nodes) and answers `true`. One indexed lookup per number, paid only
    /// by events that would otherwise be dead letters.
    async fn learn_owners(&self, numbers: &[PhoneNumber]) -> Result<bool, crate::store::StoreError> {
        let mut learned = false;
        for number in numbers {
            if let Some(company) = self.store.owner_of(number).await? {
                tracing::info!(%company, "a number unknown to the owner index is in the database: refreshing the company");
                self.changes.changed(company, Change::Numbers).await;
                learned = true;
            }
        }
        Ok(learned)
    }

    /// STOP / START keywords: idempotent, so a redelivery after a failure here applies them again.
    async fn apply_opt_changes(&self, changes: Vec<crate::ledger::OptChange>) -> Result<(), Outcome> {
        for c in changes {
            let done = match c.action {
                OptOutAction::OptOut => self.store.add_opt_out(c.company_id, &c.customer, &c.keyword).await.map(|_| ()),
                OptOutAction::OptIn => self.store.remove_opt_out(c.company_id, &c.customer).await.map(|_| ()),
            };
            done.map_err(|e| Outcome::unavailable(e.to_string(), "unavailable"))?;
            self.changes.changed(c.company_id, Change::Rules).await;
        }
        Ok(())
    }

    async fn commit(&self, entry: LedgerEntry) -> Result<(), Outcome> {
        match tokio::time::timeout(self.deadline, self.ledger.commit(entry)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(Outcome::unavailable(e.to_string(), "unavailable")),
            Err(_) => Err(Outcome::unavailable("commit deadline passed; retry", "timeout")),
        }
    }
}
