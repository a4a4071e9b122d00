-- Company API tokens get scopes, an optional expiry and the time of their last use (see the
-- PostgreSQL migration of the same number).
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read,send,admin';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
