-- 1. Company data announces its own changes. Every write to what company actors hold (numbers,
-- default number, rules, customer assignments) sends a NOTIFY on switchboard_changes
-- ("<company>:numbers", "<company>:rules" or "<company>:assignment:<customer>") from a trigger, in
-- the write's own transaction: other nodes hear of a change exactly when it commits, and no writer
-- (admin API, provisioning, sending, `switchboard demo`, an operator's SQL) can forget to announce
-- it. PostgreSQL delivers identical notifications of one transaction once. The ledger's counter
-- updates touch none of the watched columns, so the hot path fires no trigger. Opt-outs are not
-- announced: no node holds them in memory (outbound sends read them from the database).
CREATE FUNCTION switchboard_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('switchboard_changes', OLD.company_id::text || ':' || TG_ARGV[0]);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('switchboard_changes', NEW.company_id::text || ':' || TG_ARGV[0]);
    END IF;
    RETURN NULL;
END $$;

-- Inserted numbers are announced per statement: a bulk load of many companies' numbers asks every
-- node to reread everything once ("*:numbers") instead of once per company.
CREATE FUNCTION switchboard_announce_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    companies bigint;
    company uuid;
BEGIN
    SELECT count(DISTINCT company_id) INTO companies FROM inserted;
    IF companies > 64 THEN
        PERFORM pg_notify('switchboard_changes', '*:' || TG_ARGV[0]);
    ELSE
        FOR company IN SELECT DISTINCT company_id FROM inserted LOOP
            PERFORM pg_notify('switchboard_changes', company::text || ':' || TG_ARGV[0]);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER phone_numbers_inserted AFTER INSERT ON phone_numbers
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION switchboard_announce_inserted('numbers');
CREATE TRIGGER phone_numbers_changed
    AFTER UPDATE OF company_id, phone_number, status, features, department, location, telnyx_phone_number_id
    ON phone_numbers FOR EACH ROW EXECUTE FUNCTION switchboard_announce('numbers');
CREATE TRIGGER phone_numbers_deleted AFTER DELETE ON phone_numbers
    FOR EACH ROW EXECUTE FUNCTION switchboard_announce('numbers');

CREATE TRIGGER company_telnyx_settings_changed AFTER INSERT OR UPDATE OR DELETE ON company_telnyx_settings
    FOR EACH ROW EXECUTE FUNCTION switchboard_announce('rules');
CREATE TRIGGER company_routing_changed AFTER INSERT OR UPDATE OR DELETE ON company_routing
    FOR EACH ROW EXECUTE FUNCTION switchboard_announce('rules');
CREATE TRIGGER departments_changed AFTER INSERT OR UPDATE OR DELETE ON departments
    FOR EACH ROW EXECUTE FUNCTION switchboard_announce('rules');
CREATE TRIGGER locations_changed AFTER INSERT OR UPDATE OR DELETE ON locations
    FOR EACH ROW EXECUTE FUNCTION switchboard_announce('rules');

-- One customer's assignment: nodes update that one entry, not the company's whole state.
CREATE FUNCTION switchboard_announce_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('switchboard_changes', OLD.company_id::text || ':assignment:' || OLD.customer_number);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('switchboard_changes', NEW.company_id::text || ':assignment:' || NEW.customer_number);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER customer_assignments_changed AFTER INSERT OR UPDATE OR DELETE ON customer_assignments
    FOR EACH ROW EXECUTE FUNCTION switchboard_announce_assignment();

-- 2. Opt-outs in the order the customer sent them. Telnyx delivers out of order, so the keyword
-- with the latest occurred_at wins, not the last to arrive: a START is kept (opted_out = false)
-- with its time, so an earlier STOP delivered after it changes nothing.
ALTER TABLE opt_outs
    ADD COLUMN opted_out  boolean NOT NULL DEFAULT true,
    ADD COLUMN changed_at timestamptz;
UPDATE opt_outs SET changed_at = created_at;
ALTER TABLE opt_outs ALTER COLUMN changed_at SET NOT NULL;

-- 3. The routing log lives on the dedupe keys (migration 0007); what nodes of the release before
-- it wrote into routing_log during the roll moves there too, and the table goes.
-- Upgrade from the release of 0007/0008: stop nodes older than that first (they write routing_log).
UPDATE webhook_events w
   SET event_type = r.event_type, decision = r.decision, outcome = r.outcome
  FROM routing_log r
 WHERE (w.company_id, w.event_id, w.phone_number) = (r.company_id, r.event_id, r.phone_number);
INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, event_type, decision, outcome)
SELECT company_id, event_id, phone_number,
       CASE WHEN event_type LIKE 'call.%' THEN 'incoming_calls' ELSE 'sms_received' END,
       created_at, event_type, decision, outcome
  FROM routing_log
    ON CONFLICT DO NOTHING;
DROP TABLE routing_log;
