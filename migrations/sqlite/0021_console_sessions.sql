-- Console sign-in sessions (issue 23); see the PostgreSQL migration.
CREATE TABLE console_sessions (
    id_hash      TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX console_sessions_by_last_seen ON console_sessions (last_seen_at);
