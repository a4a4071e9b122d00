-- Status forwards of queued messages and status webhooks that come early (issue 21,
-- docs/SENDING.md).
--
-- A company's status URL: every status change of its queued messages is forwarded there, signed
-- like a message forward, through the outbox (queued in the transaction of the change).
CREATE TABLE message_status_urls (
    company_id BLOB PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Telnyx message ids the queue has seen, keyed like every per-company table. A row is one of:
-- - a link: the send worker (or a reconciliation) gave Telnyx's id to `message_id`. Written in the
--   transaction that records the id, so a status webhook whose commit did not see that id yet
--   meets the link on this key (its insert waits for the worker's, and finds the message);
-- - a status webhook that found no message with its id (`message_id` NULL): its status (a final
--   one wins over `sent`), error and parties, applied when the worker records the id.
-- Retired after a while (sending.unmatched_status_secs for statuses that never found a message).
CREATE TABLE telnyx_message_links (
    company_id        BLOB    NOT NULL,
    telnyx_message_id TEXT    NOT NULL,
    message_id        BLOB,
    status            TEXT,
    error_code        TEXT,
    error_detail      TEXT,
    from_number       TEXT,
    to_number         TEXT,
    occurred_at_ms    INTEGER,
    created_at_ms     INTEGER NOT NULL,
    PRIMARY KEY (company_id, telnyx_message_id)
);
CREATE INDEX telnyx_message_links_age ON telnyx_message_links (created_at_ms);

-- Reconciliation: a status webhook for an unknown Telnyx id looks for the one message of its
-- company, sender and recipient a stopped worker left `unknown` (or `sending` past its lease).
CREATE INDEX outbound_messages_unsettled ON outbound_messages (company_id, from_number, to_number)
    WHERE status IN ('sending', 'unknown');
