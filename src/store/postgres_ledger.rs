//! The ledger on PostgreSQL: one set-based statement over arrays (`unnest`) per batch, whatever
//! its size and content: one round trip, and the statement is its own transaction.
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::dedupe_partitions::{self, UndatedKeys};
use super::postgres::PgStore;
use super::{StoreError, StoreResult};
use crate::ledger::entry::{applied_entries, CommitStats, LedgerEntry};
use crate::ledger::store::{distinct_keys, LedgerStore, LedgerWriter, PartitionWork, StorageResult};

/// The whole batch in one statement (its own transaction, one round trip): inserts the dedupe
/// keys (with the routing log line of inbound events on the same row) and adds the keys that were
/// new to their numbers' rows of the day in `usage_daily` (these CTEs; a number's lifetime counters
/// are read from those rows, migration 0029), and, when the batch has them ([`Parts`]), writes its
/// dead letters, the outbox items and opt-out changes of events whose keys were new, and the status
/// changes of its queued messages with their forwards (`postgres_statuses.rs`, docs/SENDING.md).
/// Data-modifying CTEs all run to completion whether or not the final SELECT reads them. It
/// answers how many keys were new, which entries (by their index in the batch) had one, how many
/// status webhooks found their message by reconciliation, the ids of the outbox items it queued,
/// and how many status changes it forwarded.
const CORE_CTES: &str = "\
WITH keys AS (
    SELECT company_id, event_id, phone_number, counter, number_id, event_type, decision, outcome, entry, customer,
           coalesce(at, '-infinity') AS occurred_at, coalesce((at AT TIME ZONE 'UTC')::date, '-infinity') AS occurred_day
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[],
                $9::int4[], $26::text[], $34::timestamptz[])
        AS k(company_id, event_id, phone_number, counter, number_id, event_type, decision, outcome, entry, customer, at)
), ins AS (
    -- Into the partition of the event's day, whose unique key decides (occurred_at is the same on
    -- every redelivery, so the key conflicts there; migration 0028). A key counted before the
    -- table was partitioned sits in the default partition with day -infinity: while such keys
    -- remain ($35), it still makes its event a duplicate.
    INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, event_type, decision, outcome,
                                customer, occurred_day, occurred_at)
    SELECT company_id, event_id, phone_number, counter, now(), event_type, decision, outcome, customer, occurred_day,
           occurred_at
    FROM keys
    WHERE NOT ($35::bool AND EXISTS (
        SELECT 1 FROM webhook_events_undated u
        WHERE u.company_id = keys.company_id AND u.event_id = keys.event_id AND u.phone_number = keys.phone_number
          AND u.occurred_day = '-infinity'))
    -- One order for every node (a key's occurred_at is the same in every batch holding it): two
    -- batches holding the same keys then wait, never deadlock. It is also the day key's order.
    ORDER BY company_id, occurred_at, event_id, phone_number
    ON CONFLICT DO NOTHING
    RETURNING company_id, event_id, phone_number
), fresh AS (
    SELECT k.* FROM ins JOIN keys k USING (company_id, event_id, phone_number)
), usage AS (
    -- The daily rollup (UTC day of this commit), from the new keys only: a redelivery adds
    -- nothing. A number's lifetime counters are read from these rows (migration 0029). Rows in key
    -- order, like every other write of the batch.
    INSERT INTO usage_daily AS u (company_id, phone_number_id, day, incoming_calls, outgoing_calls, sms_sent,
                                  sms_received, delivered, failed, failed_spam, failed_throughput, failed_destination,
                                  calls_ended, calls_answered, calls_short)
    SELECT company_id, number_id, (now() AT TIME ZONE 'UTC')::date,
           count(*) FILTER (WHERE counter = 'incoming_calls'),
           count(*) FILTER (WHERE counter = 'outgoing_calls'),
           count(*) FILTER (WHERE counter = 'sms_sent'),
           count(*) FILTER (WHERE counter = 'sms_received'),
           count(*) FILTER (WHERE counter = 'delivered'),
           count(*) FILTER (WHERE counter IN ('failed', 'failed_spam', 'failed_throughput', 'failed_destination')),
           count(*) FILTER (WHERE counter = 'failed_spam'),
           count(*) FILTER (WHERE counter = 'failed_throughput'),
           count(*) FILTER (WHERE counter = 'failed_destination'),
           -- Call outcomes (call.hangup): every ended call, the answered ones, the short ones.
           count(*) FILTER (WHERE counter IN ('call_unanswered', 'call_answered', 'call_short')),
           count(*) FILTER (WHERE counter IN ('call_answered', 'call_short')),
           count(*) FILTER (WHERE counter = 'call_short')
    FROM fresh WHERE counter <> 'none'
    GROUP BY company_id, number_id
    ORDER BY company_id, number_id
    ON CONFLICT (company_id, phone_number_id, day) DO UPDATE SET
        incoming_calls = u.incoming_calls + excluded.incoming_calls,
        outgoing_calls = u.outgoing_calls + excluded.outgoing_calls,
        sms_sent = u.sms_sent + excluded.sms_sent,
        sms_received = u.sms_received + excluded.sms_received,
        delivered = u.delivered + excluded.delivered,
        failed = u.failed + excluded.failed,
        failed_spam = u.failed_spam + excluded.failed_spam,
        failed_throughput = u.failed_throughput + excluded.failed_throughput,
        failed_destination = u.failed_destination + excluded.failed_destination,
        calls_ended = u.calls_ended + excluded.calls_ended,
        calls_answered = u.calls_answered + excluded.calls_answered,
        calls_short = u.calls_short + excluded.calls_short
)";

