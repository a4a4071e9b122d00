//! Storage of the outbox: claiming due rows under a lease, recording each attempt's outcome,
//! and the reads behind metrics and the admin API.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::CompanyId;
use crate::ledger::outbox_item::{OutboxItem, OutboxKind};
use crate::store::outbox_admin::OutboxFilter;
use crate::store::page::{OutboxKey, Window};
use crate::store::{StoreError, StoreResult};

/// An outbox row as the worker and the admin API see it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEntry {
    pub item: OutboxItem,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Which URL a forward is on: 0 the primary, n its alternate n (`item.alternates[n - 1]`).
    pub hop: i32,
    /// Why it gave up (status failed or disabled).
    pub failure: Option<Failure>,
}

impl OutboxEntry {
    /// An item just committed, pending its first attempt, due at `next_attempt_at`.
    pub fn fresh(item: OutboxItem, next_attempt_at: DateTime<Utc>, created_at: DateTime<Utc>) -> Self {
        OutboxEntry {
            item,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at,
            last_error: None,
            created_at,
            delivered_at: None,
            hop: 0,
            failure: None,
        }
    }
}

/// Why an outbox item gave up: its metric label and stored text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Every attempt on its last URL (a forward: on each URL in turn) failed.
    Exhausted,
    /// It could never succeed (a bad payload, a call that ended).
    Permanent,
    /// A forward whose last URL answered 410 Gone or is a disabled endpoint (status `disabled`).
    Disabled,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Exhausted => "exhausted",
            Failure::Permanent => "permanent",
            Failure::Disabled => "disabled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Failure::Exhausted, Failure::Permanent, Failure::Disabled].into_iter().find(|f| f.as_str() == s)
    }

    /// The status of an item that gave up for this reason.
    pub fn status(self) -> &'static str {
        match self {
            Failure::Disabled => "disabled",
            _ => "failed",
        }
    }
}

/// A forward's alternates as stored: a JSON array, NULL when there are none.
pub(crate) fn alternates_to_db(alternates: &[String]) -> Option<String> {
    (!alternates.is_empty()).then(|| serde_json::to_string(alternates).expect("strings serialize"))
}

/// Rows per status, for the `switchboard_outbox_pending` gauge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queues items; one already queued for the same (company, event, kind) is left alone.
    /// Returns how many were new. (The ledger inserts its items inside its own commit.)
    async fn insert_outbox_items(&self, items: &[OutboxItem]) -> StoreResult<u64>;
    /// Claims up to `limit` pending rows due at `now`, leasing them until `lease_until` so that no
    /// other worker (or node) takes them meanwhile. A crash mid-delivery frees them at lease end.
    async fn claim_due_outbox(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxEntry>>;
    async fn mark_outbox_delivered(&self, id: Uuid, attempts: i32) -> StoreResult<()> {
        self.mark_outbox_delivered_many(&[id], attempts).await
    }
    /// Marks `ids` delivered after `attempts` attempts each, in one statement.
    async fn mark_outbox_delivered_many(&self, ids: &[Uuid], attempts: i32) -> StoreResult<()>;
    /// Makes pending items `ids` due at `now` (items a stopping node held and did not attempt);
    /// answers how many were still pending.
    async fn release_outbox(&self, ids: &[Uuid], now: DateTime<Utc>) -> StoreResult<u64>;
    async fn mark_outbox_retry(
        &self,
        id: Uuid,
        attempts: i32,
        next_attempt_at: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<()>;
    /// Gave up after its last attempt (status failed, failure exhausted).
    async fn mark_outbox_failed(&self, id: Uuid, attempts: i32, error: &str) -> StoreResult<()> {
        self.mark_outbox_gave_up(id, attempts, Failure::Exhausted, error).await
    }
    /// Gave up for `failure` (status failed, or disabled); an item an admin cancelled meanwhile
    /// stays cancelled.
    async fn mark_outbox_gave_up(&self, id: Uuid, attempts: i32, failure: Failure, error: &str) -> StoreResult<()>;
    /// A forward on hop `from_hop` moved on to its alternate `url` (hop `to_hop`; disabled ones
    /// between are skipped): attempts from zero, due at `now`. One update of the row, and only
    /// from that hop: a move is made once even if two workers decided it. Returns whether it moved.
    async fn move_outbox_to_alternate(
        &self,
        id: Uuid,
        from_hop: i32,
        to_hop: i32,
        url: &str,
        now: DateTime<Utc>,
        error: &str,
    ) -> StoreResult<bool>;
    /// Rows by status: a scan of the whole outbox (for tests and occasional reads).
    async fn outbox_counts(&self) -> StoreResult<OutboxCounts>;
    /// Pending rows only: read through the partial index of pending rows, so its cost follows the
    /// backlog, not the outbox's history (what the worker's gauge reads).
    async fn outbox_pending_count(&self) -> StoreResult<i64>;
    /// The company's most recent rows first, those `filter` lets through, a window at a time.
    async fn page_outbox(
        &self,
        company: CompanyId,
        filter: &OutboxFilter,
        window: &Window<OutboxKey>,
    ) -> StoreResult<Vec<OutboxEntry>>;
    /// The company's `limit` most recent rows.
    async fn list_outbox(&self, company: CompanyId, limit: i64) -> StoreResult<Vec<OutboxEntry>> {
        self.page_outbox(company, &OutboxFilter::default(), &Window::first(limit)).await
    }
}

pub(crate) const OUTBOX_COLUMNS: &str = "id, company_id, event_id, kind, destination, payload, status, attempts, \
     next_attempt_at, last_error, created_at, delivered_at, alternates, hop, failure";

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub event_id: String,
    pub kind: String,
    pub destination: String,
    pub payload: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub alternates: Option<String>,
    pub hop: i32,
    pub failure: Option<String>,
}

