-- An outbox item is keyed by its id alone: (company, event id, kind, destination) hashed. The
-- unique (company_id, event_id, kind) kept only the first of the forwards of a message that
-- reached two company numbers routing to two destinations. Redeliveries queue nothing: the
-- ledger writes an event's items only when its dedupe keys are new, and the id absorbs the rest.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_company_id_event_id_kind_key;
