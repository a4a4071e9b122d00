//! The SQL of a queued message's status changes that the ledger and the send worker share
//! (docs/SENDING.md): the status forward queued with each change, the links between Telnyx's ids
//! and messages, status webhooks kept until their message is known, and reconciliation.

/// The body of a status forward as a SQL expression over `m`, a row of `outbound_messages` after
/// the change. The other arguments are SQL expressions (text) of the forward's event id, the
/// company id, the message id and the status before the change; `json` is the backend's JSON
/// object function and `at` its RFC 3339 rendering of `m.updated_at_ms`. One definition for both
/// backends and every path, so every forward has the same shape.
macro_rules! status_body {
    ($json:literal, $at:literal, $event:literal, $company:literal, $id:literal, $previous:literal) => {
        concat!(
            $json,
            "('event_id', ",
            $event,
            ", 'event_type', 'message.status', 'company_id', ",
            $company,
            ", 'occurred_at', ",
            $at,
            ", 'message', ",
            $json,
            "('id', ",
            $id,
            ", 'status', m.status, 'previous_status', ",
            $previous,
            ", 'telnyx_message_id', m.telnyx_message_id, 'error_code', m.error_code, \
             'error_detail', m.error_detail, 'from', m.from_number, 'to', m.to_number))"
        )
    };
}
pub(crate) use status_body;

/// PostgreSQL's `status_body!` arguments: the JSON function and the time of the change.
macro_rules! pg_status_body {
    ($event:literal, $company:literal, $id:literal, $previous:literal) => {
        $crate::store::status_sql::status_body!(
            "json_build_object",
            "to_char(timestamp 'epoch' + m.updated_at_ms * interval '1 millisecond', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')",
            $event,
            $company,
            $id,
            $previous
        )
    };
}
pub(crate) use pg_status_body;

/// Queues the forward of one change of message `$8` of company `$7` (its row as changed) to the
/// company's status URL, if it has one: outbox id `$1`, event id `$2`, the company and message ids
/// as text `$3`, `$4`, the status before `$5`, now `$6`.
macro_rules! forward_one {
    ($body:expr) => {
        concat!(
            "INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, created_at, next_attempt_at) \
             SELECT $1, m.company_id, CAST($2 AS TEXT), 'message_status', u.url, ",
            $body,
            ", $6, $6 FROM outbound_messages m JOIN message_status_urls u ON u.company_id = m.company_id \
             WHERE m.company_id = $7 AND m.id = $8"
        )
    };
}

/// What differs between the backends in the status changes the send worker makes.
pub(crate) struct StatusDialect {
    /// Opens a transaction that writes (SQLite: take the write lock at once).
    pub begin: &'static str,
    /// Appended to the read of a message's status before a change (PostgreSQL: lock the row).
    pub lock_row: &'static str,
    /// See [`forward_one!`].
    pub forward_one: &'static str,
}

pub(crate) const POSTGRES: StatusDialect = StatusDialect {
    begin: "BEGIN",
    lock_row: "FOR UPDATE OF m",
    forward_one: forward_one!(pg_status_body!(
        "CAST($2 AS TEXT)",
        "CAST($3 AS TEXT)",
        "CAST($4 AS TEXT)",
        "CAST($5 AS TEXT)"
    )),
};

pub(crate) const SQLITE: StatusDialect = StatusDialect {
    begin: "BEGIN IMMEDIATE",
    lock_row: "",
    forward_one: forward_one!(status_body!(
        "json_object",
        "strftime('%Y-%m-%dT%H:%M:%fZ', m.updated_at_ms / 1000.0, 'unixepoch')",
        "CAST($2 AS TEXT)",
        "CAST($3 AS TEXT)",
        "CAST($4 AS TEXT)",
        "CAST($5 AS TEXT)"
    )),
};

/// The event id (the `webhook-id` header) of a status forward: the same for every copy of one
/// change, so the receiver can dedupe.
pub fn forward_event_id(message_id: uuid::Uuid, status: &str) -> String {
    format!("message-status:{message_id}:{status}")
}

/// The status before a change and whether the company has a status URL, of message `$2` of
/// company `$1`, followed by the dialect's row lock.
pub(crate) const READ_FOR_CHANGE: &str = "SELECT m.status, EXISTS (SELECT 1 FROM message_status_urls u \
     WHERE u.company_id = m.company_id) FROM outbound_messages m WHERE m.company_id = $1 AND m.id = $2";

/// A status webhook's change to message `$2` of company `$1`: status `$3`, Telnyx's error code
/// `$4` and detail `$5` (both kept when absent), at `$6` (Unix ms). A final status is never taken
/// back by a late `sent`.
pub(crate) const SETTLE_BY_ID: &str = "UPDATE outbound_messages SET status = $3, \
     error_code = COALESCE($4, error_code), error_detail = COALESCE($5, error_detail), updated_at_ms = $6 \
     WHERE company_id = $1 AND id = $2 AND ($3 <> 'sent' OR status IN ('sending', 'sent', 'unknown'))";

/// The message of company `$1` Telnyx knows as `$2`: its id and status.
pub(crate) const BY_TELNYX_ID: &str =
    "SELECT id, status FROM outbound_messages WHERE company_id = $1 AND telnyx_message_id = $2";

