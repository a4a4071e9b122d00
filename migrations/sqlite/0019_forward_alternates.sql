-- Message forwards with alternates (issue 20): see the PostgreSQL migration.
-- SQLite cannot change a CHECK constraint: the outbox is rebuilt with 'disabled' allowed and the
-- columns of alternates (alternates, hop, failure).
CREATE TABLE outbox_new (
    id              BLOB PRIMARY KEY,
    company_id      BLOB NOT NULL,
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL, -- forward_message, call_answer, call_transfer, call_hangup, call_dial
    destination     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled', 'disabled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    delivered_at    TEXT,
    alternates      TEXT,
    hop             INTEGER NOT NULL DEFAULT 0,
    failure         TEXT
);
INSERT INTO outbox_new (id, company_id, event_id, kind, destination, payload, status, attempts, next_attempt_at,
                        last_error, created_at, delivered_at, failure)
SELECT id, company_id, event_id, kind, destination, payload, status, attempts, next_attempt_at,
       last_error, created_at, delivered_at,
       CASE WHEN status <> 'failed' THEN NULL WHEN attempts >= 12 THEN 'exhausted' ELSE 'permanent' END
  FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_by_company ON outbox (company_id, created_at, id);

CREATE TABLE forward_endpoints (
    company_id  BLOB NOT NULL,
    url         TEXT NOT NULL,
    id          BLOB NOT NULL UNIQUE,
    state       TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
    reason      TEXT,
    disabled_at TEXT,
    enabled_at  TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (company_id, url)
);
