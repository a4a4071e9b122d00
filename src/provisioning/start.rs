//! Starting a job without ever buying twice: at most one job of a company runs (a unique index
//! decides between concurrent requests, and the loser answers with the running job); a failed
//! job is resumed from the step it reached instead of being replaced, so what it created and the
//! orders it placed are followed rather than made again.
//!
//! Each request decides from what it reads (the running job, the latest job, the settings), then
//! inserts its job only if no job was added meanwhile ([`JobStore::insert_job_if_count`]);
//! otherwise it reads and decides again.
//!
//! [`JobStore::insert_job_if_count`]: crate::store::JobStore::insert_job_if_count
use tokio::task::JoinHandle;

use super::job::{Job, JobKind, JobRequest, JobState, Progress};
use super::runner::JobRunner;
use crate::company::limits::{self, LimitError};
use crate::domain::CompanyId;
use crate::store::{CompanySettings, LimitKind, StoreError};

/// Rounds of read-and-decide before giving up on a company other requests keep changing.
const ROUNDS: usize = 5;

/// A running job saved no later than this is followed by a task (here or on another node).
const STALE_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// What a provisioning request leads to.
pub enum Started {
    /// The company is provisioned (profile, voice profile, application, default number): nothing
    /// to do.
    Provisioned(CompanySettings),
    /// The job to answer with: new, resumed or already running. `handle` is its task when this
    /// request started it on this node.
    Job { job: Job, handle: Option<JoinHandle<()>> },
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another job of the company runs (one runs at a time).
    #[error("{} job {} is running for this company; one job runs at a time", .0.kind.as_str(), .0.id)]
    Busy(Box<Job>),
    /// A failed purchase placed number orders that are not settled: it resumes with its own
    /// request before anything else is bought.
    #[error(
        "purchase job {} failed with number orders not settled; POST its request again ({}) to resume it",
        .0.id, describe(&.0.request)
    )]
    Unsettled(Box<Job>),
    #[error("the company is not provisioned yet: POST /v1/companies/{{id}}/provision first")]
    NotProvisioned,
    #[error("other provisioning requests for this company kept changing it; try again")]
    Contended,
    /// A new job would buy more numbers today than the company's `purchases_per_day`.
    #[error(transparent)]
    Limited(LimitError),
}

impl From<LimitError> for StartError {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::Store(e) => StartError::Store(e),
            e => StartError::Limited(e),
        }
    }
}

fn describe(r: &JobRequest) -> String {
    match &r.area_code {
        Some(code) => format!("quantity {}, area code {code}", r.quantity),
        None => format!("quantity {}", r.quantity),
    }
}

/// Provisioned: every resource the jobs make is recorded, and a default number is set.
pub fn is_provisioned(s: &CompanySettings) -> bool {
    s.messaging_profile_id.is_some()
        && s.call_control_application_id.is_some()
        && s.outbound_voice_profile_id.is_some()
        && s.default_outbound_number.is_some()
}

/// POST /provision: the company's settings when it is provisioned; else the running provision
/// job, the failed one resumed, or a new one. A new job starts from what the settings hold; a
/// company provisioned before outbound voice profiles existed gets only its voice profile (the
/// job buys nothing: `quantity` 0).
pub async fn provision(runner: &JobRunner, company: CompanyId, request: JobRequest) -> Result<Started, StartError> {
    let store = runner.store();
    for _ in 0..ROUNDS {
        let seen = store.job_count(company).await?;
        if let Some(job) = running(runner, company).await? {
            return match job.kind {
                JobKind::Provision => Ok(follow(runner, job)),
                JobKind::Purchase => Err(StartError::Busy(Box::new(job))),
            };
        }
        let settings = store.get_settings(company).await?;
        if is_provisioned(&settings) {
            return Ok(Started::Provisioned(settings));
        }
        if let Some(failed) = latest(runner, company, JobKind::Provision).await?.filter(|j| j.state == JobState::Failed)
        {
            match reopen(runner, failed).await? {
                Some(started) => return Ok(started),
                None => continue,
            }
        }
        let (request, progress) = from_settings(&settings, request.clone());
        let job = Job::new(company, JobKind::Provision, request, progress);
        if let Some(started) = insert_within_limit(runner, job, seen).await? {
            return Ok(started);
        }
    }
    Err(StartError::Contended)
}

/// POST /numbers/purchase: the running purchase job when it has the same request; the failed
/// purchase with unsettled orders resumed when it has the same request; else a new job on the
/// company's profile and application.
pub async fn purchase(runner: &JobRunner, company: CompanyId, request: JobRequest) -> Result<Started, StartError> {
    let store = runner.store();
    for _ in 0..ROUNDS {
        let seen = store.job_count(company).await?;
        if let Some(job) = running(runner, company).await? {
            return match job.kind == JobKind::Purchase && job.request == request {
                true => Ok(follow(runner, job)),
                false => Err(StartError::Busy(Box::new(job))),
            };
        }
        let settings = store.get_settings(company).await?;
        let (Some(profile), Some(app)) = (settings.messaging_profile_id, settings.call_control_application_id) else {
            return Err(StartError::NotProvisioned);
        };
        let unsettled = latest(runner, company, JobKind::Purchase)
            .await?
            .filter(|j| j.state == JobState::Failed && j.progress.has_open_orders());
        if let Some(failed) = unsettled {
            if failed.request != request {
                return Err(StartError::Unsettled(Box::new(failed)));
            }
            match reopen(runner, failed).await? {
                Some(started) => return Ok(started),
                None => continue,
            }
        }
        let progress = Progress {
            messaging_profile_id: Some(profile),
            call_control_application_id: Some(app),
            ..Progress::default()
        };
        let job = Job::new(company, JobKind::Purchase, request.clone(), progress);
        if let Some(started) = insert_within_limit(runner, job, seen).await? {
            return Ok(started);
        }
    }
    Err(StartError::Contended)
}

