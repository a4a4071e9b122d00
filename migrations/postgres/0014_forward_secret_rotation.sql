-- A company's forward secret can be rotated: the previous one keeps signing forwards (beside the
-- new one, in the same webhook-signature header) until its grace period ends.
ALTER TABLE company_routing
    ADD COLUMN previous_forward_secret text,
    ADD COLUMN previous_secret_until   timestamptz;
