//! Storage of the outbound send queue: messages accepted by POST /v1/companies/{id}/messages,
//! their claims under a lease, the outcome of each attempt, and the reads behind the admin API.
//! The claim and its limiters are in [`super::send_claim`]. Times are Unix milliseconds
//! (limiters: microseconds), one type on both backends.
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::conditions::{Arg, Conditions};
use super::{StoreError, StoreResult};
use crate::domain::{CompanyId, NumberType, PhoneNumber};

pub use super::send_status::{MessageKind, SendStatus};

/// What is sent, as stored (JSON in `content`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageContent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_urls: Vec<String>,
    pub messaging_profile_id: String,
}

/// The sender's class, copied from its number when the message is queued.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderClass {
    pub number_type: NumberType,
    pub campaign_id: Option<String>,
    pub brand_id: Option<String>,
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub company_id: CompanyId,
    pub id: Uuid,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub kind: MessageKind,
    pub content: MessageContent,
    pub sender: SenderClass,
    /// Why `from` was chosen (the JSON the send answer flattens).
    pub reason: serde_json::Value,
    pub send_at_ms: i64,
    pub expires_at_ms: i64,
    pub now_ms: i64,
}

/// A queued message as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundRecord {
    pub company_id: CompanyId,
    pub id: Uuid,
    pub from: PhoneNumber,
    pub to: PhoneNumber,
    pub kind: MessageKind,
    pub content: MessageContent,
    pub sender: SenderClass,
    pub reason: serde_json::Value,
    pub status: SendStatus,
    pub attempts: i32,
    pub telnyx_message_id: Option<String>,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    pub send_at_ms: i64,
    pub expires_at_ms: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub fair_tag: i64,
}

pub(crate) const OUTBOUND_COLUMNS: &str = "m.company_id, m.id, m.from_number, m.to_number, m.kind, m.content, \
     m.sender_type, m.campaign_id, m.brand_id, m.reason, m.status, m.attempts, m.telnyx_message_id, m.error_code, \
     m.error_detail, m.send_at_ms, m.expires_at_ms, m.created_at_ms, m.updated_at_ms, m.sent_at_ms, m.fair_tag";

#[derive(sqlx::FromRow)]
pub(crate) struct OutboundRow {
    company_id: Uuid,
    id: Uuid,
    from_number: String,
    to_number: String,
    kind: String,
    content: String,
    sender_type: String,
    campaign_id: Option<String>,
    brand_id: Option<String>,
    reason: String,
    status: String,
    attempts: i32,
    telnyx_message_id: Option<String>,
    error_code: Option<String>,
    error_detail: Option<String>,
    send_at_ms: i64,
    expires_at_ms: i64,
    created_at_ms: i64,
    updated_at_ms: i64,
    sent_at_ms: Option<i64>,
    fair_tag: i64,
}

impl TryFrom<OutboundRow> for OutboundRecord {
    type Error = StoreError;
    fn try_from(r: OutboundRow) -> StoreResult<Self> {
        let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("outbound_messages.{what}: {v}"));
        Ok(OutboundRecord {
            company_id: CompanyId::from_uuid(r.company_id),
            id: r.id,
            from: PhoneNumber::parse(&r.from_number).map_err(|_| corrupt("from_number", &r.from_number))?,
            to: PhoneNumber::parse(&r.to_number).map_err(|_| corrupt("to_number", &r.to_number))?,
            kind: match r.kind.as_str() {
                "sms" => MessageKind::Sms,
                "mms" => MessageKind::Mms,
                other => return Err(corrupt("kind", other)),
            },
            content: serde_json::from_str(&r.content).map_err(|e| corrupt("content", &e.to_string()))?,
            sender: SenderClass {
                number_type: r.sender_type.parse().map_err(|_| corrupt("sender_type", &r.sender_type))?,
                campaign_id: r.campaign_id,
                brand_id: r.brand_id,
            },
            reason: serde_json::from_str(&r.reason).map_err(|e| corrupt("reason", &e.to_string()))?,
            status: SendStatus::parse(&r.status).ok_or_else(|| corrupt("status", &r.status))?,
            attempts: r.attempts,
            telnyx_message_id: r.telnyx_message_id,
            error_code: r.error_code,
            error_detail: r.error_detail,
            send_at_ms: r.send_at_ms,
            expires_at_ms: r.expires_at_ms,
            created_at_ms: r.created_at_ms,
            updated_at_ms: r.updated_at_ms,
            sent_at_ms: r.sent_at_ms,
            fair_tag: r.fair_tag,
        })
    }
}

