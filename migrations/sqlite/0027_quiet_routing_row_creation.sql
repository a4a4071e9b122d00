-- PostgreSQL's migration 0027 stops announcing a company's first routing row; SQLite announces
-- nothing through triggers (one node). Kept so both histories number their migrations alike.
SELECT 1;
