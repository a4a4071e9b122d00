//! The day partitions of the dedupe table on PostgreSQL (migration 0023): `webhook_events` is
//! partitioned by the UTC day its event occurred, and retention drops whole days.
//!
//! Each pass ([`maintain`], at start before the daemon is ready and then every
//! `ledger.purge_interval_secs`, on every node):
//! - creates the partition of every day from the oldest one kept to [`DAYS_AHEAD`] days ahead
//!   that does not exist yet, with the unique key that decides "counted once" in that day (each
//!   partition has its own since migration 0028: [`KEY_IN_TIME_ORDER`]). A day's rows already in the default partition (an event from the
//!   future, or one that arrived while its day had no partition) move into the new partition in
//!   the same transaction, so each key stays in exactly one place;
//! - drops (detach, then drop) every day partition whose events all occurred before the retention
//!   cutoff;
//! - tells the ledger whether keys written before the table was partitioned remain (see
//!   [`UndatedKeys`]).
//!
//! DDL takes short locks on the parent table: each statement gives up after [`LOCK_TIMEOUT`]
//! rather than queueing the webhook commits behind it, and the next pass tries again. Two nodes
//! doing the same pass at once is harmless: one of them fails to create or drop a partition the
//! other just did, and moves on.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::StoreResult;
use crate::ledger::store::PartitionWork;

/// Day partitions are created this many days ahead of today (UTC).
pub const DAYS_AHEAD: i64 = 3;
/// How long one DDL statement waits for its lock before giving up until the next pass.
const LOCK_TIMEOUT: &str = "1s";
const PREFIX: &str = "webhook_events_d";
/// The default partition: keys without a day partition.
const UNDATED: &str = "webhook_events_undated";
/// A day partition's unique key (migration 0028): in the order its events occurred.
pub const KEY_IN_TIME_ORDER: &str = "company_id, occurred_at, event_id, phone_number";
/// The key of a day partition holding keys written without occurred_at (before migration 0028).
pub const KEY_WITHOUT_TIME: &str = "company_id, event_id, phone_number";
/// Every column, in one order, for moving rows between partitions.
const COLUMNS: &str =
    "company_id, event_id, phone_number, counter, received_at, event_type, decision, outcome, customer, \
                       occurred_day, occurred_at";

/// Whether keys counted before the table was partitioned may remain (day unknown, kept in the
/// default partition as -infinity). While they do, the ledger also looks each new key up there;
/// once the purge has removed them (they are older than the retention), that lookup stops for
/// good. Starts `true`: the safe side.
#[derive(Debug, Clone)]
pub struct UndatedKeys(Arc<AtomicBool>);

impl Default for UndatedKeys {
    fn default() -> Self {
        UndatedKeys(Arc::new(AtomicBool::new(true)))
    }
}

