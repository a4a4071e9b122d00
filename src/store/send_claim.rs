//! The send queue's claim: one transaction that reads the due messages in fair order and the
//! limiters they pass, lets the caller's [`Admission`] decide which go and when, writes the
//! limiters it moved and marks those messages `sending` under a lease. Claims run one at a time
//! over every node: on PostgreSQL each first locks one row (the fair clock's) and holds it to its
//! commit, so the limits hold for the sum of every node's claims and no message is claimed twice;
//! SQLite takes its write lock at the start (one node). Locking that one row instead of every
//! candidate and limiter row (~2,000 per claim) is most of what a claim cost PostgreSQL.
use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::Serialize;

use super::send_queue::OutboundRecord;
use super::StoreResult;

/// One limiter's state: GCRA's theoretical arrival time, and a daily budget's count in its day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Limiter {
    pub key: String,
    /// Unix microseconds: the earliest time the next message may pass.
    pub tat_us: i64,
    /// The day `used` counts in (a daily budget), e.g. `2026-12-04`.
    pub day: Option<String>,
    pub used: i64,
}

/// How many candidates one claim reads, at most, and per sender type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimSize {
    pub candidates: i64,
    /// Messages one claim takes, at most (the sends this node has free).
    pub admitted: i64,
    /// Per sending number: at most this many of its messages are candidates (no more could pass
    /// within one claim), for short codes, toll-free numbers and the rest.
    pub per_short_code: i64,
    pub per_toll_free: i64,
    pub per_other: i64,
}

/// Decides which candidates go and when; the store holds the claim's lock meanwhile.
pub trait Admission: Send + Sync {
    /// The limiter keys `m` passes.
    fn keys(&self, m: &OutboundRecord) -> Vec<String>;
    /// The time the admission decides at (Unix µs), read once the claim holds its lock. A claim
    /// may wait for it (another node's claim, SQLite's write lock): slots reckoned from
    /// the time the claim began would already have passed when it could send them, and sends that
    /// all leave late bunch up. By default the time the claim began.
    fn decided_at_us(&self, claimed_at_us: i64) -> i64 {
        claimed_at_us
    }
    /// Walks `candidates` in order (fair order) and returns the index of each admitted one with
    /// its send time (Unix µs), at most `most` of them, advancing `limiters` (every key of every
    /// candidate is there).
    fn admit(
        &self,
        now_us: i64,
        candidates: &[OutboundRecord],
        limiters: &mut BTreeMap<String, Limiter>,
        most: usize,
    ) -> Vec<(usize, i64)>;
}

/// A claimed message and when it may be sent (Unix µs).
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    pub message: OutboundRecord,
    pub send_at_us: i64,
}

#[async_trait]
pub trait SendClaimStore: Send + Sync {
    /// Claims what `admission` admits among the due queued messages, leasing them until
    /// `lease_until_ms` (status `sending`, one more attempt recorded) before anything is sent.
    async fn claim_sends(
        &self,
        now_us: i64,
        lease_until_ms: i64,
        size: ClaimSize,
        admission: &dyn Admission,
    ) -> StoreResult<Vec<Claimed>>;
    /// Pushes a limiter's next free time to at least `until_us` (Telnyx said to slow down).
    async fn push_limiter(&self, key: &str, until_us: i64) -> StoreResult<()>;
    /// GCRA in one statement: takes the next slot of `key` (spaced `interval_us`) when it is at
    /// most `max_wait_us` away; returns its time (Unix µs), or `None` (nothing taken).
    async fn take_slot(&self, key: &str, now_us: i64, interval_us: i64, max_wait_us: i64) -> StoreResult<Option<i64>>;
    /// The limiters of `keys` as stored (tests and diagnostics).
    async fn limiters(&self, keys: &[String]) -> StoreResult<Vec<Limiter>>;
}

/// The due queued messages a claim may consider: each sender's first few in fair-tag order (no
/// more could pass within one claim), from the dialect's heads of each sender's queue. Columns
/// `company_id`, `id`, `fair_tag`; `$1` now (ms), `$3..$5` the per-sender bounds.
fn heads_sql(d: &super::send_sql::Dialect) -> String {
    format!(
        "SELECT r.company_id, r.id, r.fair_tag FROM ({heads}) r \
         WHERE r.rank <= CASE r.sender_type WHEN 'short_code' THEN $3 WHEN 'toll_free' THEN $4 ELSE $5 END",
        heads = d.sender_heads
    )
}

