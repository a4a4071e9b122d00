-- Message forwards with alternates (issue 20): an outbox row remembers its forward's alternate
-- URLs and which of them it is on, so the move to the next one is one durable update of the row
-- (a crash never skips nor repeats a hop beyond at-least-once delivery). `destination` is the URL
-- the row is on now (the primary until a move). A row that gave up says why in `failure`:
-- exhausted (every attempt on its last URL), permanent (could never succeed) or disabled (its
-- last URL answered 410 Gone or was disabled: the row's status is then 'disabled').
ALTER TABLE outbox
    ADD COLUMN alternates text,                       -- JSON array of URLs; NULL: none
    ADD COLUMN hop        integer NOT NULL DEFAULT 0, -- 0: the primary, n: alternates[n - 1]
    ADD COLUMN failure    text;
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled', 'disabled'));
-- Rows that gave up before: after every attempt (12 then), or for good at once.
UPDATE outbox SET failure = CASE WHEN attempts >= 12 THEN 'exhausted' ELSE 'permanent' END WHERE status = 'failed';

-- Forward endpoints (a company's receiver URLs) that answered 410 Gone: disabled until an admin
-- re-enables them; forwards skip a disabled endpoint. A row is written when an endpoint is first
-- disabled and kept (state 'active') after it is re-enabled. Leads with company_id like every key.
CREATE TABLE forward_endpoints (
    company_id  uuid        NOT NULL,
    url         text        NOT NULL,
    id          uuid        NOT NULL UNIQUE,
    state       text        NOT NULL CHECK (state IN ('active', 'disabled')),
    reason      text,
    disabled_at timestamptz,
    enabled_at  timestamptz,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (company_id, url)
);
