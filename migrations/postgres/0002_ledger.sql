-- Dedupe keys: one row per (event id, counted number); the unique key decides "counted once".
CREATE TABLE webhook_events (
    company_id   uuid NOT NULL,
    event_id     text NOT NULL,
    phone_number text NOT NULL,
    counter      text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, event_id, phone_number)
);
CREATE INDEX webhook_events_by_age ON webhook_events (received_at);

-- Events that could not be routed (no owner, ...), acknowledged and kept for an operator.
CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    event_id    text NOT NULL,
    event_type  text NOT NULL,
    reason      text NOT NULL,
    payload     text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, reason)
);
