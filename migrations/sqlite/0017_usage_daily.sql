-- Usage over time (issue 22): one row per number and UTC day (by commit time), written in the
-- ledger's commit; see the PostgreSQL migration. `day` is 'YYYY-MM-DD'.
CREATE TABLE usage_daily (
    company_id          BLOB    NOT NULL,
    phone_number_id     BLOB    NOT NULL,
    day                 TEXT    NOT NULL,
    incoming_calls      INTEGER NOT NULL DEFAULT 0,
    outgoing_calls      INTEGER NOT NULL DEFAULT 0,
    sms_sent            INTEGER NOT NULL DEFAULT 0,
    sms_received        INTEGER NOT NULL DEFAULT 0,
    delivered           INTEGER NOT NULL DEFAULT 0,
    failed              INTEGER NOT NULL DEFAULT 0,
    failed_spam         INTEGER NOT NULL DEFAULT 0,
    failed_throughput   INTEGER NOT NULL DEFAULT 0,
    failed_destination  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, phone_number_id, day)
);
CREATE INDEX usage_daily_by_company_day ON usage_daily (company_id, day);
