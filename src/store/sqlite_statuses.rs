//! The status webhooks of a ledger batch on SQLite, in the batch's transaction: what the
//! PostgreSQL ledger does in its statement's `status_in` .. `status_out` CTEs, one message at a
//! time (SQLite has one writer, so no other commit runs meanwhile). Each change: to the message
//! with that Telnyx id; else, by reconciliation, to the one message a stopped worker left without
//! an id; else, when a message awaits an id, kept for the worker that will record it. Each is
//! forwarded to the company's status URL when it has one.
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::status_sql::{
    forward_change, AWAITS_ID, BY_TELNYX_ID, HAS_MESSAGES, LINK, PARK, RECONCILE, RECONCILE_CANDIDATES, SETTLE_BY_ID,
    SQLITE,
};
use super::StoreResult;
use crate::ledger::entry::MessageStatusChange;

/// One change per message and batch, a final status before `sent` (as PostgreSQL's DISTINCT ON).
fn one_per_message<'a>(changes: impl Iterator<Item = &'a MessageStatusChange>) -> Vec<&'a MessageStatusChange> {
    let mut chosen: Vec<&MessageStatusChange> = Vec::new();
    for m in changes {
        match chosen.iter_mut().find(|c| c.company_id == m.company_id && c.telnyx_id == m.telnyx_id) {
            Some(c) if c.status == "sent" && m.status != "sent" => *c = m,
            Some(_) => {}
            None => chosen.push(m),
        }
    }
    chosen
}

/// What the batch's status changes did.
#[derive(Debug, Default)]
pub(super) struct Applied {
    /// Changes that found their message by reconciliation.
    pub reconciled: u64,
    /// Changes forwarded to a company's status URL (outbox items due now).
    pub forwards: u64,
}

/// Applies the batch's status changes (those whose keys were new).
pub(super) async fn apply<'a>(
    conn: &mut SqliteConnection,
    changes: impl Iterator<Item = &'a MessageStatusChange>,
    now_ms: i64,
) -> StoreResult<Applied> {
    let mut applied = Applied::default();
    // Whether each company of the batch has queued messages, asked once per company.
    let mut senders: std::collections::HashMap<Uuid, bool> = std::collections::HashMap::new();
    for m in one_per_message(changes) {
        let company = m.company_id.as_uuid();
        let has_messages = match senders.get(&company) {
            Some(&known) => known,
            None => {
                let has: bool = sqlx::query_scalar(HAS_MESSAGES).bind(company).fetch_one(&mut *conn).await?;
                senders.insert(company, has);
                has
            }
        };
        if !has_messages {
            continue;
        }
        let known: Option<(Uuid, String)> =
            sqlx::query_as(BY_TELNYX_ID).bind(company).bind(&m.telnyx_id).fetch_optional(&mut *conn).await?;
        if let Some((id, previous)) = known {
            applied.forwards += settle(conn, m, id, &previous, now_ms).await?;
        } else if let Some(forwards) = reconcile(conn, m, now_ms).await? {
            applied.reconciled += 1;
            applied.forwards += forwards;
        } else if awaits_id(conn, m).await? {
            let linked: Option<Uuid> = sqlx::query_scalar(PARK)
                .bind(company)
                .bind(&m.telnyx_id)
                .bind(m.status)
                .bind(m.error_code.as_deref())
                .bind(m.error_detail.as_deref())
                .bind(&m.from)
                .bind(m.to.as_deref())
                .bind(m.occurred_at_ms)
                .bind(now_ms)
                .fetch_one(&mut *conn)
                .await?;
            // A link without the message having the id (not written on one writer; kept like
            // PostgreSQL's `linked`): the change goes to the linked message.
            if let Some(id) = linked {
                let previous: Option<String> =
                    sqlx::query_scalar("SELECT status FROM outbound_messages WHERE company_id = $1 AND id = $2")
                        .bind(company)
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                if let Some(previous) = previous {
                    applied.forwards += settle(conn, m, id, &previous, now_ms).await?;
                }
            }
        }
    }
    Ok(applied)
}

/// Whether a worker may still record `m`'s id: see [`AWAITS_ID`] (a status to several recipients
/// is kept, as before).
async fn awaits_id(conn: &mut SqliteConnection, m: &MessageStatusChange) -> StoreResult<bool> {
    let Some(to) = m.to.as_deref() else { return Ok(true) };
    Ok(sqlx::query_scalar(AWAITS_ID).bind(m.company_id.as_uuid()).bind(&m.from).bind(to).fetch_one(&mut *conn).await?)
}

/// The status webhook `m` changes message `id` (whose status was `previous`); answers how many
/// forwards of the change it queued (0 or 1).
async fn settle(
    conn: &mut SqliteConnection,
    m: &MessageStatusChange,
    id: Uuid,
    previous: &str,
    now_ms: i64,
) -> StoreResult<u64> {
    let changed = sqlx::query(SETTLE_BY_ID)
        .bind(m.company_id.as_uuid())
        .bind(id)
        .bind(m.status)
        .bind(m.error_code.as_deref())
        .bind(m.error_detail.as_deref())
        .bind(now_ms)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if changed > 0 && previous != m.status {
        return Ok(forward_change!(&mut *conn, SQLITE, m.company_id, id, previous, m.status).await?.rows_affected());
    }
    Ok(0)
}

/// Attaches `m`'s Telnyx id to the one message from its sender to its recipient that a stopped
/// worker left without an id, when there is exactly one; answers whether it did (with how many
/// forwards of the change it queued, 0 or 1).
async fn reconcile(conn: &mut SqliteConnection, m: &MessageStatusChange, now_ms: i64) -> StoreResult<Option<u64>> {
    let Some(to) = m.to.as_deref() else { return Ok(None) };
    let company = m.company_id.as_uuid();
    let candidates: Vec<(Uuid, String)> = sqlx::query_as(RECONCILE_CANDIDATES)
        .bind(company)
        .bind(&m.from)
        .bind(to)
        .bind(m.occurred_at_ms)
        .bind(now_ms)
        .fetch_all(&mut *conn)
        .await?;
    let [(id, previous)] = candidates.as_slice() else { return Ok(None) };
    let done = sqlx::query(RECONCILE)
        .bind(company)
        .bind(id)
        .bind(&m.telnyx_id)
        .bind(m.status)
        .bind(m.error_code.as_deref())
        .bind(m.error_detail.as_deref())
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    sqlx::query(LINK).bind(company).bind(&m.telnyx_id).bind(id).bind(now_ms).fetch_one(&mut *conn).await?;
    if previous != m.status {
        let forwarded = forward_change!(&mut *conn, SQLITE, m.company_id, *id, previous.as_str(), m.status).await?;
        return Ok(Some(forwarded.rows_affected()));
    }
    Ok(Some(0))
}