/// A new provision job's request and progress from the company's settings: what exists is kept
/// (an application recorded with its voice profile already references it); a company with a
/// profile, an application and a default number buys nothing.
fn from_settings(s: &CompanySettings, request: JobRequest) -> (JobRequest, Progress) {
    let complete_but_voice = s.messaging_profile_id.is_some()
        && s.call_control_application_id.is_some()
        && s.default_outbound_number.is_some();
    let progress = Progress {
        messaging_profile_id: s.messaging_profile_id.clone(),
        outbound_voice_profile_id: s.outbound_voice_profile_id.clone(),
        call_control_application_id: s.call_control_application_id.clone(),
        voice_profile_attached: s.call_control_application_id.is_some() && s.outbound_voice_profile_id.is_some(),
        searched: complete_but_voice,
        ..Progress::default()
    };
    let request = if complete_but_voice { JobRequest { quantity: 0, area_code: None } } else { request };
    (request, progress)
}

async fn running(runner: &JobRunner, company: CompanyId) -> Result<Option<Job>, StoreError> {
    runner.store().running_job(company).await?.map(Job::try_from).transpose()
}

async fn latest(runner: &JobRunner, company: CompanyId, kind: JobKind) -> Result<Option<Job>, StoreError> {
    runner.store().latest_job(company, kind.as_str()).await?.map(Job::try_from).transpose()
}

/// Answers with a running job. A job not saved for [`STALE_AFTER`] has no task following it (a
/// task saves at every step and every poll of a pending order; this one stopped on a storage
/// error): it is run again on this node, from what was stored.
fn follow(runner: &JobRunner, job: Job) -> Started {
    let stale = chrono::Utc::now().signed_duration_since(job.updated_at) > STALE_AFTER;
    let handle = if stale { runner.restart(job.company_id, job.id) } else { None };
    Started::Job { job, handle }
}

/// Resumes a failed job (`None`: another request changed it first, or another job runs).
async fn reopen(runner: &JobRunner, mut job: Job) -> Result<Option<Started>, StoreError> {
    job.progress.reopen();
    match runner.store().reopen_job(job.id, &job.progress_json()?).await {
        Ok(true) => {}
        Ok(false) | Err(StoreError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e),
    }
    tracing::info!(job_id = %job.id, company_id = %job.company_id, step = job.step.as_str(), "resuming a failed provisioning job");
    job.state = JobState::Running;
    job.error = None;
    let handle = runner.restart_when_free(job.company_id, job.id).await;
    Ok(Some(Started::Job { job, handle }))
}

/// [`insert`] once the job's quantity is counted against the company's purchases of the day
/// (given back when the job is not inserted after all). Resumed and followed jobs count nothing:
/// their numbers were counted when they started.
async fn insert_within_limit(runner: &JobRunner, job: Job, seen: i64) -> Result<Option<Started>, StartError> {
    let amount = i64::from(job.request.quantity);
    if amount == 0 {
        return Ok(insert(runner, job, seen).await?);
    }
    let (store, company) = (runner.store(), job.company_id);
    let taken = limits::take(store, &runner.config().limits, company, LimitKind::Purchases, amount).await?;
    let started = insert(runner, job, seen).await;
    if !matches!(started, Ok(Some(_))) {
        if let Err(e) = store.give_back(company, &taken).await {
            tracing::warn!(company_id = %company, error = %e, "could not give back a purchase count");
        }
    }
    Ok(started?)
}

/// Inserts and starts a new job (`None`: a job was added meanwhile, or another job runs).
async fn insert(runner: &JobRunner, job: Job, seen: i64) -> Result<Option<Started>, StoreError> {
    match runner.store().insert_job_if_count(&job.to_record()?, seen).await {
        Ok(true) => {}
        Ok(false) | Err(StoreError::Conflict(_)) => return Ok(None),
        Err(e) => return Err(e),
    }
    let handle = runner.start(job.clone());
    Ok(Some(Started::Job { job, handle }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PhoneNumber;

    #[test]
    fn a_company_provisioned_before_voice_profiles_only_gets_one() {
        let ask = JobRequest { quantity: 3, area_code: Some("415".into()) };
        let (request, progress) = from_settings(&CompanySettings::default(), ask.clone());
        assert_eq!(request, ask);
        assert_eq!(progress, Progress::default());

        let old = CompanySettings {
            messaging_profile_id: Some("p".into()),
            call_control_application_id: Some("a".into()),
            default_outbound_number: Some(PhoneNumber::parse("+14155550100").expect("e164")),
            ..Default::default()
        };
        assert!(!is_provisioned(&old));
        let (request, progress) = from_settings(&old, ask.clone());
        assert_eq!(request.quantity, 0);
        assert!(progress.searched && !progress.voice_profile_attached);
        assert_eq!(progress.next_step(JobKind::Provision), super::super::Step::OutboundVoiceProfile);

        let current = CompanySettings { outbound_voice_profile_id: Some("v".into()), ..old };
        assert!(is_provisioned(&current));
    }
}
