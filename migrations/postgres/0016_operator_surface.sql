-- The operator surface (issue 22): dead letters that can be filtered and re-driven, a routing log
-- filtered by customer, and outbox items an admin can cancel.
--
-- Dead letters keep the first number no company owned (NULL on rows written before), so an
-- operator can find them by number and re-drive them once the number is registered; a re-drive
-- records when it ran and what the ingress answered.
ALTER TABLE dead_letters
    ADD COLUMN phone_number    text,
    ADD COLUMN redriven_at     timestamptz,
    ADD COLUMN redrive_outcome text;
-- The list reads newest first by id; the number filter and the retention purge read these.
CREATE INDEX dead_letters_by_number ON dead_letters (phone_number, id);
CREATE INDEX dead_letters_by_age ON dead_letters (received_at);

-- The customer of an inbound event's routing log line (the caller or sender; NULL on lines written
-- before). Nullable without a default: adding it rewrites nothing.
ALTER TABLE webhook_events ADD COLUMN customer text;

-- An admin may cancel an outbox item: it is never attempted again (a retry brings it back).
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled'));
