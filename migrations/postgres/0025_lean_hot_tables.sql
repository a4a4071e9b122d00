-- Lean hot tables (issue 24: PostgreSQL's work per routed event).
--
-- usage_daily keeps one index instead of two. The ledger's commit inserts a row per number and UTC
-- day it touches, and every insert (and every update that cannot stay HOT) also went into
-- `usage_daily_by_company_day`. Its readers are the company's usage over a range of days and the
-- per-number sums since a day (store/usage.rs): both name company_id and a range of days. A primary
-- key ordered (company_id, day, phone_number_id) serves both as one range scan (EXPLAIN in
-- docs/BENCHMARKS.md, 2026-12-05 third session) and still decides the ledger's upsert (its
-- ON CONFLICT names the same three columns), so the second index goes. The key is built once here,
-- like the index it replaces; the all-company read (no company_id) scans the table, as before.
CREATE UNIQUE INDEX usage_daily_key ON usage_daily (company_id, day, phone_number_id);
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD CONSTRAINT usage_daily_pkey PRIMARY KEY USING INDEX usage_daily_key;
DROP INDEX usage_daily_by_company_day;

-- The outbox's rows leave room on their page for their own updates (fillfactor 50). Each item is
-- written three times: queued by the ledger's commit, claimed (next_attempt_at moves to the lease
-- end) and marked delivered. Both updates change an indexed column, so they are never HOT, and
-- with full pages each new version went to another page, so its WAL record carried the whole row
-- (~1 KB of forward body) again: ~4.2 KB of WAL per item. On the same page PostgreSQL logs only
-- the bytes that changed, and pruning reclaims the dead versions in place: ~2.1 KB of WAL per item
-- (docs/BENCHMARKS.md, 2026-12-05 third session). Applies to pages written from now on.
ALTER TABLE outbox SET (fillfactor = 50);
