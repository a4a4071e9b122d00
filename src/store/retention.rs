//! What is kept for a while and then purged: dead letters (full payloads), outbox items that were
//! delivered (a forward without its body, dropped on delivery) or gave up (message texts),
//! finished provisioning jobs. Dedupe keys (and the routing log on them) have their own purge in
//! the ledger. Each purge deletes at most `limit` rows per statement, oldest first, so it never
//! holds a long transaction on a busy table.
//!
//! The SQL is the same text on both backends, written once in [`impl_retention_store!`].
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;
use crate::config::RetentionSettings;
use crate::metrics::RETENTION_PURGED;

/// Rows that are purged after their retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retained {
    DeadLetters,
    /// Outbox items delivered (by `delivered_at`).
    DeliveredOutbox,
    /// Outbox items that exhausted their attempts (by their last attempt).
    FailedOutbox,
    /// Provisioning jobs that finished well. Failed jobs stay: they may hold the record of a
    /// number order a resume must reconcile.
    DoneJobs,
}

impl Retained {
    pub const ALL: [Retained; 4] =
        [Retained::DeadLetters, Retained::DeliveredOutbox, Retained::FailedOutbox, Retained::DoneJobs];

    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Retained::DeadLetters => "dead_letters",
            Retained::DeliveredOutbox => "outbox_delivered",
            Retained::FailedOutbox => "outbox_failed",
            Retained::DoneJobs => "jobs_done",
        }
    }

    /// Deletes at most $2 rows older than $1, by primary key.
    pub(crate) fn purge_sql(self) -> &'static str {
        match self {
            Retained::DeadLetters => {
                "DELETE FROM dead_letters WHERE id IN \
                 (SELECT id FROM dead_letters WHERE received_at < $1 ORDER BY received_at LIMIT $2)"
            }
            Retained::DeliveredOutbox => {
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'delivered' \
                 AND delivered_at < $1 ORDER BY delivered_at LIMIT $2)"
            }
            Retained::FailedOutbox => {
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status IN ('failed', 'cancelled', 'disabled') \
                 AND next_attempt_at < $1 ORDER BY next_attempt_at LIMIT $2)"
            }
            Retained::DoneJobs => {
                "DELETE FROM provisioning_jobs WHERE id IN (SELECT id FROM provisioning_jobs WHERE state = 'done' \
                 AND updated_at < $1 ORDER BY updated_at LIMIT $2)"
            }
        }
    }
}

#[async_trait]
pub trait RetentionStore: Send + Sync {
    /// Deletes at most `limit` rows of `kind` older than `before`; returns how many.
    async fn purge(&self, kind: Retained, before: DateTime<Utc>, limit: u32) -> StoreResult<u64>;
}

macro_rules! impl_retention_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::retention::RetentionStore for $store {
            async fn purge(
                &self,
                kind: $crate::store::retention::Retained,
                before: chrono::DateTime<chrono::Utc>,
                limit: u32,
            ) -> $crate::store::StoreResult<u64> {
                let done =
                    sqlx::query(kind.purge_sql()).bind(before).bind(i64::from(limit)).execute(&self.pool).await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_retention_store;

/// Deletes every row of `kind` older than `before`, `chunk` rows per statement.
pub async fn purge_all(
    store: &dyn RetentionStore,
    kind: Retained,
    before: DateTime<Utc>,
    chunk: u32,
) -> StoreResult<u64> {
    let mut total = 0;
    loop {
        let n = store.purge(kind, before, chunk).await?;
        total += n;
        if n < u64::from(chunk) {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

/// One pass of every purge whose retention is set, as of `now`; failures are logged (the next
/// pass tries again).
pub async fn purge_expired(store: &dyn RetentionStore, kept: &RetentionSettings, now: DateTime<Utc>) {
    for kind in Retained::ALL {
        let days = match kind {
            Retained::DeadLetters => kept.dead_letters_days,
            Retained::DeliveredOutbox => kept.outbox_delivered_days,
            Retained::FailedOutbox => kept.outbox_failed_days,
            Retained::DoneJobs => kept.jobs_done_days,
        };
        if days == 0 {
            continue;
        }
        match purge_all(store, kind, now - chrono::Duration::days(i64::from(days)), 5_000).await {
            Ok(n) => metrics::counter!(RETENTION_PURGED, "kind" => kind.as_str()).increment(n),
            Err(e) => tracing::warn!(kind = kind.as_str(), error = %e, "purge failed; will retry"),
        }
    }
}
