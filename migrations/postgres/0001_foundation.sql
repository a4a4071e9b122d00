-- Companies, their numbers and their Telnyx settings (column names follow the product schema).
CREATE TABLE companies (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE phone_numbers (
    id                          uuid PRIMARY KEY,
    company_id                  uuid NOT NULL REFERENCES companies (id),
    phone_number                text NOT NULL,
    formatted_number            text NOT NULL,
    telnyx_phone_number_id      text UNIQUE,
    telnyx_messaging_profile_id text,
    telnyx_connection_id        text,
    features                    text NOT NULL DEFAULT 'sms,mms,voice',
    status                      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
    department                  text,
    location                    text,
    incoming_calls_count        bigint NOT NULL DEFAULT 0,
    outgoing_calls_count        bigint NOT NULL DEFAULT 0,
    sms_sent_count              bigint NOT NULL DEFAULT 0,
    sms_received_count          bigint NOT NULL DEFAULT 0,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
-- An active (or suspended) phone number belongs to exactly one company.
CREATE UNIQUE INDEX phone_numbers_one_live_owner ON phone_numbers (phone_number) WHERE status <> 'deleted';
CREATE INDEX phone_numbers_by_company ON phone_numbers (company_id, phone_number);

CREATE TABLE company_telnyx_settings (
    company_id                       uuid PRIMARY KEY REFERENCES companies (id),
    messaging_profile_id             text,
    call_control_application_id      text,
    default_outbound_number          text,
    default_outbound_phone_number_id uuid REFERENCES phone_numbers (id),
    updated_at                       timestamptz NOT NULL DEFAULT now()
);
