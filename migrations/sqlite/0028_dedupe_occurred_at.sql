-- When each dedupe key's event occurred (Telnyx's data.occurred_at), as PostgreSQL's day
-- partitions key it (migration 0028 there). SQLite keeps its one key (company_id, event_id,
-- phone_number): the column keeps the two schemas alike. NULL: no occurred_at, or a key written
-- before this release.
ALTER TABLE webhook_events ADD COLUMN occurred_at TEXT;
