//! The PostgreSQL ledger statement's part for the status webhooks of queued messages
//! (docs/SENDING.md): each applied to the message with its Telnyx id, else attached to the one
//! message a stopped worker left `unknown` (reconciliation), else, when a message awaits an id,
//! kept in `telnyx_message_links` for the worker that will record it (or applied through the link
//! such a worker wrote after this statement's snapshot); each change forwarded to the company's
//! status URL. The SQLite ledger does the same in `sqlite_statuses.rs`.

/// The CTEs of a batch's status webhooks of queued messages, appended to the ledger's batch CTEs
/// (`Parts` in postgres_ledger.rs, when the batch has such webhooks): parameters $29..$33 and $37..$40.
macro_rules! status_ctes {
    () => {
        concat!(
            "\
, status_in AS (
    -- Status webhooks of queued messages with new keys (a redelivery changes nothing): one change
    -- per message and batch, a final status before `sent`. Only of companies that have queued
    -- messages: for the others nothing can change (status_sql::HAS_MESSAGES).
    SELECT DISTINCT ON (c, t) c, t, s, code, detail, f, r, at_ms
    FROM unnest($29::uuid[], $30::text[], $31::text[], $32::text[], $33::text[], $37::text[], $38::text[],
                $39::text[], $40::int8[]) AS y(c, t, s, code, e, detail, f, r, at_ms)
    WHERE EXISTS (SELECT 1 FROM ins WHERE ins.company_id = y.c AND ins.event_id = y.e)
      AND EXISTS (SELECT 1 FROM outbound_messages o WHERE o.company_id = y.c)
    ORDER BY c, t, (s <> 'sent') DESC
), statuses AS (
    -- ...applied to the message with that Telnyx id, never a final status taken back by `sent`
    -- (`old`: the row as this statement's snapshot saw it, for the forward's previous status).
    UPDATE outbound_messages m SET status = x.s, error_code = COALESCE(x.code, m.error_code),
        error_detail = COALESCE(x.detail, m.error_detail),
        updated_at_ms = (extract(epoch FROM now()) * 1000)::bigint
    FROM status_in x, outbound_messages old
    WHERE m.company_id = x.c AND m.telnyx_message_id = x.t AND old.company_id = m.company_id AND old.id = m.id
      AND (x.s <> 'sent' OR m.status IN ('sending', 'sent', 'unknown'))
    RETURNING m.company_id, m.id, old.status AS previous, m.status, m.telnyx_message_id, m.error_code,
        m.error_detail, m.from_number, m.to_number, m.updated_at_ms
), unmatched AS (
    SELECT x.* FROM status_in x
    WHERE NOT EXISTS (SELECT 1 FROM outbound_messages m WHERE m.company_id = x.c AND m.telnyx_message_id = x.t)
), reconcile AS (
    -- A Telnyx id no message has: the one message a stopped worker left without an id (unknown,
    -- or sending past its lease), same sender and recipient, queued before the event. Never a
    -- guess: none when two messages could match, or when two ids of the batch want one message.
    SELECT c, t, id FROM (
        SELECT u.c, u.t, (array_agg(m.id))[1] AS id, count(*) OVER (PARTITION BY (array_agg(m.id))[1]) AS wanted
        FROM unmatched u JOIN outbound_messages m ON m.company_id = u.c AND m.from_number = u.f
            AND m.to_number = u.r AND m.status IN ('sending', 'unknown') AND m.telnyx_message_id IS NULL
            AND m.created_at_ms <= u.at_ms
            AND (m.status = 'unknown' OR m.lease_until_ms <= (extract(epoch FROM now()) * 1000)::bigint)
        GROUP BY u.c, u.t HAVING count(*) = 1
    ) one WHERE wanted = 1
), reconciled AS (
    UPDATE outbound_messages m SET telnyx_message_id = x.t, status = x.s, error_code = x.code,
        error_detail = x.detail, updated_at_ms = (extract(epoch FROM now()) * 1000)::bigint, lease_until_ms = NULL
    FROM reconcile r, status_in x, outbound_messages old
    WHERE x.c = r.c AND x.t = r.t AND m.company_id = r.c AND m.id = r.id AND old.company_id = m.company_id
      AND old.id = m.id AND m.telnyx_message_id IS NULL AND m.status IN ('sending', 'unknown')
    RETURNING m.company_id, m.id, old.status AS previous, m.status, m.telnyx_message_id, m.error_code,
        m.error_detail, m.from_number, m.to_number, m.updated_at_ms
), parked AS (
    -- Every other id is kept for the worker that will record it (and a reconciled one is linked).
    -- A worker that recorded it after this statement's snapshot left its link on this key: the
    -- insert waits for the worker's commit and answers the message, updated below.
    INSERT INTO telnyx_message_links AS l (company_id, telnyx_message_id, message_id, status, error_code,
                                           error_detail, from_number, to_number, occurred_at_ms, created_at_ms)
    SELECT u.c, u.t, rc.id, u.s, u.code, u.detail, u.f, u.r, u.at_ms, (extract(epoch FROM now()) * 1000)::bigint
    FROM unmatched u LEFT JOIN reconciled rc ON rc.company_id = u.c AND rc.telnyx_message_id = u.t
    -- Not kept when no worker can record it: no message from its sender to its (one) recipient
    -- awaits Telnyx's id (a message sent around switchboard). A queued message's row is `sending`
    -- from before Telnyx takes it, so this snapshot sees it (status_sql::AWAITS_ID).
    WHERE rc.id IS NOT NULL OR u.r IS NULL OR EXISTS (SELECT 1 FROM outbound_messages m
        WHERE m.company_id = u.c AND m.from_number = u.f AND m.to_number = u.r AND m.status IN ('sending', 'unknown')
          AND m.telnyx_message_id IS NULL)
    ORDER BY u.c, u.t
    ON CONFLICT (company_id, telnyx_message_id) DO UPDATE SET
        message_id = COALESCE(l.message_id, excluded.message_id),
        status = CASE WHEN excluded.status = 'sent' AND l.status IS NOT NULL THEN l.status ELSE excluded.status END,
        error_code = CASE WHEN excluded.status = 'sent' AND l.status IS NOT NULL THEN l.error_code
                          ELSE excluded.error_code END,
        error_detail = CASE WHEN excluded.status = 'sent' AND l.status IS NOT NULL THEN l.error_detail
                            ELSE excluded.error_detail END
    RETURNING l.company_id, l.telnyx_message_id, l.message_id
), linked AS (
    UPDATE outbound_messages m SET status = x.s, error_code = COALESCE(x.code, m.error_code),
        error_detail = COALESCE(x.detail, m.error_detail),
        updated_at_ms = (extract(epoch FROM now()) * 1000)::bigint
    FROM parked p, status_in x, outbound_messages old
    WHERE p.message_id IS NOT NULL AND x.c = p.company_id AND x.t = p.telnyx_message_id
      AND NOT EXISTS (SELECT 1 FROM reconciled rc WHERE rc.company_id = p.company_id AND rc.id = p.message_id)
      AND m.company_id = p.company_id AND m.id = p.message_id AND old.company_id = m.company_id AND old.id = m.id
      AND (x.s <> 'sent' OR m.status IN ('sending', 'sent', 'unknown'))
    RETURNING m.company_id, m.id, old.status AS previous, m.status, m.telnyx_message_id, m.error_code,
        m.error_detail, m.from_number, m.to_number, m.updated_at_ms
), status_out AS (
    -- Each change, forwarded to the company's status URL (when it has one) in this commit.
    INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, created_at, next_attempt_at)
    SELECT gen_random_uuid(), m.company_id, 'message-status:' || m.id::text || ':' || m.status, 'message_status',
        u.url, ",
            $crate::store::status_sql::pg_status_body!(
                "'message-status:' || m.id::text || ':' || m.status",
                "m.company_id::text",
                "m.id::text",
                "m.previous"
            ),
            ", now(), now()
    FROM (SELECT * FROM statuses UNION ALL SELECT * FROM reconciled UNION ALL SELECT * FROM linked) m
    JOIN message_status_urls u ON u.company_id = m.company_id
    WHERE m.previous IS DISTINCT FROM m.status
    RETURNING id
)"
        )
    };
}
pub(crate) use status_ctes;