/// Records that Telnyx's id `$2` is message `$3`'s (company `$1`, at `$4`), and answers the status
/// webhook kept for that id, if one came first. On PostgreSQL a status commit that did not see the
/// message's id meets this row on its key and applies its status to `message_id` itself.
pub(crate) const LINK: &str = "INSERT INTO telnyx_message_links (company_id, telnyx_message_id, message_id, \
     created_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (company_id, telnyx_message_id) \
     DO UPDATE SET message_id = excluded.message_id RETURNING status, error_code, error_detail";

/// The messages of company `$1` from `$2` to `$3` a stopped worker left without Telnyx's id, queued
/// at or before `$4`: `unknown`, or `sending` past their lease at `$5` (at most two are read: only
/// one alone is reconciled).
pub(crate) const RECONCILE_CANDIDATES: &str = "SELECT id, status FROM outbound_messages \
     WHERE company_id = $1 AND from_number = $2 AND to_number = $3 AND status IN ('sending', 'unknown') \
     AND telnyx_message_id IS NULL AND created_at_ms <= $4 AND (status = 'unknown' OR lease_until_ms <= $5) \
     LIMIT 2";

/// Attaches Telnyx's id `$3` to message `$2` of company `$1` and applies the status webhook's
/// status `$4`, error code `$5` and detail `$6` at `$7` (reconciliation).
pub(crate) const RECONCILE: &str = "UPDATE outbound_messages SET telnyx_message_id = $3, status = $4, \
     error_code = $5, error_detail = $6, updated_at_ms = $7, lease_until_ms = NULL \
     WHERE company_id = $1 AND id = $2 AND telnyx_message_id IS NULL AND status IN ('sending', 'unknown')";

/// Whether a message of company `$1` from `$2` to `$3` awaits Telnyx's id (`sending`, or left
/// `unknown`): a status webhook for an id no message has is kept only then. Otherwise no worker
/// will ever record that id (the message was sent around switchboard), so keeping it would only
/// cost a row until its retirement. A queued message is `sending` before Telnyx sees it, so its
/// early status always finds it. PostgreSQL's `parked` CTE holds the same condition.
pub(crate) const AWAITS_ID: &str = "SELECT EXISTS (SELECT 1 FROM outbound_messages WHERE company_id = $1 \
     AND from_number = $2 AND to_number = $3 AND status IN ('sending', 'unknown') AND telnyx_message_id IS NULL)";

/// Whether company `$1` has any queued message (in any status). A status webhook of a company
/// that has none can change nothing: no message has its id, none can be reconciled, and no worker
/// will record it later (a queued message's row exists before Telnyx sees it). Its event is
/// counted and nothing more is done. PostgreSQL's `status_in` CTE holds the same condition.
pub(crate) const HAS_MESSAGES: &str = "SELECT EXISTS (SELECT 1 FROM outbound_messages WHERE company_id = $1)";

/// Keeps a status webhook (`$3`, error `$4`, `$5`) for Telnyx's id `$2` of company `$1` that no
/// message has yet, with its sender `$6`, recipient `$7`, time `$8`, at `$9`. A final status wins
/// over `sent`. Answers the message a worker linked to that id meanwhile, if any.
pub(crate) const PARK: &str = "INSERT INTO telnyx_message_links (company_id, telnyx_message_id, status, \
     error_code, error_detail, from_number, to_number, occurred_at_ms, created_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (company_id, telnyx_message_id) DO UPDATE SET \
     status = CASE WHEN excluded.status = 'sent' AND telnyx_message_links.status IS NOT NULL \
                   THEN telnyx_message_links.status ELSE excluded.status END, \
     error_code = CASE WHEN excluded.status = 'sent' AND telnyx_message_links.status IS NOT NULL \
                       THEN telnyx_message_links.error_code ELSE excluded.error_code END, \
     error_detail = CASE WHEN excluded.status = 'sent' AND telnyx_message_links.status IS NOT NULL \
                         THEN telnyx_message_links.error_detail ELSE excluded.error_detail END \
     RETURNING message_id";

/// Retires links older than `$1` and status webhooks that found no message older than `$2`, at
/// most `$3` rows; answers the message id of each (NULL: a status that never found its message).
pub(crate) const RETIRE: &str = "DELETE FROM telnyx_message_links WHERE (company_id, telnyx_message_id) IN ( \
     SELECT company_id, telnyx_message_id FROM telnyx_message_links \
     WHERE created_at_ms < $1 AND (message_id IS NOT NULL OR created_at_ms < $2) \
     ORDER BY created_at_ms LIMIT $3) RETURNING message_id";

/// Queues the forward of a change of message `$id` (a `Uuid`) of company `$company` (a
/// `CompanyId`) from `$previous` to `$status` on `$conn`, inside the change's transaction, with
/// `$dialect`'s statement (nothing when the company has no status URL). Evaluates to the query's
/// future.
macro_rules! forward_change {
    ($conn:expr, $dialect:expr, $company:expr, $id:expr, $previous:expr, $status:expr) => {
        sqlx::query($dialect.forward_one)
            .bind(uuid::Uuid::new_v4())
            .bind($crate::store::status_sql::forward_event_id($id, $status))
            .bind($company.to_string())
            .bind($id.to_string())
            .bind($previous)
            .bind(chrono::Utc::now())
            .bind($company.as_uuid())
            .bind($id)
            .execute($conn)
    };
}
pub(crate) use forward_change;
