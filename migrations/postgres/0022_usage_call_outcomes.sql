-- Call outcomes in the daily rollup (issue 22, number health from calls): written by the ledger's
-- commit of a `call.hangup` with a new dedupe key (a redelivery adds nothing), per number and UTC
-- day of the commit. `calls_ended` counts every ended call of the company's own (the caller's leg
-- of an inbound call, or a call the company placed); `calls_answered` those that had been answered;
-- `calls_short` the answered ones that lasted less than `number_health.short_call_secs` (decided
-- when the hangup is committed). Rows written before 0022 hold zeros.
ALTER TABLE usage_daily
    ADD COLUMN calls_ended    bigint NOT NULL DEFAULT 0,
    ADD COLUMN calls_answered bigint NOT NULL DEFAULT 0,
    ADD COLUMN calls_short    bigint NOT NULL DEFAULT 0;
