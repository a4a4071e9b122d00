-- An outbox item is keyed by its id alone: (company, event id, kind, destination) hashed. The
-- unique (company_id, event_id, kind) kept only the first of the forwards of a message that
-- reached two company numbers routing to two destinations. Redeliveries queue nothing: the
-- ledger writes an event's items only when its dedupe keys are new, and the id absorbs the rest.
-- SQLite cannot drop a table constraint: the table is rebuilt without it.
CREATE TABLE outbox_new (
    id              BLOB PRIMARY KEY,
    company_id      BLOB NOT NULL,
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL, -- forward_message, call_transfer, call_hangup
    destination     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
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
