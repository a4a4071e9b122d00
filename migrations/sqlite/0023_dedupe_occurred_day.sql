-- The UTC day each dedupe key's event occurred (Telnyx's data.occurred_at), as PostgreSQL's day
-- partitions have it. SQLite keeps one table and purges it by received_at; the column keeps the
-- two schemas alike and tells an operator when an event happened. NULL: no occurred_at.
ALTER TABLE webhook_events ADD COLUMN occurred_day TEXT;
