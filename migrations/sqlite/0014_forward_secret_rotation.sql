-- A company's forward secret can be rotated (see the PostgreSQL migration of the same number).
ALTER TABLE company_routing ADD COLUMN previous_forward_secret TEXT;
ALTER TABLE company_routing ADD COLUMN previous_secret_until TEXT;
