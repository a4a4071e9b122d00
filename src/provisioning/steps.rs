//! The job-level steps: each writes its intent, calls Telnyx, writes its result.
use super::job::{Job, JobKind, NumberProgress, Step};
use super::numbers;
use super::runner::JobRunner;
use crate::domain::{Features, PhoneNumber};
use crate::store::{CompanySettings, StoreError};
use crate::telnyx::client::{
    AvailableNumber, AvailableNumberSearch, CountryCode, NewCallControlApplication, NewMessagingProfile, TelnyxClient,
    TelnyxError,
};

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Telnyx(#[from] TelnyxError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Failed(String),
}

pub type StepResult = Result<(), StepError>;

/// Persists the job as it is now.
pub async fn save(runner: &JobRunner, job: &Job) -> Result<(), StoreError> {
    let progress = job.progress_json()?;
    runner.inner().store.update_job(job.id, &job.update(&progress)).await
}

pub(super) fn client(runner: &JobRunner) -> Result<TelnyxClient, StepError> {
    runner.telnyx().client().cloned().map_err(|reason| StepError::Failed(reason.to_owned()))
}

pub async fn run(runner: &JobRunner, job: &mut Job, step: Step) -> StepResult {
    match step {
        Step::MessagingProfile | Step::CallControlApplication => create(runner, job, step).await,
        Step::Search => search(runner, job).await,
        Step::Numbers => numbers::run(runner, job).await,
        Step::Settings => settings(runner, job).await,
        Step::Done => Ok(()),
    }
}

/// Creates the messaging profile or the call control application. There is no way to find a
/// create whose answer was lost, so after a crash in between it is created again (an unused
/// profile or application costs nothing; it is logged).
async fn create(runner: &JobRunner, job: &mut Job, step: Step) -> StepResult {
    let client = client(runner)?;
    let url = runner
        .config()
        .webhook_url(job.company_id)
        .ok_or_else(|| StepError::Failed("public_base_url is not configured".into()))?;
    if job.progress.create_sent == Some(step) {
        tracing::warn!(job_id = %job.id, step = step.as_str(), "an earlier create may have succeeded unrecorded; creating again");
    }
    job.progress.create_sent = Some(step);
    save(runner, job).await?;
    let name = format!("switchboard {}", job.company_id);
    if step == Step::MessagingProfile {
        let profile = NewMessagingProfile {
            name,
            whitelisted_destinations: runner.config().whitelisted_destinations.clone(),
            webhook_url: url,
            webhook_failover_url: None,
        };
        job.progress.messaging_profile_id = Some(client.create_messaging_profile(&profile).await?);
    } else {
        let app = NewCallControlApplication {
            application_name: name,
            webhook_event_url: url,
            webhook_event_failover_url: None,
        };
        job.progress.call_control_application_id = Some(client.create_call_control_application(&app).await?);
    }
    job.progress.create_sent = None;
    Ok(())
}

/// Searches numbers with sms, mms and voice; keeps up to the quantity asked and says when fewer
/// were available. A search is safe to repeat, so no intent is needed.
async fn search(runner: &JobRunner, job: &mut Job) -> StepResult {
    let client = client(runner)?;
    let wanted = job.request.quantity;
    let area_code = job.request.area_code.clone();
    let search = AvailableNumberSearch {
        country_code: CountryCode::US,
        national_destination_code: area_code.clone(),
        features: Features::ALL,
        limit: Some(wanted),
    };
    let found = client.search_available_numbers(&search).await?;
    // Telnyx applied the feature filter; its feature lists are informative only. Its area code
    // filter is not strict: best-effort results (`best_effort: true`) come from other area codes,
    // and a number outside the one asked for is not what the company asked to buy.
    let (usable, outside) = in_area_code(found, area_code.as_deref());
    let where_ = area_code.as_deref().map(|c| format!(" in area code {c}")).unwrap_or_default();
    if usable.is_empty() {
        let offered = match outside.as_slice() {
            [] => String::new(),
            numbers => {
                let list: Vec<&str> = numbers.iter().map(PhoneNumber::as_str).collect();
                format!(" (the search answered {} outside it: {})", numbers.len(), list.join(", "))
            }
        };
        return Err(StepError::Failed(format!("no number with sms, mms and voice is available{where_}{offered}")));
    }
    let take = usable.len().min(wanted as usize);
    job.progress.numbers = usable
        .into_iter()
        .take(take)
        .enumerate()
        .map(|(i, n)| NumberProgress::new(n.phone_number, format!("{}-{i}", job.id)))
        .collect();
    let count = u32::try_from(take).unwrap_or(u32::MAX);
    job.progress.available = Some(count);
    if count < wanted {
        job.progress.note = Some(format!("asked for {wanted} numbers but only {count} were available{where_}"));
    }
    job.progress.searched = true;
    Ok(())
}

/// Splits search results into the numbers in `area_code` (all of them when none was asked) and
/// the others.
fn in_area_code(found: Vec<AvailableNumber>, area_code: Option<&str>) -> (Vec<AvailableNumber>, Vec<PhoneNumber>) {
    let (usable, outside): (Vec<_>, Vec<_>) =
        found.into_iter().partition(|n| area_code.is_none_or(|c| n.phone_number.area_code() == Some(c)));
    (usable, outside.into_iter().map(|n| n.phone_number).collect())
}

/// Provision only: the company's settings with the first bought number as default.
async fn settings(runner: &JobRunner, job: &mut Job) -> StepResult {
    let store = &runner.inner().store;
    let first = job.progress.bought().next().cloned();
    let Some(first) = first else {
        return Err(StepError::Failed("no number could be bought".into()));
    };
    let mut settings = store.get_settings(job.company_id).await?;
    settings = CompanySettings {
        messaging_profile_id: job.progress.messaging_profile_id.clone(),
        call_control_application_id: job.progress.call_control_application_id.clone(),
        default_outbound_number: settings.default_outbound_number.or(Some(first.phone_number.clone())),
        default_outbound_phone_number_id: settings.default_outbound_phone_number_id.or(first.number_id),
    };
    runner.inner().directory.put_settings(job.company_id, &settings).await?;
    job.progress.settings_stored = true;
    debug_assert_eq!(job.kind, JobKind::Provision);
    Ok(())
}
