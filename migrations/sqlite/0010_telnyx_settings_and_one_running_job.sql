-- 1. The company's Telnyx settings as the product's schema means them.
-- default_outbound_phone_number_id is Telnyx's id of the default number (the `{id}` of
-- /phone_numbers/{id}), not ours: our UUID moves to default_outbound_number_id (the number's row,
-- which GET /default-number names), and the Telnyx id is filled from the number's row.
ALTER TABLE company_telnyx_settings RENAME COLUMN default_outbound_phone_number_id TO default_outbound_number_id;
ALTER TABLE company_telnyx_settings ADD COLUMN default_outbound_phone_number_id TEXT;
UPDATE company_telnyx_settings
   SET default_outbound_phone_number_id = p.telnyx_phone_number_id
  FROM phone_numbers p
 WHERE p.id = company_telnyx_settings.default_outbound_number_id;
-- The outbound voice profile of the company's Call Control application (created per company, or
-- telnyx.outbound_voice_profile_id). NULL on a company provisioned before it: provisioning again
-- attaches one.
ALTER TABLE company_telnyx_settings ADD COLUMN outbound_voice_profile_id TEXT;

-- 2. At most one running provisioning job per company: the unique index decides between
-- concurrent requests (the loser answers with the running job), so a company never gets two
-- profiles, two applications or two orders for one request. Before it, of several jobs running
-- for one company the oldest goes on; the others are failed, to be resumed by POST /provision.
UPDATE provisioning_jobs
   SET state = 'failed',
       error = 'stopped by migration 0010: another job of the company was running (one runs at a time)',
       updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
 WHERE state = 'running'
   AND EXISTS (SELECT 1 FROM provisioning_jobs k
                WHERE k.company_id = provisioning_jobs.company_id AND k.state = 'running'
                  AND (k.created_at < provisioning_jobs.created_at
                       OR (k.created_at = provisioning_jobs.created_at AND k.id < provisioning_jobs.id)));
CREATE UNIQUE INDEX provisioning_jobs_one_running ON provisioning_jobs (company_id) WHERE state = 'running';
-- GET /v1/companies/{id}/jobs lists a company's jobs newest first.
CREATE INDEX provisioning_jobs_newest ON provisioning_jobs (company_id, created_at DESC, id DESC);
