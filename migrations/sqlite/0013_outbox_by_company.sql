-- GET /v1/companies/{id}/outbox reads a company's rows newest first, a page at a time (keyset on
-- created_at, id): without this index every page scanned and sorted the whole outbox, every
-- company's. The other lists already have theirs (primary keys on (company_id, name) and
-- (company_id, customer_number), phone_numbers_by_company, api_tokens_by_company, and
-- webhook_events_routing_recent for the routing log).
CREATE INDEX outbox_by_company ON outbox (company_id, created_at, id);
