//! The ledger on PostgreSQL: set-based statements over arrays (`unnest`), one round trip per kind
//! of row, whatever the batch size.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ledger::{distinct_keys, LedgerStore};
use super::postgres::PgStore;
use super::{StoreError, StoreResult};
use crate::ledger::entry::{CommitStats, LedgerEntry};

/// Inserts the keys; for the ones that were new, adds to each number's counter in one UPDATE.
const COUNT_SQL: &str = "\
WITH keys AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[])
        AS k(company_id, event_id, phone_number, counter, number_id)
), ins AS (
    INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at)
    SELECT company_id, event_id, phone_number, counter, now() FROM keys
    -- One order for every node: two batches holding the same keys then wait, never deadlock.
    ORDER BY company_id, event_id, phone_number
    ON CONFLICT DO NOTHING
    RETURNING company_id, event_id, phone_number
), deltas AS (
    SELECT k.number_id,
           count(*) FILTER (WHERE k.counter = 'incoming_calls') AS ic,
           count(*) FILTER (WHERE k.counter = 'outgoing_calls') AS oc,
           count(*) FILTER (WHERE k.counter = 'sms_sent') AS ss,
           count(*) FILTER (WHERE k.counter = 'sms_received') AS sr
    FROM ins JOIN keys k USING (company_id, event_id, phone_number)
    GROUP BY k.number_id
    ORDER BY k.number_id
), upd AS (
    UPDATE phone_numbers p SET
        incoming_calls_count = p.incoming_calls_count + d.ic,
        outgoing_calls_count = p.outgoing_calls_count + d.oc,
        sms_sent_count = p.sms_sent_count + d.ss,
        sms_received_count = p.sms_received_count + d.sr
    FROM deltas d WHERE p.id = d.number_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM ins)";

const DEAD_LETTER_SQL: &str = "INSERT INTO dead_letters (event_id, event_type, reason, payload, received_at) \
     SELECT e, t, r, p, now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(e, t, r, p) \
     ON CONFLICT DO NOTHING";

const OUTBOX_SQL: &str = "INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, created_at, \
     next_attempt_at) SELECT i, c, e, k, d, p, now(), now() \
     FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(i, c, e, k, d, p) \
     ON CONFLICT DO NOTHING";

const ROUTING_LOG_SQL: &str = "INSERT INTO routing_log (company_id, event_id, event_type, phone_number, decision, \
     outcome, created_at) SELECT c, e, t, n, d, o, now() \
     FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(c, e, t, n, d, o) \
     ON CONFLICT DO NOTHING";

impl PgStore {
    /// Inserts the dedupe keys and applies the new ones, in one statement.
    async fn count<'e, E>(&self, keys: &[(&str, &crate::ledger::CountKey)], executor: E) -> StoreResult<CommitStats>
    where
        E: sqlx::Executor<'e, Database = sqlx::Postgres>,
    {
        if keys.is_empty() {
            return Ok(CommitStats::default());
        }
        let n = keys.len();
        let (mut companies, mut events, mut numbers, mut counters, mut ids) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for (event, k) in keys {
            companies.push(k.company_id.as_uuid());
            events.push(*event);
            numbers.push(k.phone_number.as_str());
            counters.push(k.counter.as_str());
            ids.push(k.phone_number_id.as_uuid());
        }
        let inserted: i64 = sqlx::query_scalar(COUNT_SQL)
            .bind(&companies)
            .bind(&events)
            .bind(&numbers)
            .bind(&counters)
            .bind(&ids)
            .fetch_one(executor)
            .await?;
        let counted = inserted as u64;
        Ok(CommitStats { counted, duplicates: (n as u64).saturating_sub(counted) })
    }

