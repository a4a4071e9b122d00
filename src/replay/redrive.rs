//! Re-driving a dead letter: its stored webhook goes through the ingress again, after the signature
//! check (it was verified when it arrived), exactly as a replayed delivery does. Once its number
//! has an owner it is routed and counted once; the ledger's dedupe keys make every later re-drive
//! a duplicate that counts nothing. Those keys are purged after `ledger.dedupe_retention_hours`:
//! a dead letter whose re-drive counted it longer ago than that is refused, since another re-drive
//! could count it again.
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Replayer;
use crate::ingress::{Accepted, Outcome};
use crate::metrics::DEAD_LETTER_REDRIVES;
use crate::store::{DynStore, StoreError};

/// What a re-drive did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Redriven {
    pub id: i64,
    pub event_id: String,
    /// `counted` (routed and counted now), `duplicate` (counted before: nothing changed),
    /// `acknowledged` (nothing to count) or `dead_letter` (still no company owns its numbers).
    pub outcome: String,
    pub redriven_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum RedriveError {
    #[error("no such dead letter")]
    NotFound,
    #[error(
        "it was re-driven at {0} and counted; its dedupe keys are purged after ledger.dedupe_retention_hours, so \
         another re-drive could count it twice"
    )]
    KeysExpired(DateTime<Utc>),
    #[error("the stored webhook cannot be ingested: {0}")]
    Unreadable(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Replayer {
    /// Re-drives dead letter `id` through the ingress and records the outcome on it.
    pub async fn redrive(&self, store: &DynStore, id: i64) -> Result<Redriven, RedriveError> {
        let dead = store.get_dead_letter(id).await.map_err(|e| match e {
            StoreError::NotFound => RedriveError::NotFound,
            other => other.into(),
        })?;
        let now = Utc::now();
        let counted_before = matches!(dead.redrive_outcome.as_deref(), Some("counted" | "duplicate"));
        if let (Some(at), true) = (dead.redriven_at, counted_before) {
            if now - at >= self.retention() {
                return Err(RedriveError::KeysExpired(at));
            }
        }
        let body = Bytes::from(dead.payload.unwrap_or_default());
        let outcome = match self.ingress().ingest_verified(body, None).await {
            Outcome::Accepted { how, .. } => match how {
                Accepted::Counted => "counted",
                Accepted::Duplicate => "duplicate",
                Accepted::DeadLetter => "dead_letter",
                Accepted::Acknowledged | Accepted::Stateless => "acknowledged",
            },
            Outcome::Rejected { reason, .. } => {
                metrics::counter!(DEAD_LETTER_REDRIVES, "outcome" => "unreadable").increment(1);
                return Err(RedriveError::Unreadable(reason));
            }
            Outcome::Unavailable { reason, .. } => {
                metrics::counter!(DEAD_LETTER_REDRIVES, "outcome" => "unavailable").increment(1);
                return Err(RedriveError::Unavailable(reason));
            }
        };
        metrics::counter!(DEAD_LETTER_REDRIVES, "outcome" => outcome).increment(1);
        match store.mark_dead_letter_redriven(id, now, outcome).await {
            // Deleted meanwhile: the re-drive happened all the same.
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(Redriven { id, event_id: dead.event_id, outcome: outcome.to_owned(), redriven_at: now })
    }
}
