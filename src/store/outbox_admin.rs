//! The outbox as an admin works it: lists narrowed by status, kind, destination and time; an item
//! retried (due now, attempts from zero) or cancelled; every failed or cancelled item matching a
//! filter retried at once, a bounded number per request. Same SQL text on both backends.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::conditions::{Arg, Conditions};
use super::outbox::{Failure, OutboxEntry};
use super::page::OutboxKey;
use super::StoreResult;
use crate::domain::CompanyId;

/// Statuses of an outbox item; an admin retry makes a failed or cancelled item pending again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Pending,
    Delivered,
    /// Gave up: its attempts ran out, or the failure was permanent.
    Failed,
    /// An admin cancelled it: never attempted again unless retried.
    Cancelled,
    /// A forward whose last URL answered 410 Gone or is a disabled endpoint.
    Disabled,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Delivered => "delivered",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Cancelled => "cancelled",
            OutboxStatus::Disabled => "disabled",
        }
    }
}

/// Every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboxFilter {
    pub status: Option<OutboxStatus>,
    /// Why it gave up (with `Failed` and `Exhausted`: the items whose attempts ran out).
    pub failure: Option<Failure>,
    /// forward_message, message_status, call_answer, call_transfer or call_hangup.
    pub kind: Option<String>,
    /// The forward URL or call_control_id, exactly.
    pub destination: Option<String>,
    /// Created at or after.
    pub since: Option<DateTime<Utc>>,
    /// Created before.
    pub until: Option<DateTime<Utc>>,
}

impl OutboxFilter {
    /// The filter (and a keyset position) as conditions whose placeholders start at `$first`.
    pub(crate) fn conditions(&self, first: usize, after: Option<&OutboxKey>) -> Conditions {
        let mut c = Conditions::starting_at(first);
        c.add_opt("status = ?", self.status.map(|s| Arg::Text(s.as_str().to_owned())))
            .add_opt("failure = ?", self.failure.map(|f| Arg::Text(f.as_str().to_owned())))
            .add_opt("kind = ?", self.kind.clone().map(Arg::Text))
            .add_opt("destination = ?", self.destination.clone().map(Arg::Text))
            .add_opt("created_at >= ?", self.since.map(Arg::Time))
            .add_opt("created_at < ?", self.until.map(Arg::Time));
        if let Some((at, id)) = after {
            c.add("(created_at, id) < (?, ?)", [Arg::Time(*at), Arg::Uuid(*id)]);
        }
        c
    }
}

#[async_trait]
pub trait OutboxAdminStore: Send + Sync {
    /// One of the company's items; `NotFound` when it has none by that id.
    async fn get_outbox_item(&self, company: CompanyId, id: Uuid) -> StoreResult<OutboxEntry>;
    /// A failed, disabled or cancelled item made pending, due at `now`, its attempts from zero (a
    /// forward on the URL it was on when it gave up); `None` when the company has no such item in
    /// those statuses.
    async fn retry_outbox_item(
        &self,
        company: CompanyId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<OutboxEntry>>;
    /// [`OutboxAdminStore::retry_outbox_item`] for at most `limit` failed, disabled or cancelled items
    /// matching `filter`, oldest first; returns how many.
    async fn retry_outbox_matching(
        &self,
        company: CompanyId,
        filter: &OutboxFilter,
        now: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<u64>;
    /// A pending, failed or disabled item cancelled; `None` when the company has no such item in
    /// those statuses.
    async fn cancel_outbox_item(&self, company: CompanyId, id: Uuid) -> StoreResult<Option<OutboxEntry>>;
}

macro_rules! impl_outbox_admin_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::outbox_admin::OutboxAdminStore for $store {
            async fn get_outbox_item(
                &self,
                company: $crate::domain::CompanyId,
                id: uuid::Uuid,
            ) -> $crate::store::StoreResult<$crate::store::outbox::OutboxEntry> {
                let sql = format!(
                    "SELECT {} FROM outbox WHERE company_id = $1 AND id = $2",
                    $crate::store::outbox::OUTBOX_COLUMNS
                );
                let row: $crate::store::outbox::OutboxRow =
                    sqlx::query_as(&sql).bind(company.as_uuid()).bind(id).fetch_one(&self.pool).await?;
                row.try_into()
            }

            async fn retry_outbox_item(
                &self,
                company: $crate::domain::CompanyId,
                id: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Option<$crate::store::outbox::OutboxEntry>> {
                let sql = format!(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $3, failure = NULL \
                     WHERE company_id = $1 AND id = $2 AND status IN ('failed', 'cancelled', 'disabled') RETURNING {}",
                    $crate::store::outbox::OUTBOX_COLUMNS
                );
                let row: Option<$crate::store::outbox::OutboxRow> =
                    sqlx::query_as(&sql).bind(company.as_uuid()).bind(id).bind(now).fetch_optional(&self.pool).await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn retry_outbox_matching(
                &self,
                company: $crate::domain::CompanyId,
                filter: &$crate::store::outbox_admin::OutboxFilter,
                now: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> $crate::store::StoreResult<u64> {
                let c = filter.conditions(4, None);
                let sql = format!(
                    "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, failure = NULL WHERE id IN \
                     (SELECT id FROM outbox WHERE company_id = $1 AND status IN ('failed', 'cancelled', 'disabled') {} \
                     ORDER BY created_at, id LIMIT $3)",
                    c.sql()
                );
                let q = sqlx::query(&sql).bind(company.as_uuid()).bind(now).bind(limit);
                let done = $crate::store::conditions::bind_args!(q, c.args()).execute(&self.pool).await?;
                Ok(done.rows_affected())
            }

            async fn cancel_outbox_item(
                &self,
                company: $crate::domain::CompanyId,
                id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Option<$crate::store::outbox::OutboxEntry>> {
                let sql = format!(
                    "UPDATE outbox SET status = 'cancelled' \
                     WHERE company_id = $1 AND id = $2 AND status IN ('pending', 'failed', 'disabled') RETURNING {}",
                    $crate::store::outbox::OUTBOX_COLUMNS
                );
                let row: Option<$crate::store::outbox::OutboxRow> =
                    sqlx::query_as(&sql).bind(company.as_uuid()).bind(id).fetch_optional(&self.pool).await?;
                row.map(TryInto::try_into).transpose()
            }
        }
    };
}
pub(crate) use impl_outbox_admin_store;
