-- Routing rules, customer assignments, opt-outs, admin tokens, the outbox and the routing log.
CREATE TABLE company_routing (
    company_id                  uuid PRIMARY KEY REFERENCES companies (id),
    default_call_destination    text,
    default_message_destination text,
    unrouted_policy             text NOT NULL DEFAULT 'ignore' CHECK (unrouted_policy IN ('ignore', 'hangup')),
    forward_secret              text NOT NULL,
    updated_at                  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE departments (
    company_id          uuid NOT NULL REFERENCES companies (id),
    name                text NOT NULL,
    call_destination    text,
    message_destination text,
    hours               text, -- BusinessHours as JSON, NULL: always open
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, name)
);

CREATE TABLE locations (
    company_id          uuid NOT NULL REFERENCES companies (id),
    name                text NOT NULL,
    call_destination    text,
    message_destination text,
    hours               text,
    area_codes          text NOT NULL DEFAULT '', -- comma separated NANP area codes
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, name)
);

-- One assigned company number per (company, customer), even with several nodes writing at once.
CREATE TABLE customer_assignments (
    company_id      uuid NOT NULL REFERENCES companies (id),
    customer_number text NOT NULL,
    phone_number_id uuid NOT NULL REFERENCES phone_numbers (id),
    phone_number    text NOT NULL,
    source          text NOT NULL CHECK (source IN ('admin', 'outbound')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, customer_number)
);

CREATE TABLE opt_outs (
    company_id      uuid NOT NULL REFERENCES companies (id),
    customer_number text NOT NULL,
    keyword         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, customer_number)
);

CREATE TABLE api_tokens (
    id         uuid PRIMARY KEY,
    company_id uuid NOT NULL REFERENCES companies (id),
    name       text NOT NULL,
    token_hash text NOT NULL UNIQUE, -- SHA-256 hex of the token; the token is shown once
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX api_tokens_by_company ON api_tokens (company_id);

-- Side effects, written in the ledger transaction, delivered at least once by the outbox worker.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY,
    company_id      uuid NOT NULL,
    event_id        text NOT NULL,
    kind            text NOT NULL, -- forward_message, call_transfer, call_hangup
    destination     text NOT NULL,
    payload         text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (company_id, event_id, kind)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE routing_log (
    company_id   uuid NOT NULL,
    event_id     text NOT NULL,
    event_type   text NOT NULL,
    phone_number text NOT NULL,
    decision     text NOT NULL, -- RoutingDecision as JSON
    outcome      text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, event_id, phone_number)
);
CREATE INDEX routing_log_recent ON routing_log (company_id, created_at DESC);