/// The batch's dead letters (parameters $10..$13, $27).
const DEAD_CTE: &str = "
, dead AS (
    INSERT INTO dead_letters (event_id, event_type, reason, payload, received_at, phone_number)
    SELECT e, t, r, p, now(), n FROM unnest($10::text[], $11::text[], $12::text[], $13::text[], $27::text[])
        AS x(e, t, r, p, n)
    ON CONFLICT DO NOTHING)";

/// The outbox items of events whose keys were new (parameters $14..$19, $28, $36).
const OUT_CTE: &str = "
, out AS (
    INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, created_at, next_attempt_at, alternates)
    -- Due at once, or held for this node's worker until $36 (`ledger::handoff`).
    SELECT i, c, e, k, d, p, now(), coalesce($36::timestamptz, now()), a
    FROM unnest($14::uuid[], $15::uuid[], $16::text[], $17::text[], $18::text[], $19::text[], $28::text[])
        AS x(i, c, e, k, d, p, a)
    -- An event's side effects are queued with its new dedupe keys only: a redelivery queues none.
    WHERE EXISTS (SELECT 1 FROM ins WHERE ins.company_id = x.c AND ins.event_id = x.e)
    ON CONFLICT DO NOTHING
    RETURNING id)";

/// The opt-out changes of events whose keys were new (parameters $20..$25).
const OPTS_CTE: &str = "
, opts AS (
    -- STOP/START of events with new keys: per customer the latest occurred_at wins, here and
    -- against what is stored (on a tie, the later arrival).
    INSERT INTO opt_outs AS o (company_id, customer_number, keyword, created_at, opted_out, changed_at)
    SELECT DISTINCT ON (c, n) c, n, w, t, s, t
    FROM unnest($20::uuid[], $21::text[], $22::text[], $23::bool[], $24::timestamptz[], $25::text[])
        WITH ORDINALITY AS x(c, n, w, s, t, e, arrival)
    WHERE EXISTS (SELECT 1 FROM ins WHERE ins.company_id = x.c AND ins.event_id = x.e)
    ORDER BY c, n, t DESC, arrival DESC
    ON CONFLICT (company_id, customer_number) DO UPDATE SET
        opted_out = excluded.opted_out,
        keyword = CASE WHEN o.opted_out AND excluded.opted_out THEN o.keyword ELSE excluded.keyword END,
        created_at = CASE WHEN o.opted_out AND excluded.opted_out THEN o.created_at ELSE excluded.created_at END,
        changed_at = excluded.changed_at
    WHERE o.changed_at <= excluded.changed_at
)";

