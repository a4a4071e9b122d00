//! The hot path of one webhook, after the HTTP layer: verify, parse, plan, dispatch, commit.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::observer::CommitObserver;
use super::outcome::{Accepted, Outcome, Rejection, Unavailability};
use super::plan::{plan, Plan};
use super::verify::{Verification, VerifyError};
use crate::company::directory::Directory;
use crate::company::facts::{EventFacts, FactKind, Target};
use crate::company::index::NumberIndex;
use crate::company::registry::{Registry, RegistryError};
use crate::domain::{CompanyId, PhoneNumber};
use crate::ledger::{Committed, DeadLetter, Ledger, LedgerEntry};
use crate::metrics::{COMMIT_TIMEOUTS, COMPANY_HINT_MISMATCHES, DEAD_LETTERS, SIGNATURE_FAILURES};
use crate::provisioning::{on_number_order_complete, JobRunner};
use crate::store::changes::Change;
use crate::store::DynStore;
use crate::telnyx::events::{parse_envelope, Envelope, EventPayload};
use crate::telnyx::signature::{SignatureError, SignedHeaders};

pub struct Ingress {
    verification: Verification,
    tolerance_secs: i64,
    /// `webhooks.ingest_mode = stateless` (a benchmark mode, `bench-modes` builds only).
    #[cfg_attr(not(feature = "bench-modes"), allow(dead_code))]
    stateless: bool,
    index: Arc<NumberIndex>,
    registry: Registry,
    ledger: Ledger,
    /// How long a webhook waits for its commit before answering 503.
    deadline: Duration,
    store: DynStore,
    directory: Directory,
    /// Provisioning jobs waiting for number orders (number_order.complete).
    jobs: JobRunner,
    /// Told how each webhook's commit went (the replay's outage tracker).
    observer: Arc<dyn CommitObserver>,
}

/// What the ingress is built from (see [`Ingress::new`]).
pub struct IngressParts {
    pub verification: Verification,
    pub tolerance_secs: i64,
    pub stateless: bool,
    pub index: Arc<NumberIndex>,
    pub registry: Registry,
    pub ledger: Ledger,
    pub deadline: Duration,
    pub store: DynStore,
    pub directory: Directory,
    pub jobs: JobRunner,
    pub observer: Arc<dyn CommitObserver>,
}

/// Why a dispatch did not complete.
enum Dispatch {
    /// A company's actor did not hold a number the owner index gave it.
    Stale(CompanyId),
    /// Answered as is (503).
    Refused(Outcome),
}

impl Ingress {
    pub fn new(p: IngressParts) -> Self {
        Self {
            verification: p.verification,
            tolerance_secs: p.tolerance_secs,
            stateless: p.stateless,
            index: p.index,
            registry: p.registry,
            ledger: p.ledger,
            deadline: p.deadline,
            store: p.store,
            directory: p.directory,
            jobs: p.jobs,
            observer: p.observer,
        }
    }

