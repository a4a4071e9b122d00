-- Each day partition of the dedupe keys gets a key of its own, in the order events occur
-- (issue 24: PostgreSQL's work per event).
--
-- The key (company_id, event_id, phone_number, occurred_day) puts every new key at a random leaf
-- of its day's index: Telnyx event ids are random UUIDs. Once a busy day's index outgrows memory,
-- each insert reads and dirties a leaf of its own: 18-19 us per key against ~6 us for a key led by
-- the event's occurred_at, which sends every company's new keys to the right edge of its range
-- (docs/BENCHMARKS.md, 2026-12-05 eighth session). occurred_at is Telnyx's, the same on every
-- redelivery (the day partitions already rely on it), so such a key still decides "counted once".
--
-- A partitioned table's primary key is one index on every partition, and it cannot change without
-- rebuilding all of them. So the parent loses its primary key and each partition keeps a unique
-- key of its own: the ledger's INSERT ... ON CONFLICT DO NOTHING names no conflict target, and
-- PostgreSQL checks the unique indexes of the partition the row goes to.
-- - Partitions that hold keys keep their key (company_id, event_id, phone_number, occurred_day):
--   no rebuild, and their keys, written without occurred_at, still decide. So does the default
--   partition's.
-- - Empty day partitions (the days ahead) are dropped: the daemon creates them again at start,
--   before it is ready, with the new key (store/dedupe_partitions.rs). A day created from now on
--   is keyed (company_id, occurred_at, event_id, phone_number), and indexed (company_id, event_id)
--   for its routed keys, so the routing log still finds an event by its id.
-- Detaching and attaching back each partition checks its bounds with one scan of it (and of the
-- default partition), under an exclusive lock: webhook commits wait (or fail: 503, Telnyx
-- redelivers) while this migration runs.
--
-- Not additive: the new column has no default, so the ledger of the previous release fails its
-- inserts (503, Telnyx redelivers to a node of this release) until it is replaced. Were it to
-- succeed, a key it writes without occurred_at would not conflict with the same event's key
-- written by this release: the event would count twice. Nothing acknowledged is lost. Nor can the
-- previous release create a day partition (it would have no key at all): attaching one needs the
-- CHECK constraint below, which its partitions, made `LIKE webhook_events INCLUDING DEFAULTS`, lack.
ALTER TABLE webhook_events ADD COLUMN occurred_at timestamptz NOT NULL DEFAULT '-infinity';
ALTER TABLE webhook_events ALTER COLUMN occurred_at DROP DEFAULT;

DO $$
DECLARE
    p record;
    names text[] := '{}';
    bounds text[] := '{}';
    empty boolean;
BEGIN
    -- By name: the day partitions (webhook_events_dYYYYMMDD) come back before the default one.
    FOR p IN SELECT c.relname::text AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
             FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'webhook_events'::regclass
             ORDER BY 1
    LOOP
        EXECUTE format('ALTER TABLE webhook_events DETACH PARTITION %I', p.name);
        IF p.bound <> 'DEFAULT' THEN
            EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %I)', p.name) INTO empty;
            IF empty THEN
                EXECUTE format('DROP TABLE %I', p.name);
                CONTINUE;
            END IF;
        END IF;
        names := names || p.name;
        bounds := bounds || p.bound;
    END LOOP;
    ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_pkey;
    FOR i IN 1 .. coalesce(array_length(names, 1), 0) LOOP
        EXECUTE format('ALTER TABLE webhook_events ATTACH PARTITION %I %s', names[i], bounds[i]);
    END LOOP;
END $$;

-- A key's day is the UTC day of its occurred_at (-infinity: a key written without it). True of
-- every key; it also keeps the previous release from attaching partitions (above).
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_day_of_occurred_at
    CHECK (occurred_at = '-infinity' OR (occurred_at AT TIME ZONE 'UTC')::date = occurred_day);