/// Which optional parts of the statement a batch has. An absent part costs nothing; a present one
/// with no rows would still cost its executor start-up (~0.1-0.2 ms per commit for the status
/// CTEs; each data-modifying CTE opens its table and indexes).
#[derive(Clone, Copy)]
struct Parts {
    dead: bool,
    out: bool,
    opts: bool,
    /// Status webhooks of queued messages (`postgres_statuses.rs`).
    statuses: bool,
}

impl Parts {
    fn index(self) -> usize {
        usize::from(self.dead)
            | usize::from(self.out) << 1
            | usize::from(self.opts) << 2
            | usize::from(self.statuses) << 3
    }

    /// The statement for a batch with these parts, built once per combination (16 in all), each
    /// prepared once per connection.
    fn sql(self) -> &'static str {
        static ALL: LazyLock<Vec<String>> = LazyLock::new(|| (0..16).map(Parts::of_index).map(Parts::build).collect());
        &ALL[self.index()]
    }

    fn of_index(i: usize) -> Parts {
        Parts { dead: i & 1 != 0, out: i & 2 != 0, opts: i & 4 != 0, statuses: i & 8 != 0 }
    }

    fn build(self) -> String {
        // A part the batch has nothing for is left out: its parameters are still bound, with their
        // types (sqlx names each parameter's type, so an unused one is accepted), and no table of
        // it is opened.
        let mut sql = String::from(CORE_CTES);
        for (has, part) in [(self.dead, DEAD_CTE), (self.out, OUT_CTE), (self.opts, OPTS_CTE)] {
            if has {
                sql.push_str(part);
            }
        }
        let (reconciled, status_forwards) = if self.statuses {
            sql.push_str(super::postgres_statuses::status_ctes!());
            ("(SELECT count(*) FROM reconciled)", "(SELECT count(*) FROM status_out)")
        } else {
            ("0::int8", "0::int8")
        };
        // The ids of the outbox items the statement inserted (the hand-off gives the worker those).
        let queued = if self.out { "(SELECT coalesce(array_agg(id), '{}') FROM out)" } else { "'{}'::uuid[]" };
        sql.push_str(&format!(
            "\nSELECT count(*), coalesce(array_agg(DISTINCT entry), '{{}}'), {reconciled}, {queued}, {status_forwards} \
             FROM fresh"
        ));
        sql
    }
}

/// One array per parameter of the batch statement ([`Parts::sql`]; $37..$40 are bound only when
/// it has status webhooks), in bind order.
#[derive(Default)]
struct Columns<'a> {
    // webhook_events keys and their routing log lines, and the entry carrying each: $1..$9
    key_company: Vec<Uuid>,
    key_event: Vec<&'a str>,
    key_number: Vec<&'a str>,
    key_counter: Vec<&'a str>,
    key_number_id: Vec<Uuid>,
    key_event_type: Vec<Option<&'a str>>,
    key_decision: Vec<Option<&'a str>>,
    key_outcome: Vec<Option<&'a str>>,
    key_entry: Vec<i32>,
    // dead_letters: $10..$13
    dead_event: Vec<&'a str>,
    dead_type: Vec<&'a str>,
    dead_reason: Vec<&'a str>,
    dead_payload: Vec<&'a str>,
    // outbox: $14..$19
    out_id: Vec<Uuid>,
    out_company: Vec<Uuid>,
    out_event: Vec<&'a str>,
    out_kind: Vec<&'a str>,
    out_destination: Vec<&'a str>,
    out_payload: Vec<&'a str>,
    // opt_outs: $20..$25
    opt_company: Vec<Uuid>,
    opt_customer: Vec<&'a str>,
    opt_keyword: Vec<&'a str>,
    opt_out: Vec<bool>,
    opt_at: Vec<DateTime<Utc>>,
    opt_event: Vec<&'a str>,
    // added later, bound last: the routing log's customer ($26), the dead letter's number ($27),
    // a forward's alternates as a JSON array ($28)
    key_customer: Vec<Option<&'a str>>,
    dead_number: Vec<Option<&'a str>>,
    out_alternates: Vec<Option<String>>,
    // status webhooks of queued messages: $29..$33
    status_company: Vec<Uuid>,
    status_telnyx_id: Vec<&'a str>,
    status_status: Vec<&'a str>,
    status_code: Vec<Option<&'a str>>,
    status_key: Vec<&'a str>,
    // each key's event's occurred_at, which picks its partition ($34; NULL: it has none)
    key_at: Vec<Option<DateTime<Utc>>>,
    // ...and what reconciliation and the status forwards need: $37..$40 (after the hold, $36)
    status_detail: Vec<Option<&'a str>>,
    status_from: Vec<&'a str>,
    status_to: Vec<Option<&'a str>>,
    status_at_ms: Vec<i64>,
}