impl OutboundRecord {
    /// The record of `m` as it was just queued with fair tag `fair_tag`.
    pub fn queued(m: &NewOutbound, fair_tag: i64) -> Self {
        OutboundRecord {
            company_id: m.company_id,
            id: m.id,
            from: m.from.clone(),
            to: m.to.clone(),
            kind: m.kind,
            content: m.content.clone(),
            sender: m.sender.clone(),
            reason: m.reason.clone(),
            status: SendStatus::Queued,
            attempts: 0,
            telnyx_message_id: None,
            error_code: None,
            error_detail: None,
            send_at_ms: m.send_at_ms,
            expires_at_ms: m.expires_at_ms,
            created_at_ms: m.now_ms,
            updated_at_ms: m.now_ms,
            sent_at_ms: None,
            fair_tag,
        }
    }
}

/// How an attempt ended, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptEnd {
    /// Telnyx accepted it under this id.
    Sent { telnyx_message_id: String },
    /// A final failure (`sending_failed` with Telnyx's code and detail, or `unknown`).
    Failed { status: SendStatus, code: Option<String>, detail: String },
    /// Not sent (Telnyx rate-limited, or the request never left): queued again, due at `send_at_ms`.
    Requeued { send_at_ms: i64, detail: String },
}

/// Filters of the message list; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutboundFilter {
    pub status: Option<SendStatus>,
    pub from: Option<PhoneNumber>,
    pub to: Option<PhoneNumber>,
    /// Created at or after (Unix ms).
    pub since_ms: Option<i64>,
    /// Created before (Unix ms).
    pub until_ms: Option<i64>,
}

/// The message list, newest first: created_at_ms, id, both descending.
pub type OutboundKey = (i64, Uuid);

impl OutboundFilter {
    pub(crate) fn conditions(&self, first: usize, after: Option<&OutboundKey>) -> Conditions {
        let mut c = Conditions::starting_at(first);
        c.add_opt("m.status = ?", self.status.map(|s| Arg::Text(s.as_str().to_owned())))
            .add_opt("m.from_number = ?", self.from.as_ref().map(|p| Arg::Text(p.as_str().to_owned())))
            .add_opt("m.to_number = ?", self.to.as_ref().map(|p| Arg::Text(p.as_str().to_owned())))
            .add_opt("m.created_at_ms >= ?", self.since_ms.map(Arg::Int))
            .add_opt("m.created_at_ms < ?", self.until_ms.map(Arg::Int));
        if let Some((at, id)) = after {
            c.add("(m.created_at_ms, m.id) < (?, ?)", [Arg::Int(*at), Arg::Uuid(*id)]);
        }
        c
    }
}

#[async_trait]
pub trait SendQueueStore: Send + Sync {
    /// Stores a queued message with its fair-queue tag (after the company's previous message, not
    /// before the queue's virtual clock).
    async fn enqueue_outbound(&self, m: &NewOutbound) -> StoreResult<OutboundRecord>;
    /// One of the company's messages; `NotFound` when it has none by that id.
    async fn get_outbound(&self, company: CompanyId, id: Uuid) -> StoreResult<OutboundRecord>;
    /// The company's messages, newest first, those `filter` lets through, a window at a time.
    async fn page_outbound(
        &self,
        company: CompanyId,
        filter: &OutboundFilter,
        window: &super::Window<OutboundKey>,
    ) -> StoreResult<Vec<OutboundRecord>>;
    /// Queued messages per sender type (the queue depth gauge).
    async fn queued_by_sender_type(&self) -> StoreResult<Vec<(NumberType, i64)>>;
}

pub(crate) use super::send_sql::{FAIR_CLOCK, POSTGRES, SQLITE};

