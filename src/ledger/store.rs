//! What the ledger needs from storage: one transaction per batch. The ledger declares it; the
//! PostgreSQL and SQLite backends (`store::postgres_ledger`, `store::sqlite_ledger`) implement it.
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::entry::{CommitStats, LedgerEntry};

/// Why storage could not do what the ledger asked; the backend's error is kept as the source.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StorageError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl StorageError {
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StorageError(Box::new(e))
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// What one pass over the dedupe table's day partitions did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionWork {
    pub created: u32,
    pub dropped: u32,
    /// Keys moved out of the default partition into a new day's partition.
    pub moved: u64,
}

#[async_trait]
pub trait LedgerStore: Send + Sync {
    /// In one transaction: insert the dedupe keys, add +1 for each key that was new, store dead
    /// letters, outbox items and routing log lines (each idempotent on its own key); commit.
    /// Outbox items are due at once.
    async fn commit_batch(&self, entries: &[&LedgerEntry]) -> StorageResult<CommitStats> {
        self.commit_batch_holding(entries, None).await
    }
    /// [`LedgerStore::commit_batch`], with the outbox items held until `hold` when it is set
    /// (`next_attempt_at`: this node's worker has them, `ledger::handoff`).
    async fn commit_batch_holding(
        &self,
        entries: &[&LedgerEntry],
        hold: Option<DateTime<Utc>>,
    ) -> StorageResult<CommitStats>;
    /// Deletes at most `limit` dedupe keys received before `before`; returns how many. Callers
    /// repeat until fewer than `limit` went ([`purge_dedupe_all`]): one short statement at a
    /// time, so a purge never holds a long transaction or a burst of WAL on a busy table.
    async fn purge_dedupe(&self, before: DateTime<Utc>, limit: u32) -> StorageResult<u64>;
    /// Keeps the dedupe table's day partitions where it has them (PostgreSQL): creates the days
    /// up to a few ahead of `today`, drops those whose events all occurred before `cutoff`.
    /// Nothing where the table is not partitioned.
    async fn maintain_partitions(&self, _today: NaiveDate, _cutoff: DateTime<Utc>) -> StorageResult<PartitionWork> {
        Ok(PartitionWork::default())
    }
    /// Dead letters stored, newest first (operators, tests).
    async fn dead_letters(&self, limit: i64) -> StorageResult<Vec<(String, String, String)>>;
    /// A committer for one ledger lane. On PostgreSQL it keeps a connection of its own: a pooled
    /// query costs two extra round trips (sqlx pings on acquire and on release), which is most of
    /// a small batch's cost.
    fn ledger_writer(&self) -> Box<dyn LedgerWriter>;
}

/// Commits batches for one ledger lane; one batch at a time.
#[async_trait]
pub trait LedgerWriter: Send {
    /// What [`LedgerStore::commit_batch_holding`] does, on the writer's own connection.
    async fn commit(&mut self, entries: &[&LedgerEntry], hold: Option<DateTime<Utc>>) -> StorageResult<CommitStats>;
}

/// Deletes every dedupe key received before `before`, `chunk` keys per statement.
pub async fn purge_dedupe_all(store: &dyn LedgerStore, before: DateTime<Utc>, chunk: u32) -> StorageResult<u64> {
    let mut total = 0;
    loop {
        let n = store.purge_dedupe(before, chunk).await?;
        total += n;
        if n < u64::from(chunk) {
            return Ok(total);
        }
        // Let the webhook hot path have the database between chunks.
        tokio::task::yield_now().await;
    }
}

/// Distinct count keys of a batch with the index of the entry that carries each first (the same
/// event can arrive twice in one batch).
pub(crate) fn distinct_keys<'a>(entries: &[&'a LedgerEntry]) -> Vec<(usize, &'a str, &'a super::entry::CountKey)> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        for k in &e.counts {
            let event = k.event_key.as_deref().unwrap_or(&e.event_id);
            if seen.insert((event, k.company_id, &k.phone_number)) {
                out.push((i, event, k));
            }
        }
    }
    out
}

/// One retention pass over the dedupe keys as of `now`: the day partitions first
/// ([`keep_partitions`]), then the keys older than `retention` that are not in a day partition.
/// Failures are logged; the next pass tries again.
pub async fn keep_dedupe(store: &dyn LedgerStore, retention: chrono::Duration, now: DateTime<Utc>) {
    keep_partitions(store, retention, now).await;
    match purge_dedupe_all(store, now - retention, 10_000).await {
        Ok(n) => metrics::counter!(crate::metrics::DEDUPE_PURGED).increment(n),
        Err(e) => tracing::warn!(error = %e, "dedupe purge failed; will retry"),
    }
}

/// Where the dedupe table has day partitions (PostgreSQL): creates the days ahead of `now` and
/// drops the days wholly older than `retention`. Failures are logged; the next pass tries again.
pub async fn keep_partitions(store: &dyn LedgerStore, retention: chrono::Duration, now: DateTime<Utc>) {
    use crate::metrics::DEDUPE_PARTITIONS;
    match store.maintain_partitions(now.date_naive(), now - retention).await {
        Ok(work) => {
            metrics::counter!(DEDUPE_PARTITIONS, "action" => "created").increment(u64::from(work.created));
            metrics::counter!(DEDUPE_PARTITIONS, "action" => "dropped").increment(u64::from(work.dropped));
            if work.created + work.dropped > 0 {
                tracing::info!(
                    created = work.created,
                    dropped = work.dropped,
                    moved = work.moved,
                    "dedupe day partitions"
                );
            }
        }
        Err(e) => tracing::warn!(error = %e, "dedupe partition upkeep failed; will retry"),
    }
}
