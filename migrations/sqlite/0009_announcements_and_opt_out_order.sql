-- (SQLite serves one node: nothing to announce; see the PostgreSQL migration of the same number.)

-- Opt-outs in the order the customer sent them. Telnyx delivers out of order, so the keyword with
-- the latest occurred_at wins, not the last to arrive: a START is kept (opted_out = 0) with its
-- time, so an earlier STOP delivered after it changes nothing.
ALTER TABLE opt_outs ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 1;
ALTER TABLE opt_outs ADD COLUMN changed_at TEXT;
UPDATE opt_outs SET changed_at = created_at;

-- The routing log lives on the dedupe keys (migration 0007); what is left in routing_log moves
-- there too, and the table goes (nodes older than 0007 must be stopped before this upgrade).
UPDATE webhook_events
   SET event_type = r.event_type, decision = r.decision, outcome = r.outcome
  FROM routing_log r
 WHERE (webhook_events.company_id, webhook_events.event_id, webhook_events.phone_number)
     = (r.company_id, r.event_id, r.phone_number);
INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, event_type, decision, outcome)
SELECT company_id, event_id, phone_number,
       CASE WHEN event_type LIKE 'call.%' THEN 'incoming_calls' ELSE 'sms_received' END,
       created_at, event_type, decision, outcome
  FROM routing_log
 WHERE true
    ON CONFLICT DO NOTHING;
DROP TABLE routing_log;
