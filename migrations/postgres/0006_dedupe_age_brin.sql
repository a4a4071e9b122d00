-- The dedupe keys' age index only serves the background purge (received_at < cutoff). Keys are
-- inserted in time order, so a BRIN index answers that as well as the B-tree did, at a fraction
-- of the cost per insert on the webhook hot path (no B-tree page split or WAL record per event).
DROP INDEX IF EXISTS webhook_events_by_age;
CREATE INDEX webhook_events_by_age ON webhook_events USING brin (received_at);