impl<'a> Columns<'a> {
    fn of(entries: &[&'a LedgerEntry]) -> (Self, usize) {
        let mut c = Columns::default();
        let keys = distinct_keys(entries);
        for (entry, event, key) in &keys {
            c.key_company.push(key.company_id.as_uuid());
            c.key_event.push(event);
            c.key_number.push(key.phone_number.as_str());
            c.key_counter.push(key.counter.as_str());
            c.key_number_id.push(key.phone_number_id.as_uuid());
            let route = key.route.as_ref();
            c.key_event_type.push(route.map(|r| r.event_type));
            c.key_decision.push(route.map(|r| r.decision.as_str()));
            c.key_outcome.push(route.map(|r| r.outcome));
            c.key_customer.push(route.map(|r| r.customer.as_str()));
            c.key_entry.push(*entry as i32);
            c.key_at.push(entries[*entry].occurred_at);
        }
        for e in entries {
            if let Some(d) = &e.dead_letter {
                c.dead_event.push(&e.event_id);
                c.dead_type.push(&d.event_type);
                c.dead_reason.push(d.reason);
                c.dead_payload.push(&d.payload);
                c.dead_number.push(d.phone_number.as_deref());
            }
            for i in &e.outbox {
                c.out_id.push(i.id);
                c.out_company.push(i.company_id.as_uuid());
                c.out_event.push(&i.event_id);
                c.out_kind.push(i.kind.as_str());
                c.out_destination.push(&i.destination);
                c.out_payload.push(&i.payload);
                c.out_alternates.push(crate::store::outbox::alternates_to_db(&i.alternates));
            }
            for o in &e.opt_changes {
                c.opt_company.push(o.company_id.as_uuid());
                c.opt_customer.push(o.customer.as_str());
                c.opt_keyword.push(o.keyword);
                c.opt_out.push(o.opted_out);
                c.opt_at.push(o.occurred_at);
                c.opt_event.push(&e.event_id);
            }
            for m in &e.message_statuses {
                c.status_company.push(m.company_id.as_uuid());
                c.status_telnyx_id.push(&m.telnyx_id);
                c.status_status.push(m.status);
                c.status_code.push(m.error_code.as_deref());
                c.status_key.push(&m.key);
                c.status_detail.push(m.error_detail.as_deref());
                c.status_from.push(&m.from);
                c.status_to.push(m.to.as_deref());
                c.status_at_ms.push(m.occurred_at_ms);
            }
        }
        (c, keys.len())
    }
}

/// Runs the batch statement for `entries` on `executor` (the pool, or a
/// lane's own connection).
async fn commit_once<'e, E>(
    executor: E,
    entries: &[&LedgerEntry],
    undated: &UndatedKeys,
    hold: Option<DateTime<Utc>>,
) -> StoreResult<CommitStats>
where
    E: sqlx::PgExecutor<'e>,
{
    let (c, keys) = Columns::of(entries);
    let parts = Parts {
        dead: !c.dead_event.is_empty(),
        out: !c.out_id.is_empty(),
        opts: !c.opt_company.is_empty(),
        statuses: !c.status_company.is_empty(),
    };
    let q = sqlx::query_as(parts.sql())
        .bind(&c.key_company)
        .bind(&c.key_event)
        .bind(&c.key_number)
        .bind(&c.key_counter)
        .bind(&c.key_number_id)
        .bind(&c.key_event_type)
        .bind(&c.key_decision)
        .bind(&c.key_outcome)
        .bind(&c.key_entry)
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
        .bind(&c.opt_company)
        .bind(&c.opt_customer)
        .bind(&c.opt_keyword)
        .bind(&c.opt_out)
        .bind(&c.opt_at)
        .bind(&c.opt_event)
        .bind(&c.key_customer)
        .bind(&c.dead_number)
        .bind(&c.out_alternates)
        .bind(&c.status_company)
        .bind(&c.status_telnyx_id)
        .bind(&c.status_status)
        .bind(&c.status_code)
        .bind(&c.status_key)
        .bind(&c.key_at)
        .bind(undated.may_remain())
        .bind(hold);
    let q = if parts.statuses {
        q.bind(&c.status_detail).bind(&c.status_from).bind(&c.status_to).bind(&c.status_at_ms)
    } else {
        q
    };
    let (inserted, new_entries, reconciled, queued, status_forwards): (i64, Vec<i32>, i64, Vec<Uuid>, i64) =
        q.fetch_one(executor).await?;
    let counted = inserted as u64;
    let new_entries = new_entries.into_iter().map(|i| i as usize).collect();
    Ok(CommitStats {
        counted,
        duplicates: (keys as u64).saturating_sub(counted),
        applied: applied_entries(entries, &new_entries),
        reconciled: reconciled as u64,
        queued,
        status_forwards: status_forwards as u64,
    })
}

