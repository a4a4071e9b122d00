-- Routing rules, customer assignments, opt-outs, admin tokens, the outbox and the routing log.
CREATE TABLE company_routing (
    company_id                  BLOB PRIMARY KEY REFERENCES companies (id),
    default_call_destination    TEXT,
    default_message_destination TEXT,
    unrouted_policy             TEXT NOT NULL DEFAULT 'ignore' CHECK (unrouted_policy IN ('ignore', 'hangup')),
    forward_secret              TEXT NOT NULL,
    updated_at                  TEXT NOT NULL
);

CREATE TABLE departments (
    company_id          BLOB NOT NULL REFERENCES companies (id),
    name                TEXT NOT NULL,
    call_destination    TEXT,
    message_destination TEXT,
    hours               TEXT, -- BusinessHours as JSON, NULL: always open
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (company_id, name)
);

CREATE TABLE locations (
    company_id          BLOB NOT NULL REFERENCES companies (id),
    name                TEXT NOT NULL,
    call_destination    TEXT,
    message_destination TEXT,
    hours               TEXT,
    area_codes          TEXT NOT NULL DEFAULT '', -- comma separated NANP area codes
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (company_id, name)
);

-- One assigned company number per (company, customer), even with several nodes writing at once.
CREATE TABLE customer_assignments (
    company_id      BLOB NOT NULL REFERENCES companies (id),
    customer_number TEXT NOT NULL,
    phone_number_id BLOB NOT NULL REFERENCES phone_numbers (id),
    phone_number    TEXT NOT NULL,
    source          TEXT NOT NULL CHECK (source IN ('admin', 'outbound')),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (company_id, customer_number)
);

CREATE TABLE opt_outs (
    company_id      BLOB NOT NULL REFERENCES companies (id),
    customer_number TEXT NOT NULL,
    keyword         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (company_id, customer_number)
);

CREATE TABLE api_tokens (
    id         BLOB PRIMARY KEY,
    company_id BLOB NOT NULL REFERENCES companies (id),
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE, -- SHA-256 hex of the token; the token is shown once
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_tokens_by_company ON api_tokens (company_id);

-- Side effects, written in the ledger transaction, delivered at least once by the outbox worker.
CREATE TABLE outbox (
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
    delivered_at    TEXT,
    UNIQUE (company_id, event_id, kind)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE routing_log (
    company_id   BLOB NOT NULL,
    event_id     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    phone_number TEXT NOT NULL,
    decision     TEXT NOT NULL, -- RoutingDecision as JSON
    outcome      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (company_id, event_id, phone_number)
);
CREATE INDEX routing_log_recent ON routing_log (company_id, created_at DESC);
