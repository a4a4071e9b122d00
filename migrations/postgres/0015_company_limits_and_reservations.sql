-- Per-company limits (issue 19): the operator's overrides of the configured defaults (NULL: the
-- default applies), and one fixed window per company and kind counting what was taken in it.
CREATE TABLE company_limits (
    company_id          UUID PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    messages_per_minute BIGINT CHECK (messages_per_minute >= 0),
    calls_per_minute    BIGINT CHECK (calls_per_minute >= 0),
    purchases_per_day   BIGINT CHECK (purchases_per_day >= 0),
    updated_at          TIMESTAMPTZ NOT NULL
);

-- `kind`: messages, calls or purchases; `window_start`: Unix seconds of the window's start.
CREATE TABLE company_rate_windows (
    company_id   UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    used         BIGINT NOT NULL,
    PRIMARY KEY (company_id, kind)
);

-- Numbers a provisioning job is about to buy, reserved for its company from the search until the
-- number is stored (or its purchase failed): no other company registers one meanwhile.
-- `expires_at`: Unix seconds; a reservation past it no longer holds.
CREATE TABLE number_reservations (
    phone_number TEXT PRIMARY KEY,
    company_id   UUID NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    job_id       UUID NOT NULL,
    expires_at   BIGINT NOT NULL
);