impl TryFrom<OutboxRow> for OutboxEntry {
    type Error = StoreError;
    fn try_from(r: OutboxRow) -> StoreResult<Self> {
        let kind = OutboxKind::parse(&r.kind).ok_or_else(|| StoreError::Corrupt(format!("outbox.kind: {}", r.kind)))?;
        let alternates = match r.alternates.as_deref() {
            None => Vec::new(),
            Some(json) => {
                serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("outbox.alternates: {e}")))?
            }
        };
        let failure = r
            .failure
            .as_deref()
            .map(|f| Failure::parse(f).ok_or_else(|| StoreError::Corrupt(format!("outbox.failure: {f}"))))
            .transpose()?;
        Ok(OutboxEntry {
            item: OutboxItem {
                id: r.id,
                company_id: CompanyId::from_uuid(r.company_id),
                event_id: r.event_id,
                kind,
                destination: r.destination,
                payload: r.payload,
                alternates,
            },
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
            hop: r.hop,
            failure,
        })
    }
}

/// Appends ` IN (id, id, ...)` to `q`, one bind per id: SQLite's id list in the outbox's batch
/// updates (it has no arrays).
pub(crate) fn push_id_list(q: &mut sqlx::QueryBuilder<'_, sqlx::Sqlite>, ids: &[Uuid]) {
    q.push(" IN (");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}

/// Appends ` = ANY($n)` to `q`, the ids bound as one array: PostgreSQL's id list, one prepared
/// statement whatever the number of ids (a list of binds is a statement per length).
pub(crate) fn push_id_array(q: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, ids: &[Uuid]) {
    q.push(" = ANY(").push_bind(ids.to_vec()).push(")");
}

