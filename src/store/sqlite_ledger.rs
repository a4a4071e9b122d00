//! The ledger on SQLite: one transaction per batch, prepared statements per row (SQLite is
//! in-process, so a row costs microseconds, and the fsync is paid once per batch).
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::sqlite::SqliteStore;
use crate::ledger::entry::{applied_entries, CommitStats, Counter, LedgerEntry};
use crate::ledger::store::{distinct_keys, LedgerStore, LedgerWriter, StorageResult};

/// The columns of a `usage_daily` row after its key, in order.
const USAGE_COLUMNS: usize = 12;

/// Where a new key adds to its number's row of the day: (column index, ...) of [`USAGE_SQL`].
fn usage_columns(counter: Counter) -> &'static [usize] {
    match counter {
        Counter::IncomingCalls => &[0],
        Counter::OutgoingCalls => &[1],
        Counter::SmsSent => &[2],
        Counter::SmsReceived => &[3],
        Counter::Delivered => &[4],
        Counter::Failed => &[5],
        Counter::FailedSpam => &[5, 6],
        Counter::FailedThroughput => &[5, 7],
        Counter::FailedDestination => &[5, 8],
        // calls_ended, calls_answered, calls_short
        Counter::CallUnanswered => &[9],
        Counter::CallAnswered => &[9, 10],
        Counter::CallShort => &[9, 10, 11],
        Counter::Uncounted => &[],
    }
}

/// Adds a batch's new keys to a number's row of the (UTC) day, once per number and batch. A
/// number's lifetime counters are read from these rows (migration 0029).
const USAGE_SQL: &str = "\
INSERT INTO usage_daily (company_id, phone_number_id, day, incoming_calls, outgoing_calls, sms_sent, sms_received,
                         delivered, failed, failed_spam, failed_throughput, failed_destination, calls_ended,
                         calls_answered, calls_short)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (company_id, phone_number_id, day) DO UPDATE SET
    incoming_calls = incoming_calls + excluded.incoming_calls,
    outgoing_calls = outgoing_calls + excluded.outgoing_calls,
    sms_sent = sms_sent + excluded.sms_sent,
    sms_received = sms_received + excluded.sms_received,
    delivered = delivered + excluded.delivered,
    failed = failed + excluded.failed,
    failed_spam = failed_spam + excluded.failed_spam,
    failed_throughput = failed_throughput + excluded.failed_throughput,
    failed_destination = failed_destination + excluded.failed_destination,
    calls_ended = calls_ended + excluded.calls_ended,
    calls_answered = calls_answered + excluded.calls_answered,
    calls_short = calls_short + excluded.calls_short";

