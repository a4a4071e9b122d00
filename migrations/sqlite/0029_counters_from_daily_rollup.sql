-- A number's lifetime counters come from its daily rollup; see the PostgreSQL migration. Days are
-- TEXT (YYYY-MM-DD) here, and '-infinity' sorts before every one of them.
ALTER TABLE phone_numbers RENAME COLUMN incoming_calls_count TO folded_incoming_calls;
ALTER TABLE phone_numbers RENAME COLUMN outgoing_calls_count TO folded_outgoing_calls;
ALTER TABLE phone_numbers RENAME COLUMN sms_sent_count TO folded_sms_sent;
ALTER TABLE phone_numbers RENAME COLUMN sms_received_count TO folded_sms_received;
ALTER TABLE phone_numbers ADD COLUMN folded_through TEXT NOT NULL DEFAULT '-infinity';

-- The counters so far include every usage_daily row: folded through yesterday (UTC), with today's
-- rows taken out of the folded part.
UPDATE phone_numbers SET folded_through = date('now', '-1 day');
UPDATE phone_numbers SET
    folded_incoming_calls = folded_incoming_calls - coalesce((SELECT sum(u.incoming_calls) FROM usage_daily u
        WHERE u.company_id = phone_numbers.company_id AND u.phone_number_id = phone_numbers.id
          AND u.day > phone_numbers.folded_through), 0),
    folded_outgoing_calls = folded_outgoing_calls - coalesce((SELECT sum(u.outgoing_calls) FROM usage_daily u
        WHERE u.company_id = phone_numbers.company_id AND u.phone_number_id = phone_numbers.id
          AND u.day > phone_numbers.folded_through), 0),
    folded_sms_sent = folded_sms_sent - coalesce((SELECT sum(u.sms_sent) FROM usage_daily u
        WHERE u.company_id = phone_numbers.company_id AND u.phone_number_id = phone_numbers.id
          AND u.day > phone_numbers.folded_through), 0),
    folded_sms_received = folded_sms_received - coalesce((SELECT sum(u.sms_received) FROM usage_daily u
        WHERE u.company_id = phone_numbers.company_id AND u.phone_number_id = phone_numbers.id
          AND u.day > phone_numbers.folded_through), 0);

CREATE INDEX usage_daily_by_number ON usage_daily (company_id, phone_number_id, day);
