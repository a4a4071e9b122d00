-- The routing log line of an inbound event moves onto its dedupe key's row: the ledger writes one
-- row per (event, number) instead of two, so the webhook hot path pays one heap insert and one
-- unique-index insert per counted number, not two of each. A redelivery that counts nothing logs
-- nothing either (the key decides both). The log is kept as long as the dedupe keys
-- (ledger.dedupe_retention_hours).
--
-- Additive, for a rolling upgrade: the table routing_log stays, so nodes of the previous release
-- still running keep committing into it; readers take the lines of both places. Its existing lines
-- move here now; a later release moves what the old nodes wrote during the roll and drops it.
--
-- Keys compare as bytes (COLLATE "C"): the unique index is probed and extended on every event,
-- and byte comparison is what an exact id needs; a locale's collation costs more for nothing.
ALTER TABLE webhook_events
    ALTER COLUMN event_id TYPE text COLLATE "C",
    ALTER COLUMN phone_number TYPE text COLLATE "C",
    ADD COLUMN event_type text,
    ADD COLUMN decision   text, -- RoutingDecision as JSON; NULL for events that are not routed
    ADD COLUMN outcome    text;

UPDATE webhook_events w
   SET event_type = r.event_type, decision = r.decision, outcome = r.outcome
  FROM routing_log r
 WHERE (w.company_id, w.event_id, w.phone_number) = (r.company_id, r.event_id, r.phone_number);

-- Log lines whose key was already purged come back as keys of their own (they were counted: a
-- routed event is an inbound call or message at a company number) and leave with the next purge.
INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, event_type, decision, outcome)
SELECT company_id, event_id, phone_number,
       CASE WHEN event_type LIKE 'call.%' THEN 'incoming_calls' ELSE 'sms_received' END,
       created_at, event_type, decision, outcome
  FROM routing_log
    ON CONFLICT DO NOTHING;

DELETE FROM routing_log;

CREATE INDEX webhook_events_routing_recent ON webhook_events (company_id, received_at DESC)
    WHERE decision IS NOT NULL;
