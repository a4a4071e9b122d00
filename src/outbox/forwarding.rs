//! The worker's side of a forward (an inbound message, or a queued message's status change to the
//! company's status URL): attempt it on the URL it is on (unless that endpoint
//! is disabled), disable an endpoint that answers 410 Gone, and apply the verdict of
//! [`failover::judge`](super::failover::judge) to the row: delivered, retried on its schedule,
//! moved on to the next alternate (one update of the row, from its hop: durable and made once),
//! or given up (failed: exhausted / permanent; disabled).
use std::collections::{HashMap, HashSet};

use chrono::Utc;

use super::failover::{due_at, judge, Position, Verdict};
use super::forward::Attempt;
use super::worker::OutboxWorker;
use uuid::Uuid;

use crate::domain::CompanyId;
use crate::metrics as m;
use crate::store::forward_secrets::ForwardSecrets;
use crate::store::outbox::{Failure, OutboxEntry};

/// An item delivered, to be recorded with the rest of its batch.
pub(super) struct Delivered {
    pub id: Uuid,
    pub attempts: i32,
}

/// What a company's forwards need, read once per batch: its endpoints that answered 410 Gone, and
/// the secrets that sign its forwards.
pub(super) struct CompanyForwarding {
    disabled: HashSet<String>,
    secrets: ForwardSecrets,
}

/// Per company of a batch; a company whose reads failed is absent (its items wait for their lease
/// to run out and are taken again).
pub(super) type BatchCompanies = HashMap<CompanyId, CompanyForwarding>;

impl OutboxWorker {
    /// Reads what the forwards of `due` need, once per company.
    pub(super) async fn forwarding_of(&self, due: &[OutboxEntry]) -> BatchCompanies {
        let companies: HashSet<CompanyId> =
            due.iter().filter(|e| e.item.kind.is_forward()).map(|e| e.item.company_id).collect();
        let mut out = BatchCompanies::new();
        for company in companies {
            match self.store.forwarding(company).await {
                Ok(f) => {
                    out.insert(
                        company,
                        CompanyForwarding { disabled: f.disabled.into_iter().collect(), secrets: f.secrets },
                    );
                }
                Err(e) => tracing::warn!(error = %e, "outbox: cannot read the forward secrets and disabled endpoints"),
            }
        }
        out
    }

    /// Attempts a forward; `Some` when it was delivered (recorded with the batch's others).
    pub(super) async fn attempt_forward(&self, entry: OutboxEntry, companies: &BatchCompanies) -> Option<Delivered> {
        let item = &entry.item;
        let kind = item.kind.as_str();
        // Not attempted: the lease expires and the item is taken again.
        let company = companies.get(&item.company_id)?;
        let is_disabled = |url: &str| company.disabled.contains(url);
        let at = Position { hop: entry.hop, alternates: &item.alternates };
        let (verdict, attempts, error, move_reason) = if is_disabled(&item.destination) {
            // Skipped without an attempt: the receiver asked for no more.
            let verdict = at.give_out(Failure::Disabled, &is_disabled);
            (verdict, entry.attempts, "the endpoint is disabled (it answered 410 Gone)".to_owned(), "disabled")
        } else {
            let outcome = self.deliverer.deliver(item, &company.secrets.signing_at(Utc::now())).await;
            if let Attempt::Gone(why) = &outcome {
                self.disable_endpoint(item.company_id, &item.destination, why).await;
            }
            let attempts = entry.attempts + 1;
            let verdict = judge(&outcome, attempts, at, &self.schedule, &is_disabled);
            let reason = if matches!(outcome, Attempt::Gone(_)) { "gone" } else { "exhausted" };
            (verdict, attempts, error_of(&outcome), reason)
        };
        let now = Utc::now();
        let result = match verdict {
            Verdict::Delivered => {
                metrics::counter!(m::OUTBOX_DELIVERED).increment(1);
                metrics::counter!(m::OUTBOX_ATTEMPTS, "kind" => kind, "outcome" => "delivered").increment(1);
                return Some(Delivered { id: item.id, attempts });
            }
            Verdict::RetryIn(wait) => {
                metrics::counter!(m::OUTBOX_ATTEMPTS, "kind" => kind, "outcome" => "retry").increment(1);
                tracing::debug!(%error, attempts, "outbox: forward failed; will retry");
                self.store.mark_outbox_retry(item.id, attempts, due_at(now, wait), &error).await
            }
            Verdict::MoveTo { hop, url } => {
                if move_reason != "disabled" {
                    // An attempt was made (a disabled endpoint is skipped without one).
                    metrics::counter!(m::OUTBOX_ATTEMPTS, "kind" => kind, "outcome" => "alternate").increment(1);
                }
                metrics::counter!(m::FORWARD_ALTERNATE_MOVES, "reason" => move_reason).increment(1);
                tracing::debug!(%error, attempts, hop, "outbox: forward moves on to its next alternate");
                let moved = self.store.move_outbox_to_alternate(item.id, entry.hop, hop, &url, now, &error).await;
                // Due now: take it on the next round rather than after the poll interval.
                self.wake_soon();
                moved.map(|_| ())
            }
            Verdict::GiveUp(failure) => self.gave_up(&entry, attempts, failure, &error).await,
        };
        if let Err(e) = result {
            // The lease expires and the item is attempted again: at least once, never lost.
            tracing::warn!(error = %e, "outbox: cannot record a forward's outcome");
        }
        None
    }

    /// Records the company's endpoint `url` as disabled and counts it when it was active. The URL
    /// is not logged (a tenant's URL may carry a token in its query).
    async fn disable_endpoint(&self, company: CompanyId, url: &str, why: &str) {
        match self.store.disable_forward_endpoint(company, url, why, Utc::now()).await {
            Ok(true) => {
                metrics::counter!(m::FORWARD_ENDPOINTS_DISABLED_TOTAL).increment(1);
                tracing::info!(%company, "outbox: a forward endpoint answered 410 Gone and is disabled");
            }
            Ok(false) => {}
            // The move on to the next alternate still happens; the next 410 disables it.
            Err(e) => tracing::warn!(error = %e, %company, "outbox: cannot disable a forward endpoint"),
        }
    }
}

/// The text stored as the row's last error.
fn error_of(outcome: &Attempt) -> String {
    match outcome {
        Attempt::Delivered => String::new(),
        Attempt::Retry(e) | Attempt::Permanent(e) | Attempt::Gone(e) => e.clone(),
        Attempt::SlowDown { error, .. } => error.clone(),
    }
}