    async fn commit_once(&self, entries: &[&LedgerEntry]) -> StoreResult<CommitStats> {
        let keys = distinct_keys(entries);
        let only_counts =
            entries.iter().all(|e| e.dead_letter.is_none() && e.outbox.is_empty() && e.routing_log.is_empty());
        if only_counts {
            // One statement is its own transaction: one round trip instead of three.
            return self.count(&keys, &self.pool).await;
        }
        let mut tx = self.pool.begin().await?;
        let stats = if keys.is_empty() { CommitStats::default() } else { self.count(&keys, &mut *tx).await? };
        {
            let n = keys.len();
            let (mut companies, mut events, mut numbers, mut counters, mut ids) = (
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
                Vec::with_capacity(n),
            );
            for (event, k) in &keys {
                companies.push(k.company_id.as_uuid());
                events.push(*event);
                numbers.push(k.phone_number.as_str());
                counters.push(k.counter.as_str());
                ids.push(k.phone_number_id.as_uuid());
            }
        }
        let dead: Vec<(&str, &LedgerEntry)> =
            entries.iter().filter(|e| e.dead_letter.is_some()).map(|e| (&*e.event_id, *e)).collect();
        if !dead.is_empty() {
            let mut cols: (Vec<&str>, Vec<&str>, Vec<&str>, Vec<&str>) = Default::default();
            for (id, e) in &dead {
                let d = e.dead_letter.as_ref().expect("filtered");
                cols.0.push(id);
                cols.1.push(&d.event_type);
                cols.2.push(d.reason);
                cols.3.push(&d.payload);
            }
            sqlx::query(DEAD_LETTER_SQL)
                .bind(&cols.0)
                .bind(&cols.1)
                .bind(&cols.2)
                .bind(&cols.3)
                .execute(&mut *tx)
                .await?;
        }
        let items: Vec<_> = entries.iter().flat_map(|e| e.outbox.iter()).collect();
        if !items.is_empty() {
            let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
            let companies: Vec<Uuid> = items.iter().map(|i| i.company_id.as_uuid()).collect();
            let events: Vec<&str> = items.iter().map(|i| i.event_id.as_str()).collect();
            let kinds: Vec<&str> = items.iter().map(|i| i.kind.as_str()).collect();
            let dests: Vec<&str> = items.iter().map(|i| i.destination.as_str()).collect();
            let payloads: Vec<&str> = items.iter().map(|i| i.payload.as_str()).collect();
            sqlx::query(OUTBOX_SQL)
                .bind(&ids)
                .bind(&companies)
                .bind(&events)
                .bind(&kinds)
                .bind(&dests)
                .bind(&payloads)
                .execute(&mut *tx)
                .await?;
        }
        let logs: Vec<(&str, &crate::ledger::RoutingLogEntry)> =
            entries.iter().flat_map(|e| e.routing_log.iter().map(move |l| (&*e.event_id, l))).collect();
        if !logs.is_empty() {
            let companies: Vec<Uuid> = logs.iter().map(|(_, l)| l.company_id.as_uuid()).collect();
            let events: Vec<&str> = logs.iter().map(|(e, _)| *e).collect();
            let types: Vec<&str> = logs.iter().map(|(_, l)| l.event_type.as_str()).collect();
            let numbers: Vec<&str> = logs.iter().map(|(_, l)| l.phone_number.as_str()).collect();
            let decisions: Vec<&str> = logs.iter().map(|(_, l)| l.decision.as_str()).collect();
            let outcomes: Vec<&str> = logs.iter().map(|(_, l)| l.outcome.as_str()).collect();
            sqlx::query(ROUTING_LOG_SQL)
                .bind(&companies)
                .bind(&events)
                .bind(&types)
                .bind(&numbers)
                .bind(&decisions)
                .bind(&outcomes)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(stats)
    }
}

fn is_retryable(e: &StoreError) -> bool {
    // 40P01 deadlock / 40001 serialization failure between nodes: the batch is safe to run again.
    matches!(e, StoreError::Database(m) if m.contains("deadlock") || m.contains("could not serialize"))
}

#[async_trait]
impl LedgerStore for PgStore {
    async fn commit_batch(&self, entries: &[&LedgerEntry]) -> StoreResult<CommitStats> {
        match self.commit_once(entries).await {
            Err(e) if is_retryable(&e) => self.commit_once(entries).await,
            other => other,
        }
    }

    async fn purge_dedupe(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let done =
            sqlx::query("DELETE FROM webhook_events WHERE received_at < $1").bind(before).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    async fn dead_letters(&self, limit: i64) -> StoreResult<Vec<(String, String, String)>> {
        Ok(sqlx::query_as("SELECT event_id, event_type, reason FROM dead_letters ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }
}
