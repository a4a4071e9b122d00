//! The status changes the send worker makes to queued messages: `expired` (not sent within its
//! validity), `unknown` (a stopped worker left it `sending`), and the end of an attempt (`sent`
//! with Telnyx's id, `sending_failed`, `unknown`, or queued again). Each runs in one transaction
//! with the forward of the change to the company's status URL (docs/SENDING.md), and `sent`
//! links Telnyx's id to the message there and applies a status webhook that came first.
//! Also the retirement of those links.
//!
//! The SQL is the same text on both backends but for the row lock and the forward's JSON
//! ([`super::status_sql::StatusDialect`]).
use async_trait::async_trait;
use uuid::Uuid;

use super::send_queue::AttemptEnd;
use super::StoreResult;
use crate::domain::{CompanyId, NumberType};

/// What a retirement of links deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retired {
    /// Rows deleted.
    pub rows: u64,
    /// Of which status webhooks that never found their message.
    pub unmatched: u64,
}

#[async_trait]
pub trait SendTransitionStore: Send + Sync {
    /// Queued messages past their validity become `expired`; returns the sender type of each.
    async fn expire_outbound(&self, now_ms: i64) -> StoreResult<Vec<NumberType>>;
    /// Messages left `sending` past their lease (their worker died) become `unknown`: never sent
    /// again. Returns how many.
    async fn orphans_to_unknown(&self, now_ms: i64) -> StoreResult<u64>;
    /// Records how attempts ended, in one transaction; a message no longer `sending` (or
    /// `unknown`) is left alone. `sent` also links Telnyx's id to the message and applies the
    /// status webhook kept for that id, if one came first. Returns how many messages changed.
    ///
    /// The messages are taken in the order a status webhook batch inserts its links in (company,
    /// then Telnyx id), so that the two insert links in one order. A deadlock on the messages'
    /// rows is still possible (PostgreSQL then aborts one transaction; the send worker's recorder
    /// tries again).
    async fn end_attempts(&self, ends: &[EndedAttempt]) -> StoreResult<usize>;
    /// [`Self::end_attempts`] of one attempt: whether the message changed.
    async fn end_attempt(&self, company: CompanyId, id: Uuid, end: &AttemptEnd, now_ms: i64) -> StoreResult<bool> {
        let one = [EndedAttempt { company, id, end: end.clone(), now_ms }];
        Ok(self.end_attempts(&one).await? > 0)
    }
    /// Deletes links older than `links_before_ms` and status webhooks that found no message older
    /// than `unmatched_before_ms`, at most `limit` rows.
    async fn retire_status_links(
        &self,
        links_before_ms: i64,
        unmatched_before_ms: i64,
        limit: i64,
    ) -> StoreResult<Retired>;
}

/// One attempt's end, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedAttempt {
    pub company: CompanyId,
    pub id: Uuid,
    pub end: AttemptEnd,
    /// When Telnyx answered (Unix ms).
    pub now_ms: i64,
}

impl EndedAttempt {
    /// The order a batch takes its messages in: company, then Telnyx id (as status webhook
    /// batches insert their links), then message.
    fn lock_order(&self) -> (Uuid, &str, Uuid) {
        let telnyx_id = match &self.end {
            AttemptEnd::Sent { telnyx_message_id } => telnyx_message_id.as_str(),
            _ => "",
        };
        (self.company.as_uuid(), telnyx_id, self.id)
    }
}

/// `ends` in [`EndedAttempt::lock_order`].
pub(crate) fn in_lock_order(ends: &[EndedAttempt]) -> Vec<&EndedAttempt> {
    let mut order: Vec<&EndedAttempt> = ends.iter().collect();
    order.sort_by(|a, b| a.lock_order().cmp(&b.lock_order()));
    order
}

