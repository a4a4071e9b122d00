-- A number's lifetime counters come from its daily rollup (issue 24: PostgreSQL's work per event).
--
-- The ledger's commit wrote every new key twice: into the number's row of the day in usage_daily
-- and into the number's four lifetime counters on phone_numbers, a wide row. In a spread load (each
-- event its own number) that is one more row update per event: ~22% of PostgreSQL's CPU per event
-- (docs/BENCHMARKS.md, 2026-12-06 thirteenth session). Now the commit writes usage_daily alone, and
-- a number's lifetime counter is
--     folded_<counter> + the sum of its usage_daily rows with day > folded_through
-- (store/companies.rs, COUNTER_COLUMNS). The days that can no longer change (before yesterday, UTC)
-- are folded into the folded_ columns periodically, so a read sums at most a few rows per number
-- (store/counter_fold.rs): one statement adds a number's rows of those days and moves its
-- folded_through past them, conditional on folded_through still being the one it summed from, so a
-- day is folded once however many nodes fold at the same time.
--
-- The counters so far include every usage_daily row written so far (the commit wrote both). So the
-- numbers start folded through yesterday (UTC), and the rows of today, which further events add to,
-- are taken out of the folded part. A number created from now on starts folded through -infinity.
--
-- Not additive: the counter columns are renamed, so the ledger of the previous release fails its
-- commits (503, Telnyx redelivers to a node of this release) until it is replaced; were they kept,
-- its commits would add each event to both and a read would count it twice. Its number reads fail
-- too. Nothing acknowledged is lost. The renames take phone_numbers' exclusive lock briefly; the
-- UPDATE below rewrites only the rows of numbers with events today.
ALTER TABLE phone_numbers RENAME COLUMN incoming_calls_count TO folded_incoming_calls;
ALTER TABLE phone_numbers RENAME COLUMN outgoing_calls_count TO folded_outgoing_calls;
ALTER TABLE phone_numbers RENAME COLUMN sms_sent_count TO folded_sms_sent;
ALTER TABLE phone_numbers RENAME COLUMN sms_received_count TO folded_sms_received;

-- Existing rows get yesterday as a constant default (no table rewrite); new rows -infinity.
DO $$
BEGIN
    EXECUTE format('ALTER TABLE phone_numbers ADD COLUMN folded_through date NOT NULL DEFAULT %L',
                   (now() AT TIME ZONE 'UTC')::date - 1);
END $$;
ALTER TABLE phone_numbers ALTER COLUMN folded_through SET DEFAULT '-infinity';

UPDATE phone_numbers p SET
    folded_incoming_calls = p.folded_incoming_calls - s.ic,
    folded_outgoing_calls = p.folded_outgoing_calls - s.oc,
    folded_sms_sent = p.folded_sms_sent - s.ss,
    folded_sms_received = p.folded_sms_received - s.sr
FROM (
    SELECT company_id, phone_number_id, sum(incoming_calls) AS ic, sum(outgoing_calls) AS oc, sum(sms_sent) AS ss,
           sum(sms_received) AS sr
    FROM usage_daily WHERE day > (now() AT TIME ZONE 'UTC')::date - 1
    GROUP BY company_id, phone_number_id
) s
WHERE p.company_id = s.company_id AND p.id = s.phone_number_id;

-- A number's rows after its folded_through, for the reads and the fold. A commit adds an entry
-- here only with the first event of a number's day (later ones update that row in place).
CREATE INDEX usage_daily_by_number ON usage_daily (company_id, phone_number_id, day);