/// The claim's candidates in one statement, in fair-tag order, at most `$2` (SQLite: one node,
/// the write lock already held, so nothing can change under the statement).
pub(crate) fn candidates_sql(d: &super::send_sql::Dialect) -> String {
    format!(
        "{with} SELECT {cols} FROM outbound_messages m JOIN ({heads}) h ON m.company_id = h.company_id AND m.id = h.id \
         ORDER BY m.fair_tag, m.id LIMIT $2",
        with = d.sender_heads_with,
        heads = heads_sql(d),
        cols = super::send_queue::OUTBOUND_COLUMNS
    )
}

/// The keys of the claim's candidates, in fair-tag order, at most `$2` (PostgreSQL's first step).
pub(crate) fn candidate_keys_sql(d: &super::send_sql::Dialect) -> String {
    format!(
        "{with} SELECT h.company_id, h.id FROM ({heads}) h ORDER BY h.fair_tag, h.id LIMIT $2",
        with = d.sender_heads_with,
        heads = heads_sql(d)
    )
}

/// PostgreSQL's second step: the candidates named in the JSON array `$1` (objects with
/// `company_id` and `id`), still queued, in fair-tag order. Reached through the primary key
/// whatever the table's statistics say: one statement joining the ranked heads to the table was
/// once planned as a loop over the whole table when its statistics were stale (seconds a claim).
pub(crate) fn candidates_by_keys_sql() -> String {
    format!(
        "SELECT {cols} FROM jsonb_to_recordset($1::jsonb) AS k(company_id uuid, id uuid) \
         JOIN outbound_messages m ON m.company_id = k.company_id AND m.id = k.id \
         WHERE m.status = 'queued' ORDER BY m.fair_tag, m.id",
        cols = super::send_queue::OUTBOUND_COLUMNS
    )
}

/// Binds what both candidate statements read: `$1` now (ms), `$2` the most candidates, `$3..$5`
/// the per-sender bounds of `size`.
macro_rules! bind_claim_size {
    ($q:expr, $now_ms:expr, $size:expr) => {
        $q.bind($now_ms)
            .bind($size.candidates)
            .bind($size.per_short_code)
            .bind($size.per_toll_free)
            .bind($size.per_other)
    };
}
pub(crate) use bind_claim_size;

/// Messages' primary keys as the JSON array the PostgreSQL statements read with
/// `jsonb_to_recordset(...) AS k(company_id uuid, id uuid)`.
pub(crate) fn keys_json(keys: impl IntoIterator<Item = (uuid::Uuid, uuid::Uuid)>) -> String {
    let keys: Vec<serde_json::Value> =
        keys.into_iter().map(|(company_id, id)| serde_json::json!({"company_id": company_id, "id": id})).collect();
    serde_json::Value::from(keys).to_string()
}

/// Marks one claimed message `sending`: lease until `$3`, at `$4`.
pub(crate) const MARK_SENDING: &str = "UPDATE outbound_messages SET status = 'sending', attempts = attempts + 1, \
     lease_until_ms = $3, updated_at_ms = $4 WHERE company_id = $1 AND id = $2 AND status = 'queued'";

/// PostgreSQL: marks the claimed messages named in the JSON array `$1` (objects with `company_id`
/// and `id`) `sending`, lease until `$2`, at `$3`; answers the ids it marked.
pub(crate) const MARK_SENDING_BY_KEYS: &str = "UPDATE outbound_messages m SET status = 'sending', \
     attempts = m.attempts + 1, lease_until_ms = $2, updated_at_ms = $3 \
     FROM jsonb_to_recordset($1::jsonb) AS k(company_id uuid, id uuid) \
     WHERE m.company_id = k.company_id AND m.id = k.id AND m.status = 'queued' RETURNING m.id";