/// What `end_attempts` writes: the status after the attempt and the statuses it may replace.
pub(crate) fn attempt_update(end: &AttemptEnd) -> (&'static str, &'static [&'static str]) {
    const LIVE: &[&str] = &["sending", "unknown"];
    match end {
        AttemptEnd::Sent { .. } => (
            "UPDATE outbound_messages SET status = 'sent', telnyx_message_id = $3, sent_at_ms = $4, \
             updated_at_ms = $4, lease_until_ms = NULL, error_code = NULL, error_detail = NULL \
             WHERE company_id = $1 AND id = $2",
            LIVE,
        ),
        AttemptEnd::Failed { .. } => (
            "UPDATE outbound_messages SET status = $3, error_code = $4, error_detail = $5, \
             updated_at_ms = $6, lease_until_ms = NULL WHERE company_id = $1 AND id = $2",
            LIVE,
        ),
        AttemptEnd::Requeued { .. } => (
            "UPDATE outbound_messages SET status = 'queued', send_at_ms = $3, error_detail = $4, \
             updated_at_ms = $5, lease_until_ms = NULL WHERE company_id = $1 AND id = $2",
            &["sending"],
        ),
    }
}

macro_rules! impl_send_transition_store {
    ($store:ty, $dialect:path) => {
        #[async_trait::async_trait]
        impl $crate::store::send_transitions::SendTransitionStore for $store {
            async fn expire_outbound(
                &self,
                now_ms: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::domain::NumberType>> {
                let d = &$dialect;
                let mut tx = self.pool.begin_with(d.begin).await?;
                let rows: Vec<(uuid::Uuid, uuid::Uuid, String, bool)> = sqlx::query_as(
                    "UPDATE outbound_messages SET status = 'expired', updated_at_ms = $1, lease_until_ms = NULL, \
                     error_detail = 'not sent within its validity' \
                     WHERE status = 'queued' AND expires_at_ms <= $1 RETURNING company_id, id, sender_type, \
                     EXISTS (SELECT 1 FROM message_status_urls u WHERE u.company_id = outbound_messages.company_id)",
                )
                .bind(now_ms)
                .fetch_all(&mut *tx)
                .await?;
                for (company, id, _, _) in rows.iter().filter(|r| r.3) {
                    let company = $crate::domain::CompanyId::from_uuid(*company);
                    $crate::store::status_sql::forward_change!(&mut *tx, d, company, *id, "queued", "expired").await?;
                }
                tx.commit().await?;
                Ok(rows.iter().map(|r| r.2.parse().unwrap_or_default()).collect())
            }

            async fn orphans_to_unknown(&self, now_ms: i64) -> $crate::store::StoreResult<u64> {
                let d = &$dialect;
                let mut tx = self.pool.begin_with(d.begin).await?;
                let rows: Vec<(uuid::Uuid, uuid::Uuid, bool)> = sqlx::query_as(
                    "UPDATE outbound_messages SET status = 'unknown', updated_at_ms = $1, lease_until_ms = NULL, \
                     error_detail = 'the worker stopped after recording the attempt: it may or may not have \
                     reached Telnyx, and it is not sent again' \
                     WHERE status = 'sending' AND lease_until_ms <= $1 RETURNING company_id, id, \
                     EXISTS (SELECT 1 FROM message_status_urls u WHERE u.company_id = outbound_messages.company_id)",
                )
                .bind(now_ms)
                .fetch_all(&mut *tx)
                .await?;
                for (company, id, _) in rows.iter().filter(|r| r.2) {
                    let company = $crate::domain::CompanyId::from_uuid(*company);
                    $crate::store::status_sql::forward_change!(&mut *tx, d, company, *id, "sending", "unknown").await?;
                }
                tx.commit().await?;
                Ok(rows.len() as u64)
            }

            async fn end_attempts(
                &self,
                ends: &[$crate::store::send_transitions::EndedAttempt],
            ) -> $crate::store::StoreResult<usize> {
                use $crate::store::send_queue::AttemptEnd;
                use $crate::store::status_sql::{forward_change, LINK, READ_FOR_CHANGE, SETTLE_BY_ID};
                let d = &$dialect;
                if ends.is_empty() {
                    return Ok(0);
                }
                let read = format!("{READ_FOR_CHANGE} {}", d.lock_row);
                let mut tx = self.pool.begin_with(d.begin).await?;
                let mut changed = 0;
                for e in $crate::store::send_transitions::in_lock_order(ends) {
                    let (company, id, end, now_ms) = (e.company, e.id, &e.end, e.now_ms);
                    let before: Option<(String, bool)> =
                        sqlx::query_as(&read).bind(company.as_uuid()).bind(id).fetch_optional(&mut *tx).await?;
                    let (sql, replaces) = $crate::store::send_transitions::attempt_update(end);
                    // A late answer still wins over `unknown`: it is better knowledge.
                    let Some((previous, forwarded)) = before.filter(|(s, _)| replaces.contains(&s.as_str())) else {
                        continue;
                    };
                    let q = sqlx::query(sql).bind(company.as_uuid()).bind(id);
                    let (q, status) = match end {
                        AttemptEnd::Sent { telnyx_message_id } => {
                            (q.bind(telnyx_message_id.clone()).bind(now_ms), "sent")
                        }
                        AttemptEnd::Failed { status, code, detail } => (
                            q.bind(status.as_str()).bind(code.clone()).bind(detail.clone()).bind(now_ms),
                            status.as_str(),
                        ),
                        AttemptEnd::Requeued { send_at_ms, detail } => {
                            (q.bind(*send_at_ms).bind(detail.clone()).bind(now_ms), "queued")
                        }
                    };
                    q.execute(&mut *tx).await?;
                    changed += 1;
                    // Queued again is no status change the product is told of.
                    if forwarded && status != "queued" && previous != status {
                        forward_change!(&mut *tx, d, company, id, previous.as_str(), status).await?;
                    }
                    let AttemptEnd::Sent { telnyx_message_id } = end else { continue };
                    let early: (Option<String>, Option<String>, Option<String>) = sqlx::query_as(LINK)
                        .bind(company.as_uuid())
                        .bind(telnyx_message_id)
                        .bind(id)
                        .bind(now_ms)
                        .fetch_one(&mut *tx)
                        .await?;
                    // A status webhook came before the id was recorded: it applies now.
                    if let (Some(early), code, detail) = early {
                        let settled = sqlx::query(SETTLE_BY_ID)
                            .bind(company.as_uuid())
                            .bind(id)
                            .bind(&early)
                            .bind(code)
                            .bind(detail)
                            .bind(now_ms)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        if forwarded && settled > 0 && early != "sent" {
                            forward_change!(&mut *tx, d, company, id, "sent", early.as_str()).await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(changed)
            }

            async fn retire_status_links(
                &self,
                links_before_ms: i64,
                unmatched_before_ms: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<$crate::store::send_transitions::Retired> {
                let gone: Vec<Option<uuid::Uuid>> = sqlx::query_scalar($crate::store::status_sql::RETIRE)
                    .bind(links_before_ms)
                    .bind(unmatched_before_ms)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok($crate::store::send_transitions::Retired {
                    rows: gone.len() as u64,
                    unmatched: gone.iter().filter(|m| m.is_none()).count() as u64,
                })
            }
        }
    };
}
pub(crate) use impl_send_transition_store;
