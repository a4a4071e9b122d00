-- The routing log line of an inbound event moves onto its dedupe key's row: the ledger writes one
-- row per (event, number) instead of two, and a redelivery that counts nothing logs nothing
-- either. The log is kept as long as the dedupe keys (ledger.dedupe_retention_hours).
-- The table routing_log stays (readers take the lines of both places); its lines move here now,
-- and a later release drops it (see the PostgreSQL migration of the same number).
ALTER TABLE webhook_events ADD COLUMN event_type TEXT;
ALTER TABLE webhook_events ADD COLUMN decision TEXT; -- RoutingDecision as JSON; NULL when not routed
ALTER TABLE webhook_events ADD COLUMN outcome TEXT;

UPDATE webhook_events
   SET event_type = r.event_type, decision = r.decision, outcome = r.outcome
  FROM routing_log r
 WHERE (webhook_events.company_id, webhook_events.event_id, webhook_events.phone_number)
     = (r.company_id, r.event_id, r.phone_number);

-- Log lines whose key was already purged come back as keys of their own (they were counted: a
-- routed event is an inbound call or message at a company number) and leave with the next purge.
INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, event_type, decision, outcome)
SELECT company_id, event_id, phone_number,
       CASE WHEN event_type LIKE 'call.%' THEN 'incoming_calls' ELSE 'sms_received' END,
       created_at, event_type, decision, outcome
  FROM routing_log
 WHERE true
    ON CONFLICT DO NOTHING;

DELETE FROM routing_log;

CREATE INDEX webhook_events_routing_recent ON webhook_events (company_id, received_at DESC)
    WHERE decision IS NOT NULL;
