-- Lean hot tables (issue 24); see the PostgreSQL migration. SQLite cannot change a primary key in
-- place: usage_daily is rebuilt with the key (company_id, day, phone_number_id), which serves both
-- of its readers, and without usage_daily_by_company_day.
CREATE TABLE usage_daily_new (
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
    calls_ended         INTEGER NOT NULL DEFAULT 0,
    calls_answered      INTEGER NOT NULL DEFAULT 0,
    calls_short         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (company_id, day, phone_number_id)
);
INSERT INTO usage_daily_new (company_id, phone_number_id, day, incoming_calls, outgoing_calls, sms_sent, sms_received,
                             delivered, failed, failed_spam, failed_throughput, failed_destination, calls_ended,
                             calls_answered, calls_short)
SELECT company_id, phone_number_id, day, incoming_calls, outgoing_calls, sms_sent, sms_received, delivered, failed,
       failed_spam, failed_throughput, failed_destination, calls_ended, calls_answered, calls_short
FROM usage_daily;
DROP TABLE usage_daily;
ALTER TABLE usage_daily_new RENAME TO usage_daily;