macro_rules! impl_send_claim_store {
    ($store:ty, $dialect:path) => {
        #[async_trait::async_trait]
        impl $crate::store::send_claim::SendClaimStore for $store {
            async fn claim_sends(
                &self,
                now_us: i64,
                lease_until_ms: i64,
                size: $crate::store::send_claim::ClaimSize,
                admission: &dyn $crate::store::send_claim::Admission,
            ) -> $crate::store::StoreResult<Vec<$crate::store::send_claim::Claimed>> {
                use std::collections::BTreeMap;
                use $crate::store::send_claim::{Claimed, Limiter};
                use $crate::store::send_queue::{OutboundRecord, OutboundRow, FAIR_CLOCK};
                let d = &$dialect;
                let now_ms = now_us.div_euclid(1000);
                // Nothing due: no transaction (on SQLite, no write lock taken from the ledger).
                let due: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM outbound_messages WHERE status = 'queued' AND send_at_ms <= $1 LIMIT 1",
                )
                .bind(now_ms)
                .fetch_optional(&self.pool)
                .await?;
                if due.is_none() {
                    return Ok(Vec::new());
                }
                let mut tx = self.pool.begin_with(d.begin).await?;
                // One claim at a time over every node: each holds the fair clock's row to its
                // commit (SQLite: the write lock BEGIN IMMEDIATE took). Every statement after this
                // one sees the claims committed before, so the candidates need no row locks and
                // the limiters read are the latest (only `push_limiter` writes one meanwhile, and
                // the write below keeps the later of the two times).
                if let Some(gate) = d.claim_gate {
                    sqlx::query(
                        "INSERT INTO send_limiters (key, tat_us, used) VALUES ($1, 0, 0) ON CONFLICT (key) DO NOTHING",
                    )
                    .bind(FAIR_CLOCK)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query(gate).bind(FAIR_CLOCK).execute(&mut *tx).await?;
                }
                let rows: Vec<OutboundRow> = if d.candidates_by_key {
                    let keys: Vec<(uuid::Uuid, uuid::Uuid)> = $crate::store::send_claim::bind_claim_size!(
                        sqlx::query_as(&$crate::store::send_claim::candidate_keys_sql(d)),
                        now_ms,
                        size
                    )
                    .fetch_all(&mut *tx)
                    .await?;
                    sqlx::query_as(&$crate::store::send_claim::candidates_by_keys_sql())
                        .bind($crate::store::send_claim::keys_json(keys))
                        .fetch_all(&mut *tx)
                        .await?
                } else {
                    $crate::store::send_claim::bind_claim_size!(
                        sqlx::query_as(&$crate::store::send_claim::candidates_sql(d)),
                        now_ms,
                        size
                    )
                    .fetch_all(&mut *tx)
                    .await?
                };
                if rows.is_empty() {
                    tx.commit().await?;
                    return Ok(Vec::new());
                }
                let candidates = rows.into_iter().map(TryInto::try_into).collect::<Result<Vec<OutboundRecord>, _>>()?;
                let mut keys: Vec<String> = candidates.iter().flat_map(|m| admission.keys(m)).collect();
                keys.push(FAIR_CLOCK.to_owned());
                keys.sort();
                keys.dedup();
                let keys_json = serde_json::Value::from(keys).to_string();
                // A key with no row yet starts fresh (the admission's default); rows are written
                // for the limiters the admission moved only.
                let stored: Vec<Limiter> = sqlx::query_as(&format!(
                    "SELECT key, tat_us, day, used FROM send_limiters WHERE key IN ({})",
                    d.json_keys
                ))
                .bind(&keys_json)
                .fetch_all(&mut *tx)
                .await?;
                let mut limiters: BTreeMap<String, Limiter> = stored.into_iter().map(|l| (l.key.clone(), l)).collect();
                // The fair clock moves with every claim (below), so it needs its row even before
                // the first (SQLite has no gate to insert it).
                limiters.entry(FAIR_CLOCK.to_owned()).or_insert_with(|| Limiter {
                    key: FAIR_CLOCK.to_owned(),
                    tat_us: 0,
                    day: None,
                    used: 0,
                });
                let before = limiters.clone();
                let decided_at_us = admission.decided_at_us(now_us).max(now_us);
                let most = usize::try_from(size.admitted).unwrap_or(0);
                let admitted = admission.admit(decided_at_us, &candidates, &mut limiters, most);
                if let Some(top) = admitted.iter().map(|(i, _)| candidates[*i].fair_tag).max() {
                    if let Some(clock) = limiters.get_mut(FAIR_CLOCK) {
                        clock.tat_us = clock.tat_us.max(top);
                    }
                }
                let changed: Vec<&Limiter> = limiters.values().filter(|l| before.get(&l.key) != Some(*l)).collect();
                if !changed.is_empty() {
                    let json = serde_json::to_string(&changed)
                        .map_err(|e| $crate::store::StoreError::Corrupt(format!("limiters: {e}")))?;
                    sqlx::query(d.write_limiters).bind(json).execute(&mut *tx).await?;
                }
                // Marks the admitted messages `sending` under the lease, if still queued (a message
                // expired or cancelled since the candidates were read keeps its state; its slot
                // goes unused). PostgreSQL: one statement for the claim.
                let marked: std::collections::HashSet<uuid::Uuid> = if d.mark_in_one_statement {
                    let keys = admitted.iter().map(|(i, _)| (candidates[*i].company_id.as_uuid(), candidates[*i].id));
                    sqlx::query_scalar($crate::store::send_claim::MARK_SENDING_BY_KEYS)
                        .bind($crate::store::send_claim::keys_json(keys))
                        .bind(lease_until_ms)
                        .bind(now_ms)
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .collect()
                } else {
                    let mut marked = std::collections::HashSet::new();
                    for (i, _) in &admitted {
                        let m = &candidates[*i];
                        let updated = sqlx::query($crate::store::send_claim::MARK_SENDING)
                            .bind(m.company_id.as_uuid())
                            .bind(m.id)
                            .bind(lease_until_ms)
                            .bind(now_ms)
                            .execute(&mut *tx)
                            .await?;
                        if updated.rows_affected() == 1 {
                            marked.insert(m.id);
                        }
                    }
                    marked
                };
                let claimed: Vec<Claimed> = admitted
                    .into_iter()
                    .filter(|(i, _)| marked.contains(&candidates[*i].id))
                    .map(|(i, send_at_us)| {
                        let mut message = candidates[i].clone();
                        message.status = $crate::store::send_queue::SendStatus::Sending;
                        message.attempts += 1;
                        Claimed { message, send_at_us }
                    })
                    .collect();
                tx.commit().await?;
                Ok(claimed)
            }

            async fn push_limiter(&self, key: &str, until_us: i64) -> $crate::store::StoreResult<()> {
                let d = &$dialect;
                sqlx::query(&format!(
                    "INSERT INTO send_limiters (key, tat_us, used) VALUES ($1, $2, 0) ON CONFLICT (key) \
                     DO UPDATE SET tat_us = {}(send_limiters.tat_us, excluded.tat_us)",
                    d.greatest
                ))
                .bind(key)
                .bind(until_us)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn take_slot(
                &self,
                key: &str,
                now_us: i64,
                interval_us: i64,
                max_wait_us: i64,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let g = $dialect.greatest;
                let next: Option<i64> = sqlx::query_scalar(&format!(
                    "INSERT INTO send_limiters (key, tat_us, used) VALUES ($1, $2 + $3, 0) ON CONFLICT (key) \
                     DO UPDATE SET tat_us = {g}(send_limiters.tat_us, $2) + $3 \
                     WHERE {g}(send_limiters.tat_us, $2) - $2 <= $4 RETURNING tat_us"
                ))
                .bind(key)
                .bind(now_us)
                .bind(interval_us)
                .bind(max_wait_us)
                .fetch_optional(&self.pool)
                .await?;
                Ok(next.map(|tat| tat - interval_us))
            }

            async fn limiters(
                &self,
                keys: &[String],
            ) -> $crate::store::StoreResult<Vec<$crate::store::send_claim::Limiter>> {
                let json = serde_json::Value::from(keys.to_vec()).to_string();
                let rows = sqlx::query_as(&format!(
                    "SELECT key, tat_us, day, used FROM send_limiters WHERE key IN ({}) ORDER BY key",
                    $dialect.json_keys
                ))
                .bind(json)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows)
            }
        }
    };
}
pub(crate) use impl_send_claim_store;
