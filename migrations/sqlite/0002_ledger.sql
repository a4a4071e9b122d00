-- Dedupe keys: one row per (event id, counted number); the unique key decides "counted once".
CREATE TABLE webhook_events (
    company_id   BLOB NOT NULL,
    event_id     TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    counter      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (company_id, event_id, phone_number)
) WITHOUT ROWID;
CREATE INDEX webhook_events_by_age ON webhook_events (received_at);

-- Events that could not be routed (no owner, ...), acknowledged and kept for an operator.
CREATE TABLE dead_letters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (event_id, reason)
);
