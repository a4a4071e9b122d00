-- Companies, their numbers and their Telnyx settings (column names follow the product schema).
-- Ids are UUIDs stored as 16-byte blobs; times are RFC 3339 text written by the daemon.
CREATE TABLE companies (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at TEXT NOT NULL
);

CREATE TABLE phone_numbers (
    id                          BLOB PRIMARY KEY,
    company_id                  BLOB NOT NULL REFERENCES companies (id),
    phone_number                TEXT NOT NULL,
    formatted_number            TEXT NOT NULL,
    telnyx_phone_number_id      TEXT UNIQUE,
    telnyx_messaging_profile_id TEXT,
    telnyx_connection_id        TEXT,
    features                    TEXT NOT NULL DEFAULT 'sms,mms,voice',
    status                      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
    department                  TEXT,
    location                    TEXT,
    incoming_calls_count        INTEGER NOT NULL DEFAULT 0,
    outgoing_calls_count        INTEGER NOT NULL DEFAULT 0,
    sms_sent_count              INTEGER NOT NULL DEFAULT 0,
    sms_received_count          INTEGER NOT NULL DEFAULT 0,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL
);
CREATE UNIQUE INDEX phone_numbers_one_live_owner ON phone_numbers (phone_number) WHERE status <> 'deleted';
CREATE INDEX phone_numbers_by_company ON phone_numbers (company_id, phone_number);

CREATE TABLE company_telnyx_settings (
    company_id                       BLOB PRIMARY KEY REFERENCES companies (id),
    messaging_profile_id             TEXT,
    call_control_application_id      TEXT,
    default_outbound_number          TEXT,
    default_outbound_phone_number_id BLOB REFERENCES phone_numbers (id),
    updated_at                       TEXT NOT NULL
);
