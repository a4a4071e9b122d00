-- Company API tokens get scopes (read, send, admin, tokens), an optional expiry and the time of
-- their last use. Tokens made before keep what they could do, except minting and revoking tokens:
-- that now needs the `tokens` scope (or the operator), so a leaked token cannot mint a spare.
ALTER TABLE api_tokens
    ADD COLUMN scopes       text NOT NULL DEFAULT 'read,send,admin',
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN last_used_at timestamptz;