fn is_retryable(e: &StoreError) -> bool {
    // 40P01 deadlock / 40001 serialization failure between nodes: the batch is safe to run again.
    matches!(e.sqlstate().as_deref(), Some("40P01" | "40001"))
}

#[async_trait]
impl LedgerStore for PgStore {
    async fn commit_batch_holding(
        &self,
        entries: &[&LedgerEntry],
        hold: Option<DateTime<Utc>>,
    ) -> StorageResult<CommitStats> {
        let stats = match commit_once(&self.pool, entries, &self.undated, hold).await {
            Err(e) if is_retryable(&e) => commit_once(&self.pool, entries, &self.undated, hold).await,
            other => other,
        }?;
        Ok(stats)
    }

    /// The default partition only: day partitions go whole ([`LedgerStore::maintain_partitions`]).
    async fn purge_dedupe(&self, before: DateTime<Utc>, limit: u32) -> StorageResult<u64> {
        Ok(dedupe_partitions::purge_undated(&self.pool, before, limit).await.map_err(StoreError::from)?)
    }

    async fn maintain_partitions(&self, today: NaiveDate, cutoff: DateTime<Utc>) -> StorageResult<PartitionWork> {
        Ok(dedupe_partitions::maintain(&self.pool, &self.undated, today, cutoff).await?)
    }

    async fn dead_letters(&self, limit: i64) -> StorageResult<Vec<(String, String, String)>> {
        Ok(sqlx::query_as("SELECT event_id, event_type, reason FROM dead_letters ORDER BY id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    fn ledger_writer(&self) -> Box<dyn LedgerWriter> {
        // The commit statement is prepared once per connection. Left to itself PostgreSQL plans it
        // anew for every batch smaller than the 100 rows it assumes for `unnest` of a parameter
        // (a custom plan looks cheaper), which costs ~0.4 ms of CPU per commit, more than the rows
        // of a small batch; the generic plan is the same join order for any batch size.
        let options = (*self.pool.connect_options()).clone().options([("plan_cache_mode", "force_generic_plan")]);
        Box::new(PgWriter {
            undated: self.undated.clone(),
            options: Arc::new(options),
            connect_timeout: self.pool.options().get_acquire_timeout(),
            conn: None,
        })
    }
}

/// A ledger lane's own connection, opened on first use and again after any failure.
struct PgWriter {
    undated: UndatedKeys,
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

    async fn try_commit(&mut self, entries: &[&LedgerEntry], hold: Option<DateTime<Utc>>) -> StoreResult<CommitStats> {
        let undated = self.undated.clone();
        let result = commit_once(self.connection().await?, entries, &undated, hold).await;
        if result.is_err() {
            // Whatever went wrong, the next batch starts on a fresh connection.
            self.conn = None;
        }
        result
    }
}

#[async_trait]
impl LedgerWriter for PgWriter {
    async fn commit(&mut self, entries: &[&LedgerEntry], hold: Option<DateTime<Utc>>) -> StorageResult<CommitStats> {
        let stats = match self.try_commit(entries, hold).await {
            Err(e) if is_retryable(&e) => self.try_commit(entries, hold).await,
            other => other,
        }?;
        Ok(stats)
    }
}
