-- The outbound send queue (issue 21).
--
-- A number's sending class: `number_type` (long_code, ten_dlc, toll_free, short_code; NULL reads
-- as long_code), the 10DLC campaign it sends under and the brand the campaign belongs to. They
-- choose the limiters a message from the number passes (docs/SENDING.md).
ALTER TABLE phone_numbers
    ADD COLUMN number_type text CHECK (number_type IN ('long_code', 'ten_dlc', 'toll_free', 'short_code')),
    ADD COLUMN campaign_id text,
    ADD COLUMN brand_id    text;

-- One row per message accepted by POST /v1/companies/{id}/messages. Times are Unix milliseconds
-- (one type on both backends; the limiters compute in them). The sender's class is copied at
-- enqueue time, so a claim needs no join. `status`: queued -> sending -> sent -> delivered,
-- sending_failed, delivery_failed, delivery_unconfirmed; or expired (never sent in time), or
-- unknown (a worker died between recording the attempt and recording Telnyx's answer).
CREATE TABLE outbound_messages (
    company_id        uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id                uuid NOT NULL,
    from_number       text NOT NULL,
    to_number         text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('sms', 'mms')),
    content           text NOT NULL,
    sender_type       text NOT NULL,
    campaign_id       text,
    brand_id          text,
    reason            text NOT NULL,
    status            text NOT NULL,
    attempts          integer NOT NULL DEFAULT 0,
    telnyx_message_id text,
    error_code        text,
    error_detail      text,
    send_at_ms        bigint NOT NULL,
    expires_at_ms     bigint NOT NULL,
    lease_until_ms    bigint,
    created_at_ms     bigint NOT NULL,
    updated_at_ms     bigint NOT NULL,
    sent_at_ms        bigint,
    -- Start tag of the fair queue: the claim serves the lowest first (docs/SENDING.md).
    fair_tag          bigint NOT NULL,
    PRIMARY KEY (company_id, id)
);
-- What the claim reads: queued rows in fair order. The claim is the one query that crosses
-- companies (it serves them all); every other reads under one company.
CREATE INDEX outbound_messages_queued ON outbound_messages (fair_tag, id) WHERE status = 'queued';
-- Expiry and orphan recovery read these.
CREATE INDEX outbound_messages_expiring ON outbound_messages (expires_at_ms) WHERE status = 'queued';
CREATE INDEX outbound_messages_leased ON outbound_messages (lease_until_ms) WHERE status = 'sending';
-- Status webhooks find their message by Telnyx's id, under the company that owns the number.
CREATE INDEX outbound_messages_by_telnyx_id ON outbound_messages (company_id, telnyx_message_id);
-- The list, newest first.
CREATE INDEX outbound_messages_recent ON outbound_messages (company_id, created_at_ms, id);

-- Rate limiters shared by every node: GCRA, one row per limiter key (`sender:+1...`,
-- `campaign:...`, `account:sms`, `account:mms`, `account:calls`) holding its theoretical arrival
-- time in Unix microseconds; a brand's daily budget (`brand:...`) counts `used` in the Pacific `day` it names.
CREATE TABLE send_limiters (
    key    text PRIMARY KEY,
    tat_us bigint NOT NULL,
    day    text,
    used   bigint NOT NULL DEFAULT 0
);

-- Start-time fair queueing between companies: the finish tag of each company's last queued
-- message. A new message starts at max(this, the virtual clock `fair:clock` in send_limiters).
CREATE TABLE send_fairness (
    company_id  uuid PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    last_finish bigint NOT NULL
);