macro_rules! impl_send_queue_store {
    ($store:ty, $dialect:path) => {
        #[async_trait::async_trait]
        impl $crate::store::send_queue::SendQueueStore for $store {
            async fn enqueue_outbound(
                &self,
                m: &$crate::store::send_queue::NewOutbound,
            ) -> $crate::store::StoreResult<$crate::store::send_queue::OutboundRecord> {
                let d = &$dialect;
                let clock: Option<i64> = sqlx::query_scalar("SELECT tat_us FROM send_limiters WHERE key = $1")
                    .bind($crate::store::send_queue::FAIR_CLOCK)
                    .fetch_optional(&self.pool)
                    .await?;
                let clock = clock.unwrap_or(0);
                let finish: i64 = sqlx::query_scalar(&format!(
                    "INSERT INTO send_fairness (company_id, last_finish) VALUES ($1, $2 + 1) \
                     ON CONFLICT (company_id) DO UPDATE SET last_finish = {}(send_fairness.last_finish, $2) + 1 \
                     RETURNING last_finish",
                    d.greatest
                ))
                .bind(m.company_id.as_uuid())
                .bind(clock)
                .fetch_one(&self.pool)
                .await?;
                let content = serde_json::to_string(&m.content)
                    .map_err(|e| $crate::store::StoreError::Corrupt(format!("message content: {e}")))?;
                sqlx::query(
                    "INSERT INTO outbound_messages (company_id, id, from_number, to_number, kind, content, \
                     sender_type, campaign_id, brand_id, reason, status, attempts, send_at_ms, expires_at_ms, \
                     created_at_ms, updated_at_ms, fair_tag) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
                     'queued', 0, $11, $12, $13, $13, $14)",
                )
                .bind(m.company_id.as_uuid())
                .bind(m.id)
                .bind(m.from.as_str())
                .bind(m.to.as_str())
                .bind(m.kind.as_str())
                .bind(content)
                .bind(m.sender.number_type.as_str())
                .bind(&m.sender.campaign_id)
                .bind(&m.sender.brand_id)
                .bind(m.reason.to_string())
                .bind(m.send_at_ms)
                .bind(m.expires_at_ms)
                .bind(m.now_ms)
                .bind(finish - 1)
                .execute(&self.pool)
                .await?;
                Ok($crate::store::send_queue::OutboundRecord::queued(m, finish - 1))
            }

            async fn get_outbound(
                &self,
                company: $crate::domain::CompanyId,
                id: uuid::Uuid,
            ) -> $crate::store::StoreResult<$crate::store::send_queue::OutboundRecord> {
                let sql = format!(
                    "SELECT {} FROM outbound_messages m WHERE m.company_id = $1 AND m.id = $2",
                    $crate::store::send_queue::OUTBOUND_COLUMNS
                );
                let row: $crate::store::send_queue::OutboundRow =
                    sqlx::query_as(&sql).bind(company.as_uuid()).bind(id).fetch_one(&self.pool).await?;
                row.try_into()
            }

            async fn page_outbound(
                &self,
                company: $crate::domain::CompanyId,
                filter: &$crate::store::send_queue::OutboundFilter,
                w: &$crate::store::Window<$crate::store::send_queue::OutboundKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::send_queue::OutboundRecord>> {
                // Newest first: the index outbound_messages_recent read backwards.
                let c = filter.conditions(3, w.after.as_ref());
                let sql = format!(
                    "SELECT {} FROM outbound_messages m WHERE m.company_id = $1 {} \
                     ORDER BY m.created_at_ms DESC, m.id DESC LIMIT $2",
                    $crate::store::send_queue::OUTBOUND_COLUMNS,
                    c.sql()
                );
                let q = sqlx::query_as::<_, $crate::store::send_queue::OutboundRow>(&sql)
                    .bind(company.as_uuid())
                    .bind(w.limit);
                let rows = $crate::store::conditions::bind_args!(q, c.args()).fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn queued_by_sender_type(
                &self,
            ) -> $crate::store::StoreResult<Vec<($crate::domain::NumberType, i64)>> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT sender_type, COUNT(*) FROM outbound_messages WHERE status = 'queued' GROUP BY sender_type",
                )
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(t, n)| (t.parse().unwrap_or_default(), n)).collect())
            }
        }
    };
}
pub(crate) use impl_send_queue_store;
