-- Provisioning jobs: every step is written before (intent) and after (result) its Telnyx call, so a
-- job resumes where it stopped and a number order is reconciled, never repeated blindly.
CREATE TABLE provisioning_jobs (
    id         BLOB PRIMARY KEY,
    company_id BLOB NOT NULL REFERENCES companies (id),
    kind       TEXT NOT NULL CHECK (kind IN ('provision', 'purchase')),
    request    TEXT NOT NULL, -- the request as JSON
    state      TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    step       TEXT NOT NULL,
    progress   TEXT NOT NULL, -- Progress as JSON: Telnyx ids learned so far, per-number sub-state
    error      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX provisioning_jobs_by_company ON provisioning_jobs (company_id, kind, created_at);
CREATE INDEX provisioning_jobs_running ON provisioning_jobs (created_at) WHERE state = 'running';
