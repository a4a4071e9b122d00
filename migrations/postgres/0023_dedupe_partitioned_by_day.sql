-- The dedupe keys (and the routing log on them) are partitioned by the UTC day the event occurred
-- (Telnyx's data.occurred_at). A redelivery carries the same occurred_at, so every copy of a key
-- falls in the same partition and the primary key, which includes the day, still decides "counted
-- once". Retention then drops whole day partitions (store/dedupe_partitions.rs) instead of
-- deleting billions of rows one by one: no dead tuples, no vacuum debt, no WAL for the purge.
--
-- The existing table becomes the DEFAULT partition, `webhook_events_undated`: it keeps the keys
-- written before this release (their day is unknown: -infinity), events without an occurred_at
-- (-infinity too: the same on every redelivery), and events whose day has no partition (older than
-- the retention, or too far ahead). It is purged by received_at, as before, through its BRIN index.
-- Until its -infinity keys are purged, the ledger also looks a new key up there (the key of an
-- event counted before this release must still count nothing when Telnyx redelivers it).
--
-- Not additive: the ledger of the previous release inserts no occurred_day, so during a rolling
-- upgrade its webhook commits fail (503, Telnyx redelivers to a node of this release) until it is
-- replaced. Nothing acknowledged is lost. Day partitions are created by the daemon at start and
-- then periodically (several days ahead); the default partition catches anything before that.
ALTER TABLE webhook_events RENAME TO webhook_events_undated;
ALTER INDEX webhook_events_by_age RENAME TO webhook_events_undated_by_age;
ALTER TABLE webhook_events_undated ADD COLUMN occurred_day date NOT NULL DEFAULT '-infinity';
ALTER TABLE webhook_events_undated ALTER COLUMN occurred_day DROP DEFAULT;
ALTER TABLE webhook_events_undated DROP CONSTRAINT webhook_events_pkey;
ALTER TABLE webhook_events_undated ADD CONSTRAINT webhook_events_undated_pkey
    PRIMARY KEY (company_id, event_id, phone_number, occurred_day);

CREATE TABLE webhook_events (
    company_id   uuid NOT NULL,
    event_id     text COLLATE "C" NOT NULL,
    phone_number text COLLATE "C" NOT NULL,
    counter      text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    event_type   text,
    decision     text, -- RoutingDecision as JSON; NULL for events that are not routed
    outcome      text,
    customer     text,
    occurred_day date NOT NULL,
    PRIMARY KEY (company_id, event_id, phone_number, occurred_day)
) PARTITION BY RANGE (occurred_day);

ALTER TABLE webhook_events ATTACH PARTITION webhook_events_undated DEFAULT;

-- The routing log's index, on every partition (the default partition's existing one is reused).
ALTER INDEX webhook_events_routing_recent RENAME TO webhook_events_undated_routing_recent;
CREATE INDEX webhook_events_routing_recent ON webhook_events (company_id, received_at DESC)
    WHERE decision IS NOT NULL;