impl UndatedKeys {
    pub fn may_remain(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn gone(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// The partition of `day`.
pub fn partition_name(day: NaiveDate) -> String {
    format!("{PREFIX}{}", day.format("%Y%m%d"))
}

/// The first day kept: a day partition is dropped when every event in it occurred before `cutoff`.
pub fn first_day_kept(cutoff: DateTime<Utc>) -> NaiveDate {
    cutoff.date_naive()
}

/// One pass: create the missing days of `[first_day_kept(cutoff), today + DAYS_AHEAD]`, drop the
/// days before it. Partitions another node is creating or dropping at the same time are skipped.
pub async fn maintain(
    pool: &PgPool,
    undated: &UndatedKeys,
    today: NaiveDate,
    cutoff: DateTime<Utc>,
) -> StoreResult<PartitionWork> {
    let mut work = PartitionWork::default();
    let first = first_day_kept(cutoff);
    let existing = day_partitions(pool).await?;
    let mut day = first;
    while day <= today + chrono::Duration::days(DAYS_AHEAD) {
        if !existing.contains(&day) {
            match create(pool, day).await {
                Ok(moved) => {
                    work.created += 1;
                    work.moved += moved;
                }
                Err(e) if lost_a_race(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        day += chrono::Duration::days(1);
    }
    for day in existing.into_iter().filter(|d| *d < first) {
        match drop_day(pool, day).await {
            Ok(()) => work.dropped += 1,
            Err(e) if lost_a_race(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if undated.may_remain() && !pre_partition_keys_remain(pool).await? {
        undated.gone();
    }
    Ok(work)
}

/// The days that have a partition.
pub async fn day_partitions(pool: &PgPool) -> StoreResult<Vec<NaiveDate>> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'webhook_events'::regclass",
    )
    .fetch_all(pool)
    .await?;
    let mut days: Vec<NaiveDate> = names
        .iter()
        .filter_map(|n| n.strip_prefix(PREFIX))
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
        .collect();
    days.sort();
    Ok(days)
}

/// Creates and attaches the partition of `day`, moving the day's rows out of the default
/// partition first (attaching checks that none is left there). Returns how many moved.
///
/// The partition's unique key decides "counted once" for its day (migration 0028): keyed in the
/// order events occur, (company_id, occurred_at, event_id, phone_number), so that new keys land at
/// the right edge of each company's range; and indexed (company_id, event_id) for its routed keys
/// (the routing log's lookup by event). Keys written before migration 0028 (no occurred_at) that
/// move in keep the day on the key they were counted with, (company_id, event_id, phone_number):
/// the same event redelivered now, with its occurred_at, must still conflict with them.
async fn create(pool: &PgPool, day: NaiveDate) -> Result<u64, sqlx::Error> {
    let name = partition_name(day);
    let next = day + chrono::Duration::days(1);
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")).execute(&mut *tx).await?;
    sqlx::query(&format!("CREATE TABLE {name} (LIKE webhook_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
        .execute(&mut *tx)
        .await?;
    // The day's keys move out of the default partition; those written before migration 0028 (no
    // occurred_at) decide the partition's key.
    let (moved, legacy): (i64, bool) = sqlx::query_as(&format!(
        "WITH moved AS (DELETE FROM {UNDATED} WHERE occurred_day = $1 RETURNING {COLUMNS}), \
         ins AS (INSERT INTO {name} ({COLUMNS}) SELECT {COLUMNS} FROM moved) \
         SELECT count(*), coalesce(bool_or(occurred_at = '-infinity'), false) FROM moved"
    ))
    .bind(day)
    .fetch_one(&mut *tx)
    .await?;
    let key = if legacy { KEY_WITHOUT_TIME } else { KEY_IN_TIME_ORDER };
    sqlx::query(&format!("CREATE UNIQUE INDEX {name}_key ON {name} ({key})")).execute(&mut *tx).await?;
    if !legacy {
        sqlx::query(&format!(
            "CREATE INDEX {name}_routed_event ON {name} (company_id, event_id) WHERE decision IS NOT NULL"
        ))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(&format!("ALTER TABLE webhook_events ATTACH PARTITION {name} FOR VALUES FROM ('{day}') TO ('{next}')"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(moved as u64)
}

/// Detaches and drops the partition of `day`, with every key and routing log line in it.
async fn drop_day(pool: &PgPool, day: NaiveDate) -> Result<(), sqlx::Error> {
    let name = partition_name(day);
    let mut tx = pool.begin().await?;
    sqlx::query(&format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")).execute(&mut *tx).await?;
    sqlx::query(&format!("ALTER TABLE webhook_events DETACH PARTITION {name}")).execute(&mut *tx).await?;
    sqlx::query(&format!("DROP TABLE {name}")).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether keys written before migration 0023 remain in the default partition.
async fn pre_partition_keys_remain(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "SELECT EXISTS (SELECT 1 FROM {UNDATED} WHERE occurred_day = '-infinity' AND received_at <= \
         (SELECT installed_on FROM _sqlx_migrations WHERE version = 23))"
    ))
    .fetch_one(pool)
    .await
}

/// Deletes at most `limit` keys of the default partition received before `before` (day
/// partitions go whole, in [`maintain`]).
pub async fn purge_undated(pool: &PgPool, before: DateTime<Utc>, limit: u32) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&format!(
        "DELETE FROM {UNDATED} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {UNDATED} WHERE received_at < $1 LIMIT $2))"
    ))
    .bind(before)
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Another node created or dropped the same partition meanwhile (or held the lock too long):
/// this pass skips it, the next one sees how things are.
fn lost_a_race(e: &sqlx::Error) -> bool {
    let code = e.as_database_error().and_then(|d| d.code().map(|c| c.into_owned()));
    // duplicate_table, duplicate_object (its row type), unique_violation (pg_type),
    // undefined_table, lock_not_available,
    // object_not_in_prerequisite_state (a concurrent detach), check_violation (a row for the day
    // reached the default partition between the move and the attach)
    matches!(code.as_deref(), Some("42P07" | "42710" | "23505" | "42P01" | "55P03" | "55000" | "23514"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_named_by_day_and_kept_from_the_cutoff_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(partition_name(day), "webhook_events_d20261205");
        let cutoff = "2026-12-05T13:00:00Z".parse::<DateTime<Utc>>().unwrap();
        // Events of Dec 4 all occurred before the cutoff: that day goes; Dec 5 is kept whole.
        assert_eq!(first_day_kept(cutoff), day);
    }
}
