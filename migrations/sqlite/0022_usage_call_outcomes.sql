-- Call outcomes in the daily rollup (issue 22); see the PostgreSQL migration.
ALTER TABLE usage_daily ADD COLUMN calls_ended INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN calls_answered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN calls_short INTEGER NOT NULL DEFAULT 0;
