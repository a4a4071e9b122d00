-- PostgreSQL's migration 0026 sets phone_numbers' fillfactor; SQLite has no such setting. Kept so
-- both histories number their migrations alike.
SELECT 1;