#[async_trait]
impl LedgerStore for SqliteStore {
    async fn commit_batch_holding(
        &self,
        entries: &[&LedgerEntry],
        hold: Option<DateTime<Utc>>,
    ) -> StorageResult<CommitStats> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let mut stats = CommitStats::default();
        // (company, event) of the keys that were new: only their side effects are queued...
        let mut fresh = std::collections::HashSet::new();
        // ...and the entries that carried them.
        let mut new_entries = std::collections::HashSet::new();
        // The daily rollup of the new keys, per number (BTreeMap: rows in key order).
        let mut usage = std::collections::BTreeMap::<_, [i64; USAGE_COLUMNS]>::new();
        for (entry, event, k) in distinct_keys(entries) {
            let route = k.route.as_ref();
            let new = sqlx::query(
                "INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, event_type, \
                 decision, outcome, customer, occurred_day, occurred_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(k.company_id.as_uuid())
            .bind(event)
            .bind(k.phone_number.as_str())
            .bind(k.counter.as_str())
            .bind(now)
            .bind(route.map(|r| r.event_type))
            .bind(route.map(|r| r.decision.as_str()))
            .bind(route.map(|r| r.outcome))
            .bind(route.map(|r| r.customer.as_str()))
            .bind(entries[entry].occurred_day())
            .bind(entries[entry].occurred_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if new == 1 {
                fresh.insert((k.company_id, event));
                new_entries.insert(entry);
                let columns = usage_columns(k.counter);
                if !columns.is_empty() {
                    let row = usage.entry((k.company_id.as_uuid(), k.phone_number_id.as_uuid())).or_default();
                    columns.iter().for_each(|&c| row[c] += 1);
                }
                stats.counted += 1;
            } else {
                stats.duplicates += 1;
            }
        }
        let day = now.date_naive();
        for ((company, number), row) in usage {
            let mut q = sqlx::query(USAGE_SQL).bind(company).bind(number).bind(day);
            for n in row {
                q = q.bind(n);
            }
            q.execute(&mut *tx).await?;
        }
        for e in entries {
            if let Some(d) = &e.dead_letter {
                sqlx::query(
                    "INSERT INTO dead_letters (event_id, event_type, reason, payload, received_at, phone_number) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(&*e.event_id)
                .bind(&d.event_type)
                .bind(d.reason)
                .bind(&d.payload)
                .bind(now)
                .bind(d.phone_number.as_deref())
                .execute(&mut *tx)
                .await?;
            }
            for i in e.outbox.iter().filter(|i| fresh.contains(&(i.company_id, &*i.event_id))) {
                let inserted = sqlx::query(
                    "INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, created_at, \
                     next_attempt_at, alternates) VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8) ON CONFLICT DO NOTHING",
                )
                .bind(i.id)
                .bind(i.company_id.as_uuid())
                .bind(&i.event_id)
                .bind(i.kind.as_str())
                .bind(&i.destination)
                .bind(&i.payload)
                .bind(now)
                .bind(crate::store::outbox::alternates_to_db(&i.alternates))
                .bind(hold.unwrap_or(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 1 {
                    stats.queued.push(i.id);
                }
            }
            for o in e.opt_changes.iter().filter(|o| fresh.contains(&(o.company_id, &*e.event_id))) {
                // Per customer the latest occurred_at wins whatever the order of arrival (on a tie,
                // the later arrival); see the PostgreSQL ledger.
                sqlx::query(
                    "INSERT INTO opt_outs (company_id, customer_number, keyword, created_at, opted_out, changed_at) \
                     VALUES ($1, $2, $3, $4, $5, $4) \
                     ON CONFLICT (company_id, customer_number) DO UPDATE SET \
                     opted_out = excluded.opted_out, \
                     keyword = CASE WHEN opt_outs.opted_out AND excluded.opted_out THEN opt_outs.keyword \
                               ELSE excluded.keyword END, \
                     created_at = CASE WHEN opt_outs.opted_out AND excluded.opted_out THEN opt_outs.created_at \
                                  ELSE excluded.created_at END, \
                     changed_at = excluded.changed_at \
                     WHERE opt_outs.changed_at <= excluded.changed_at",
                )
                .bind(o.company_id.as_uuid())
                .bind(o.customer.as_str())
                .bind(o.keyword)
                .bind(o.occurred_at)
                .bind(o.opted_out)
                .execute(&mut *tx)
                .await?;
            }
        }
        let statuses = entries.iter().flat_map(|e| &e.message_statuses);
        let fresh_statuses = statuses.filter(|m| fresh.contains(&(m.company_id, &*m.key)));
        let applied = super::sqlite_statuses::apply(&mut tx, fresh_statuses, now.timestamp_millis()).await?;
        (stats.reconciled, stats.status_forwards) = (applied.reconciled, applied.forwards);
        tx.commit().await?;
        stats.applied = applied_entries(entries, &new_entries);
        Ok(stats)
    }

    async fn purge_dedupe(&self, before: DateTime<Utc>, limit: u32) -> StorageResult<u64> {
        let done = sqlx::query(
            "DELETE FROM webhook_events WHERE (company_id, event_id, phone_number) IN (\
             SELECT company_id, event_id, phone_number FROM webhook_events WHERE received_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(limit))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn dead_letters(&self, limit: i64) -> StorageResult<Vec<(String, String, String)>> {
        Ok(sqlx::query_as("SELECT event_id, event_type, reason FROM dead_letters ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    fn ledger_writer(&self) -> Box<dyn LedgerWriter> {
        Box::new(SqliteWriter(self.clone()))
    }
}

/// SQLite is in-process and has one writer: the pool costs no round trips, so the writer uses it.
struct SqliteWriter(SqliteStore);

#[async_trait]
impl LedgerWriter for SqliteWriter {
    async fn commit(&mut self, entries: &[&LedgerEntry], hold: Option<DateTime<Utc>>) -> StorageResult<CommitStats> {
        self.0.commit_batch_holding(entries, hold).await
    }
}
