-- Usage over time (issue 22): one row per number and UTC day (by commit time), written by the
-- ledger's commit from the same new dedupe keys as the numbers' counters, so a day's row holds
-- exactly the events acknowledged that day. Besides the four counters it keeps the outcomes of
-- `message.finalized` per recipient (number health reads them): delivered, failed, and the failed
-- ones by cause (spam/blocked 40002/40003/40015, throughput 40011/40014, bad destination
-- 40001/40012). The numbers' lifetime counters started before this table: rows begin at 0017.
CREATE TABLE usage_daily (
    company_id          uuid   NOT NULL,
    phone_number_id     uuid   NOT NULL,
    day                 date   NOT NULL,
    incoming_calls      bigint NOT NULL DEFAULT 0,
    outgoing_calls      bigint NOT NULL DEFAULT 0,
    sms_sent            bigint NOT NULL DEFAULT 0,
    sms_received        bigint NOT NULL DEFAULT 0,
    delivered           bigint NOT NULL DEFAULT 0,
    failed              bigint NOT NULL DEFAULT 0,
    failed_spam         bigint NOT NULL DEFAULT 0,
    failed_throughput   bigint NOT NULL DEFAULT 0,
    failed_destination  bigint NOT NULL DEFAULT 0,
    -- Leads with company_id like every key (ready for a distributed PostgreSQL).
    PRIMARY KEY (company_id, phone_number_id, day)
);
-- A company's usage per day (the company-wide report and number health over a window).
CREATE INDEX usage_daily_by_company_day ON usage_daily (company_id, day);
