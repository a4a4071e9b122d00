-- The operator surface (issue 22): dead letters that can be filtered and re-driven, a routing log
-- filtered by customer, and outbox items an admin can cancel (see the PostgreSQL migration).
ALTER TABLE dead_letters ADD COLUMN phone_number TEXT;
ALTER TABLE dead_letters ADD COLUMN redriven_at TEXT;
ALTER TABLE dead_letters ADD COLUMN redrive_outcome TEXT;
CREATE INDEX dead_letters_by_number ON dead_letters (phone_number, id);
CREATE INDEX dead_letters_by_age ON dead_letters (received_at);

ALTER TABLE webhook_events ADD COLUMN customer TEXT;

-- SQLite cannot change a CHECK constraint: the outbox is rebuilt with 'cancelled' allowed.
CREATE TABLE outbox_new (
    id              BLOB PRIMARY KEY,
    company_id      BLOB NOT NULL,
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL, -- forward_message, call_answer, call_transfer, call_hangup
    destination     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT
);
INSERT INTO outbox_new (id, company_id, event_id, kind, destination, payload, status, attempts, next_attempt_at,
                        last_error, created_at, delivered_at)
SELECT id, company_id, event_id, kind, destination, payload, status, attempts, next_attempt_at,
       last_error, created_at, delivered_at
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_by_company ON outbox (company_id, created_at, id);