    /// A webhook as Telnyx POSTs it: verify its signature, then [`Ingress::ingest_verified`].
    pub async fn handle(&self, headers: SignedHeaders<'_>, body: Bytes, hint: Option<CompanyId>) -> Outcome {
        match self.verification.check(headers, &body, self.tolerance_secs).await {
            Ok(()) => {}
            Err(VerifyError::NoKey) => {
                return Outcome::unavailable(
                    "telnyx.public_key is not configured; webhooks cannot be verified yet",
                    Unavailability::NoKey,
                )
            }
            Err(VerifyError::Signature(e)) => {
                metrics::counter!(SIGNATURE_FAILURES, "reason" => e.metric_label()).increment(1);
                if matches!(e, SignatureError::Overloaded) {
                    return Outcome::unavailable(e.reason(), Unavailability::Overloaded);
                }
                return Outcome::Rejected { reason: e.reason().into(), why: Rejection::BadSignature };
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
            Err(e) => return Outcome::Rejected { reason: e.to_string(), why: Rejection::BadRequest },
        };
        let event_type = env.payload.metric_label();
        #[cfg(feature = "bench-modes")]
        if self.stateless {
            return Outcome::Accepted { event_type, how: Accepted::Stateless };
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
            let short_call_secs = self.directory.health().settings().short_call_secs;
            let mut planned = plan(env, &self.index, short_call_secs);
            if let Plan::DeadLetter { numbers, .. } = &planned {
                match self.learn_owners(numbers).await {
                    Ok(true) => planned = plan(env, &self.index, short_call_secs),
                    Ok(false) => {}
                    Err(e) => return Outcome::unavailable(e.to_string(), Unavailability::Unavailable),
                }
            }
            let (facts, companies) = match planned {
                Plan::Acknowledge => return Outcome::Accepted { event_type, how: Accepted::Acknowledged },
                Plan::NumberOrder => return self.number_order(env, event_type).await,
                Plan::DeadLetter { reason, numbers } => {
                    return self.dead_letter(env, body, reason, numbers.first(), event_type).await
                }
                Plan::Dispatch { facts, companies } => (facts, companies),
            };
            if let (Some(hint), false) = (hint, refreshed) {
                if companies.iter().any(|(c, _)| *c != hint) {
                    metrics::counter!(COMPANY_HINT_MISMATCHES).increment(1);
                    tracing::debug!(%hint, event_id = %facts.event_id, "company hint differs from the number's owner");
                }
            }
            // A delivery or call outcome changes its number's health: this node reads it again
            // before its next sender choice (company::health), marked before Telnyx gets its
            // answer.
            let outcome_of: Vec<CompanyId> = match facts.kind {
                FactKind::MessageFinalized | FactKind::CallEnded => companies.iter().map(|(c, _)| *c).collect(),
                _ => Vec::new(),
            };
            match tokio::time::timeout(self.deadline, self.dispatch(facts, companies)).await {
                Ok(Ok(how)) => {
                    if how == Accepted::Counted {
                        outcome_of.into_iter().for_each(|c| self.directory.health().changed(c));
                    }
                    return Outcome::Accepted { event_type, how };
                }
                // The owner index gave a company a number its actor does not hold: refresh
                // both from the database and plan again (the event may now be another
                // company's, or a dead letter). Parts already committed count zero the
                // second time.
                Ok(Err(Dispatch::Stale(company))) if !refreshed => {
                    refreshed = true;
                    tracing::info!(%company, event_id = %env.id, "the owner index and the company's actor disagree about its numbers: refreshing both");
                    self.directory.refresh(company, Change::Numbers).await;
                }
                Ok(Err(Dispatch::Stale(company))) => {
                    return Outcome::unavailable(
                        format!("company {company}'s numbers are being refreshed; retry"),
                        Unavailability::Unavailable,
                    )
                }
                Ok(Err(Dispatch::Refused(o))) => return o,
                Err(_) => {
                    metrics::counter!(COMMIT_TIMEOUTS).increment(1);
                    return Outcome::unavailable("commit deadline passed; retry", Unavailability::Timeout);
                }
            }
        }
    }

    /// Each company's actor submits its part to the ledger; the parts are keyed apart, so a part
    /// committed before another failed counts zero when Telnyx redelivers. Counted when any part
    /// was applied now, a duplicate when every part was committed before.
    async fn dispatch(
        &self,
        facts: Arc<EventFacts>,
        companies: Vec<(CompanyId, Vec<Target>)>,
    ) -> Result<Accepted, Dispatch> {
        let parts =
            companies.into_iter().map(|(company, targets)| self.registry.ingest(company, facts.clone(), targets));
        let done = futures::future::try_join_all(parts).await.map_err(|e| match e {
            RegistryError::Stale(company) => Dispatch::Stale(company),
            RegistryError::Overloaded(_) => {
                Dispatch::Refused(Outcome::unavailable(e.to_string(), Unavailability::Overloaded))
            }
            other => Dispatch::Refused(Outcome::unavailable(other.to_string(), Unavailability::Unavailable)),
        })?;
        Ok(if done.contains(&Committed::Applied) { Accepted::Counted } else { Accepted::Duplicate })
    }

    async fn number_order(&self, env: &Envelope<'_>, event_type: &'static str) -> Outcome {
        let acknowledged = Outcome::Accepted { event_type, how: Accepted::Acknowledged };
        let EventPayload::NumberOrderComplete(order) = &env.payload else { return acknowledged };
        match on_number_order_complete(&self.jobs, &order.order_id).await {
            Ok(_) => acknowledged,
            Err(e) => Outcome::unavailable(e.to_string(), Unavailability::Unavailable),
        }
    }

    async fn dead_letter(
        &self,
        env: &Envelope<'_>,
        body: &[u8],
        reason: &'static str,
        number: Option<&PhoneNumber>,
        event_type: &'static str,
    ) -> Outcome {
        let mut entry = LedgerEntry::new(Arc::from(&*env.id));
        entry.dead_letter = Some(DeadLetter {
            event_type: env.event_type.to_string(),
            reason,
            payload: String::from_utf8_lossy(body).into_owned(),
            phone_number: number.map(|n| n.as_str().to_owned()),
        });
        match tokio::time::timeout(self.deadline, self.ledger.commit(entry)).await {
            Ok(Ok(_)) => {
                metrics::counter!(DEAD_LETTERS, "reason" => reason).increment(1);
                Outcome::Accepted { event_type, how: Accepted::DeadLetter }
            }
            Ok(Err(e)) => Outcome::unavailable(e.to_string(), Unavailability::Unavailable),
            Err(_) => Outcome::unavailable("commit deadline passed; retry", Unavailability::Timeout),
        }
    }

    /// Before an event becomes a dead letter: asks the database whether its numbers have owners
    /// the index does not know yet (added by another process, e.g. `switchboard demo` next to a
    /// running daemon on SQLite, or by hand); if so, refreshes those companies (index and actor)
    /// and answers `true`. One indexed lookup per number, paid only by events that would otherwise
    /// be dead letters.
    async fn learn_owners(&self, numbers: &[PhoneNumber]) -> Result<bool, crate::store::StoreError> {
        let mut learned = false;
        for number in numbers {
            if let Some(company) = self.store.owner_of(number).await? {
                tracing::info!(%company, "a number unknown to the owner index is in the database: refreshing the company");
                self.directory.refresh(company, Change::Numbers).await;
                learned = true;
            }
        }
        Ok(learned)
    }
}
