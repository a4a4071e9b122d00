//! Dead letters for the operator: events acknowledged but not routed (no company owned any of
//! their numbers), read a page at a time with filters, one at a time with its payload, marked when
//! re-driven, deleted. The ledger writes them (`LedgerEntry::dead_letter`); the same SQL text
//! serves both backends ([`impl_dead_letter_store!`]).
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::conditions::{Arg, Conditions};
use super::page::{DeadLetterKey, Window};
use super::StoreResult;

/// One dead letter; `payload` only when it was asked for (one at a time).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeadLetterRecord {
    pub id: i64,
    /// The Telnyx event id.
    pub event_id: String,
    pub event_type: String,
    /// Why it was not routed: `unknown_number` (no company owns any of its numbers).
    pub reason: String,
    /// The first of its numbers no company owned (absent on dead letters kept before it was recorded).
    pub phone_number: Option<String>,
    pub received_at: DateTime<Utc>,
    /// When it was last re-driven, and what the ingress answered then.
    pub redriven_at: Option<DateTime<Utc>>,
    /// `counted`, `duplicate`, `acknowledged` or `dead_letter`.
    pub redrive_outcome: Option<String>,
    /// The webhook body as Telnyx sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// What a list of dead letters is narrowed to; every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeadLetterFilter {
    pub event_type: Option<String>,
    pub reason: Option<String>,
    pub phone_number: Option<String>,
    /// Received at or after.
    pub since: Option<DateTime<Utc>>,
    /// Received before.
    pub until: Option<DateTime<Utc>>,
}

impl DeadLetterFilter {
    /// The filter and the keyset position as conditions after `$1` (the limit).
    pub(crate) fn conditions(&self, after: Option<DeadLetterKey>) -> Conditions {
        let mut c = Conditions::starting_at(2);
        c.add_opt("event_type = ?", self.event_type.clone().map(Arg::Text))
            .add_opt("reason = ?", self.reason.clone().map(Arg::Text))
            .add_opt("phone_number = ?", self.phone_number.clone().map(Arg::Text))
            .add_opt("received_at >= ?", self.since.map(Arg::Time))
            .add_opt("received_at < ?", self.until.map(Arg::Time))
            .add_opt("id < ?", after.map(Arg::Int));
        c
    }
}

#[async_trait]
pub trait DeadLetterStore: Send + Sync {
    /// Newest first (by id), a window at a time, without payloads.
    async fn page_dead_letters(
        &self,
        filter: &DeadLetterFilter,
        window: &Window<DeadLetterKey>,
    ) -> StoreResult<Vec<DeadLetterRecord>>;
    /// One dead letter with its payload; `NotFound` when there is none.
    async fn get_dead_letter(&self, id: i64) -> StoreResult<DeadLetterRecord>;
    /// Records a re-drive; `NotFound` when it is gone.
    async fn mark_dead_letter_redriven(&self, id: i64, at: DateTime<Utc>, outcome: &str) -> StoreResult<()>;
    /// `NotFound` when there was none.
    async fn delete_dead_letter(&self, id: i64) -> StoreResult<()>;
}

pub(crate) const DEAD_LETTER_COLUMNS: &str =
    "id, event_id, event_type, reason, phone_number, received_at, redriven_at, redrive_outcome";

#[derive(sqlx::FromRow)]
pub(crate) struct DeadLetterRow {
    pub id: i64,
    pub event_id: String,
    pub event_type: String,
    pub reason: String,
    pub phone_number: Option<String>,
    pub received_at: DateTime<Utc>,
    pub redriven_at: Option<DateTime<Utc>>,
    pub redrive_outcome: Option<String>,
}

impl DeadLetterRow {
    pub(crate) fn record(self, payload: Option<String>) -> DeadLetterRecord {
        DeadLetterRecord {
            id: self.id,
            event_id: self.event_id,
            event_type: self.event_type,
            reason: self.reason,
            phone_number: self.phone_number,
            received_at: self.received_at,
            redriven_at: self.redriven_at,
            redrive_outcome: self.redrive_outcome,
            payload,
        }
    }
}

macro_rules! impl_dead_letter_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::dead_letters::DeadLetterStore for $store {
            async fn page_dead_letters(
                &self,
                filter: &$crate::store::dead_letters::DeadLetterFilter,
                w: &$crate::store::Window<$crate::store::page::DeadLetterKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::dead_letters::DeadLetterRecord>> {
                let c = filter.conditions(w.after);
                let sql = format!(
                    "SELECT {} FROM dead_letters WHERE true {} ORDER BY id DESC LIMIT $1",
                    $crate::store::dead_letters::DEAD_LETTER_COLUMNS,
                    c.sql()
                );
                let q = sqlx::query_as::<_, $crate::store::dead_letters::DeadLetterRow>(&sql).bind(w.limit);
                let rows = $crate::store::conditions::bind_args!(q, c.args()).fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(|r| r.record(None)).collect())
            }

            async fn get_dead_letter(
                &self,
                id: i64,
            ) -> $crate::store::StoreResult<$crate::store::dead_letters::DeadLetterRecord> {
                #[derive(sqlx::FromRow)]
                struct WithPayload {
                    #[sqlx(flatten)]
                    row: $crate::store::dead_letters::DeadLetterRow,
                    payload: String,
                }
                let sql = format!(
                    "SELECT {}, payload FROM dead_letters WHERE id = $1",
                    $crate::store::dead_letters::DEAD_LETTER_COLUMNS
                );
                let r: WithPayload = sqlx::query_as(&sql).bind(id).fetch_one(&self.pool).await?;
                Ok(r.row.record(Some(r.payload)))
            }

            async fn mark_dead_letter_redriven(
                &self,
                id: i64,
                at: chrono::DateTime<chrono::Utc>,
                outcome: &str,
            ) -> $crate::store::StoreResult<()> {
                let done = sqlx::query("UPDATE dead_letters SET redriven_at = $2, redrive_outcome = $3 WHERE id = $1")
                    .bind(id)
                    .bind(at)
                    .bind(outcome)
                    .execute(&self.pool)
                    .await?;
                $crate::store::rules_sql::found(done.rows_affected())
            }

            async fn delete_dead_letter(&self, id: i64) -> $crate::store::StoreResult<()> {
                let done = sqlx::query("DELETE FROM dead_letters WHERE id = $1").bind(id).execute(&self.pool).await?;
                $crate::store::rules_sql::found(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_dead_letter_store;
