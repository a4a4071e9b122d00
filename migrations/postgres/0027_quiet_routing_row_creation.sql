-- A company's routing row, created by its first load, is not announced (issue 24).
--
-- The first load of a company (`get_routing_defaults`) inserts its `company_routing` row when there
-- is none: no destinations, the default policy, a new forward secret. The row's trigger announced
-- that insert as a rules change, so every node, the loading one included, loaded the company a
-- second time: once per company in a fresh database (1,001 extra loads in the loadgen's warm-up,
-- docs/BENCHMARKS.md, 2026-12-05 sixth session). No node can hold anything the insert changes:
-- every load reads the row, creating it first when there is none, so every node that holds the
-- company read this very row. An insert that sets a destination or a policy is still announced,
-- and so is every update and delete.
DROP TRIGGER company_routing_changed ON company_routing;
CREATE TRIGGER company_routing_changed AFTER UPDATE OR DELETE ON company_routing
    FOR EACH ROW EXECUTE FUNCTION switchboard_announce('rules');
CREATE TRIGGER company_routing_created AFTER INSERT ON company_routing
    FOR EACH ROW
    WHEN (NEW.default_call_destination IS NOT NULL OR NEW.default_message_destination IS NOT NULL
          OR NEW.unrouted_policy <> 'ignore')
    EXECUTE FUNCTION switchboard_announce('rules');
