-- Provisioning jobs: every step is written before (intent) and after (result) its Telnyx call, so a
-- job resumes where it stopped and a number order is reconciled, never repeated blindly.
CREATE TABLE provisioning_jobs (
    id         uuid PRIMARY KEY,
    company_id uuid NOT NULL REFERENCES companies (id),
    kind       text NOT NULL CHECK (kind IN ('provision', 'purchase')),
    request    text NOT NULL, -- the request as JSON
    state      text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    step       text NOT NULL,
    progress   text NOT NULL, -- Progress as JSON: Telnyx ids learned so far, per-number sub-state
    error      text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provisioning_jobs_by_company ON provisioning_jobs (company_id, kind, created_at);
CREATE INDEX provisioning_jobs_running ON provisioning_jobs (created_at) WHERE state = 'running';
