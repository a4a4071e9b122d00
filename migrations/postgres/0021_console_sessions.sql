-- Console sign-in sessions (issue 23). The cookie holds a random 256-bit id; only its SHA-256 is
-- stored. `token_hash` is the SHA-256 of the token the session was opened with (as api_tokens
-- stores it): every request checks that token again, so a revoked or expired token ends its
-- sessions. Expiry (idle and absolute) is judged by the daemon against its settings.
CREATE TABLE console_sessions (
    id_hash      text        PRIMARY KEY,
    token_hash   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_by_last_seen ON console_sessions (last_seen_at);
