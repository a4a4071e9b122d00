//! The ledger on PostgreSQL: one set-based statement over arrays (`unnest`) per batch, whatever
//! its size and content: one round trip, and the statement is its own transaction.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::ledger::{distinct_keys, LedgerStore, LedgerWriter};
use super::postgres::PgStore;
use super::{StoreError, StoreResult};
use crate::ledger::entry::{CommitStats, LedgerEntry};

/// The whole batch in one statement (its own transaction, one round trip): inserts the dedupe
/// keys, adds to each number's counters for the keys that were new, and writes the batch's dead
/// letters, outbox items and routing-log lines. Data-modifying CTEs all run to completion whether
/// or not the final SELECT reads them; an empty array inserts nothing.
const COMMIT_SQL: &str = "\
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
), dead AS (
    INSERT INTO dead_letters (event_id, event_type, reason, payload, received_at)
    SELECT e, t, r, p, now() FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) AS x(e, t, r, p)
    ON CONFLICT DO NOTHING
), out AS (
    INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, created_at, next_attempt_at)
    SELECT i, c, e, k, d, p, now(), now()
    FROM unnest($10::uuid[], $11::uuid[], $12::text[], $13::text[], $14::text[], $15::text[]) AS x(i, c, e, k, d, p)
    ON CONFLICT DO NOTHING
), log AS (
    INSERT INTO routing_log (company_id, event_id, event_type, phone_number, decision, outcome, created_at)
    SELECT c, e, t, n, d, o, now()
    FROM unnest($16::uuid[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[]) AS x(c, e, t, n, d, o)
    ON CONFLICT DO NOTHING
)
SELECT count(*) FROM ins";

/// One array per column of [`COMMIT_SQL`]'s parameters, in bind order.
#[derive(Default)]
struct Columns<'a> {
    // webhook_events keys: $1..$5
    key_company: Vec<Uuid>,
    key_event: Vec<&'a str>,
    key_number: Vec<&'a str>,
    key_counter: Vec<&'a str>,
    key_number_id: Vec<Uuid>,
    // dead_letters: $6..$9
    dead_event: Vec<&'a str>,
    dead_type: Vec<&'a str>,
    dead_reason: Vec<&'a str>,
    dead_payload: Vec<&'a str>,
    // outbox: $10..$15
    out_id: Vec<Uuid>,
    out_company: Vec<Uuid>,
    out_event: Vec<&'a str>,
    out_kind: Vec<&'a str>,
    out_destination: Vec<&'a str>,
    out_payload: Vec<&'a str>,
    // routing_log: $16..$21
    log_company: Vec<Uuid>,
    log_event: Vec<&'a str>,
    log_type: Vec<&'a str>,
    log_number: Vec<&'a str>,
    log_decision: Vec<&'a str>,
    log_outcome: Vec<&'a str>,
}

impl<'a> Columns<'a> {
    fn of(entries: &[&'a LedgerEntry]) -> (Self, usize) {
        let mut c = Columns::default();
        let keys = distinct_keys(entries);
        for (event, key) in &keys {
            c.key_company.push(key.company_id.as_uuid());
            c.key_event.push(event);
            c.key_number.push(key.phone_number.as_str());
            c.key_counter.push(key.counter.as_str());
            c.key_number_id.push(key.phone_number_id.as_uuid());
        }
        for e in entries {
            if let Some(d) = &e.dead_letter {
                c.dead_event.push(&e.event_id);
                c.dead_type.push(&d.event_type);
                c.dead_reason.push(d.reason);
                c.dead_payload.push(&d.payload);
            }
            for i in &e.outbox {
                c.out_id.push(i.id);
                c.out_company.push(i.company_id.as_uuid());
                c.out_event.push(&i.event_id);
                c.out_kind.push(i.kind.as_str());
                c.out_destination.push(&i.destination);
                c.out_payload.push(&i.payload);
            }
            for l in &e.routing_log {
                c.log_company.push(l.company_id.as_uuid());
                c.log_event.push(&e.event_id);
                c.log_type.push(&l.event_type);
                c.log_number.push(l.phone_number.as_str());
                c.log_decision.push(&l.decision);
                c.log_outcome.push(&l.outcome);
            }
        }
        (c, keys.len())
    }
}

/// Runs [`COMMIT_SQL`] for `entries` on `executor` (the pool, or a lane's own connection).
async fn commit_once<'e, E>(executor: E, entries: &[&LedgerEntry]) -> StoreResult<CommitStats>
where
    E: sqlx::PgExecutor<'e>,
{
    let (c, keys) = Columns::of(entries);
    let inserted: i64 = sqlx::query_scalar(COMMIT_SQL)
        .bind(&c.key_company)
        .bind(&c.key_event)
        .bind(&c.key_number)
        .bind(&c.key_counter)
        .bind(&c.key_number_id)
        .bind(&c.dead_event)
        .bind(&c.dead_type)
        .bind(&c.dead_reason)
        .bind(&c.dead_payload)
        .bind(&c.out_id)
        .bind(&c.out_company)
        .bind(&c.out_event)
        .bind(&c.out_kind)
        .bind(&c.out_destination)
        .bind(&c.out_payload)
        .bind(&c.log_company)
        .bind(&c.log_event)
        .bind(&c.log_type)
        .bind(&c.log_number)
        .bind(&c.log_decision)
        .bind(&c.log_outcome)
        .fetch_one(executor)
        .await?;
    let counted = inserted as u64;
    Ok(CommitStats { counted, duplicates: (keys as u64).saturating_sub(counted) })
}

fn is_retryable(e: &StoreError) -> bool {
    // 40P01 deadlock / 40001 serialization failure between nodes: the batch is safe to run again.
    matches!(e, StoreError::Database(m) if m.contains("deadlock") || m.contains("could not serialize"))
}

#[async_trait]
impl LedgerStore for PgStore {
    async fn commit_batch(&self, entries: &[&LedgerEntry]) -> StoreResult<CommitStats> {
        match commit_once(&self.pool, entries).await {
            Err(e) if is_retryable(&e) => commit_once(&self.pool, entries).await,
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

    fn ledger_writer(&self) -> Box<dyn LedgerWriter> {
        Box::new(PgWriter {
            options: self.pool.connect_options(),
            connect_timeout: self.pool.options().get_acquire_timeout(),
            conn: None,
        })
    }
}

/// A ledger lane's own connection, opened on first use and again after any failure.
struct PgWriter {
    options: Arc<PgConnectOptions>,
    connect_timeout: Duration,
    conn: Option<PgConnection>,
}

impl PgWriter {
    async fn connection(&mut self) -> StoreResult<&mut PgConnection> {
        if self.conn.is_none() {
            let connect = PgConnection::connect_with(&self.options);
            let conn = tokio::time::timeout(self.connect_timeout, connect)
                .await
                .map_err(|_| StoreError::Unavailable("timed out connecting to PostgreSQL".into()))??;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("just connected"))
    }

    async fn try_commit(&mut self, entries: &[&LedgerEntry]) -> StoreResult<CommitStats> {
        let result = commit_once(self.connection().await?, entries).await;
        if result.is_err() {
            // Whatever went wrong, the next batch starts on a fresh connection.
            self.conn = None;
        }
        result
    }
}

#[async_trait]
impl LedgerWriter for PgWriter {
    async fn commit(&mut self, entries: &[&LedgerEntry]) -> StoreResult<CommitStats> {
        match self.try_commit(entries).await {
            Err(e) if is_retryable(&e) => self.try_commit(entries).await,
            other => other,
        }
    }
}