/// Implements [`OutboxStore`]; `$lock` is the row-locking clause of the claim's subquery
/// (`FOR UPDATE SKIP LOCKED` on PostgreSQL; empty on SQLite, whose writers are serialized);
/// `$ids` appends the backend's id list ([`push_id_array`], [`push_id_list`]).
macro_rules! impl_outbox_store {
    ($store:ty, $lock:literal, $ids:path) => {
        #[async_trait::async_trait]
        impl $crate::store::outbox::OutboxStore for $store {
            async fn insert_outbox_items(
                &self,
                items: &[$crate::ledger::outbox_item::OutboxItem],
            ) -> $crate::store::StoreResult<u64> {
                let mut tx = self.pool.begin().await?;
                let now = chrono::Utc::now();
                let mut added = 0;
                for i in items {
                    let done = sqlx::query(
                        "INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, status, attempts, \
                         next_attempt_at, created_at, alternates) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7, $8) ON CONFLICT DO NOTHING",
                    )
                    .bind(i.id)
                    .bind(i.company_id.as_uuid())
                    .bind(&i.event_id)
                    .bind(i.kind.as_str())
                    .bind(&i.destination)
                    .bind(&i.payload)
                    .bind(now)
                    .bind($crate::store::outbox::alternates_to_db(&i.alternates))
                    .execute(&mut *tx)
                    .await?;
                    added += done.rows_affected();
                }
                tx.commit().await?;
                Ok(added)
            }

            async fn claim_due_outbox(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                lease_until: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::outbox::OutboxEntry>> {
                let sql = format!(
                    "UPDATE outbox SET next_attempt_at = $2 WHERE id IN (SELECT id FROM outbox \
                     WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3 {}) \
                     RETURNING {}",
                    $lock,
                    $crate::store::outbox::OUTBOX_COLUMNS
                );
                let rows: Vec<$crate::store::outbox::OutboxRow> =
                    sqlx::query_as(&sql).bind(now).bind(lease_until).bind(limit).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn mark_outbox_delivered_many(
                &self,
                ids: &[uuid::Uuid],
                attempts: i32,
            ) -> $crate::store::StoreResult<()> {
                if ids.is_empty() {
                    return Ok(());
                }
                let mut q = sqlx::QueryBuilder::new("UPDATE outbox SET status = 'delivered', attempts = ");
                q.push_bind(attempts).push(", delivered_at = ").push_bind(chrono::Utc::now());
                // A delivered forward keeps no body: the message text or status the company's URL
                // received is not needed again (a delivered item is never retried) and is not kept
                // for the retention window. A call command keeps its parameters: a call's chain
                // position is read from them (`ledger::chain_position`).
                q.push(", last_error = NULL, payload = CASE WHEN kind IN ")
                    .push($crate::ledger::outbox_item::OutboxKind::FORWARDS_SQL)
                    .push(" THEN '' ELSE payload END WHERE id");
                $ids(&mut q, ids);
                q.build().execute(&self.pool).await?;
                Ok(())
            }

            async fn release_outbox(
                &self,
                ids: &[uuid::Uuid],
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<u64> {
                let mut released = 0;
                for chunk in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::new("UPDATE outbox SET next_attempt_at = ");
                    q.push_bind(now).push(" WHERE status = 'pending' AND id");
                    $ids(&mut q, chunk);
                    released += q.build().execute(&self.pool).await?.rows_affected();
                }
                Ok(released)
            }

            async fn mark_outbox_retry(
                &self,
                id: uuid::Uuid,
                attempts: i32,
                next_attempt_at: chrono::DateTime<chrono::Utc>,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE outbox SET attempts = $2, next_attempt_at = $3, last_error = $4 WHERE id = $1")
                    .bind(id)
                    .bind(attempts)
                    .bind(next_attempt_at)
                    .bind(error)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn mark_outbox_gave_up(
                &self,
                id: uuid::Uuid,
                attempts: i32,
                failure: $crate::store::outbox::Failure,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                // An item an admin cancelled meanwhile stays cancelled.
                sqlx::query(
                    "UPDATE outbox SET status = $4, failure = $5, attempts = $2, last_error = $3 \
                     WHERE id = $1 AND status = 'pending'",
                )
                .bind(id)
                .bind(attempts)
                .bind(error)
                .bind(failure.status())
                .bind(failure.as_str())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn move_outbox_to_alternate(
                &self,
                id: uuid::Uuid,
                from_hop: i32,
                to_hop: i32,
                url: &str,
                now: chrono::DateTime<chrono::Utc>,
                error: &str,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE outbox SET destination = $3, hop = $6, attempts = 0, next_attempt_at = $4, \
                     last_error = $5 WHERE id = $1 AND hop = $2 AND status = 'pending'",
                )
                .bind(id)
                .bind(from_hop)
                .bind(url)
                .bind(now)
                .bind(error)
                .bind(to_hop)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn outbox_pending_count(&self) -> $crate::store::StoreResult<i64> {
                // The same predicate as the partial index outbox_due.
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n)
            }

            async fn outbox_counts(&self) -> $crate::store::StoreResult<$crate::store::outbox::OutboxCounts> {
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetch_all(&self.pool).await?;
                let mut c = $crate::store::outbox::OutboxCounts::default();
                for (status, n) in rows {
                    match status.as_str() {
                        "pending" => c.pending = n,
                        "delivered" => c.delivered = n,
                        "cancelled" => {}
                        _ => c.failed += n,
                    }
                }
                Ok(c)
            }

            async fn page_outbox(
                &self,
                company: $crate::domain::CompanyId,
                filter: &$crate::store::outbox_admin::OutboxFilter,
                w: &$crate::store::Window<$crate::store::page::OutboxKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::outbox::OutboxEntry>> {
                // Newest first, both key columns descending: the index outbox_by_company read
                // backwards; the filters narrow what that range scan returns.
                let c = filter.conditions(3, w.after.as_ref());
                let sql = format!(
                    "SELECT {} FROM outbox WHERE company_id = $1 {} ORDER BY created_at DESC, id DESC LIMIT $2",
                    $crate::store::outbox::OUTBOX_COLUMNS,
                    c.sql()
                );
                let q =
                    sqlx::query_as::<_, $crate::store::outbox::OutboxRow>(&sql).bind(company.as_uuid()).bind(w.limit);
                let rows = $crate::store::conditions::bind_args!(q, c.args()).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}
pub(crate) use impl_outbox_store;
