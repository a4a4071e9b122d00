//! The job-level steps: each writes its intent, calls Telnyx, writes its result. The company's
//! resources (profiles, application) are made in `resources.rs`, the numbers in `numbers.rs`.
use super::job::{Job, JobKind, NumberProgress, Step};
use super::runner::JobRunner;
use super::{numbers, resources};
use crate::domain::{Features, PhoneNumber};
use crate::store::{CompanySettings, StoreError};
use crate::telnyx::client::{AvailableNumber, AvailableNumberSearch, TelnyxClient, TelnyxError};

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
        Step::MessagingProfile
        | Step::OutboundVoiceProfile
        | Step::CallControlApplication
        | Step::ApplicationVoiceProfile => resources::run(runner, job, step).await,
        Step::Search => search(runner, job).await,
        Step::Numbers => numbers::run(runner, job).await,
        Step::Settings => settings(runner, job).await,
        Step::Done => Ok(()),
    }
}

/// Searches numbers with sms, mms and voice in `telnyx.number_country`; keeps up to the quantity
/// still wanted and says when fewer were available. Numbers tried before (a job searching again
/// after every number failed) are not taken again. A search is safe to repeat: no intent needed.
async fn search(runner: &JobRunner, job: &mut Job) -> StepResult {
    let client = client(runner)?;
    let bought = u32::try_from(job.progress.bought().count()).unwrap_or(u32::MAX);
    let wanted = job.request.quantity.saturating_sub(bought);
    let area_code = job.request.area_code.clone();
    let search = AvailableNumberSearch {
        country_code: runner.config().number_country,
        national_destination_code: area_code.clone(),
        features: Features::ALL,
        limit: Some(wanted + u32::try_from(job.progress.numbers.len()).unwrap_or(0)),
    };
    let mut found = client.search_available_numbers(&search).await?;
    found.retain(|n| !job.progress.numbers.iter().any(|tried| tried.phone_number == n.phone_number));
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
    let reserved = reserve(runner, job, usable, wanted as usize).await?;
    if reserved.is_empty() {
        return Err(StepError::Failed(format!(
            "every number available{where_} is held for another company's purchase in progress; try again later"
        )));
    }
    let first = job.progress.numbers.len();
    let count = u32::try_from(reserved.len()).unwrap_or(u32::MAX);
    job.progress.numbers.extend(
        reserved.into_iter().enumerate().map(|(i, n)| NumberProgress::new(n, format!("{}-{}", job.id, first + i))),
    );
    job.progress.available = Some(count);
    if count < wanted {
        job.progress.note = Some(format!("asked for {wanted} numbers but only {count} were available{where_}"));
    }
    job.progress.searched = true;
    Ok(())
}

/// Reserves up to `wanted` of `usable` for the job's company, in order: a number another company
/// reserved or holds is passed over (buying it would pay for a number this company cannot keep).
async fn reserve(
    runner: &JobRunner,
    job: &Job,
    usable: Vec<AvailableNumber>,
    wanted: usize,
) -> Result<Vec<PhoneNumber>, StepError> {
    let store = runner.store();
    let now = chrono::Utc::now().timestamp();
    let mut reserved = Vec::new();
    for n in usable {
        if reserved.len() >= wanted {
            break;
        }
        if store.owner_of(&n.phone_number).await?.is_some_and(|owner| owner != job.company_id) {
            continue;
        }
        if store.reserve_number(job.company_id, job.id, &n.phone_number, now, now + RESERVATION_SECS).await? {
            reserved.push(n.phone_number);
        }
    }
    Ok(reserved)
}

/// How long a reservation holds at most: a job abandoned for good does not keep numbers from
/// other companies forever. A job running that long (an order waiting on regulatory
/// requirements) has its number in the account by then, stored as soon as the order completes.
const RESERVATION_SECS: i64 = 7 * 86_400;

/// Splits search results into the numbers in `area_code` (all of them when none was asked) and
/// the others.
fn in_area_code(found: Vec<AvailableNumber>, area_code: Option<&str>) -> (Vec<AvailableNumber>, Vec<PhoneNumber>) {
    let (usable, outside): (Vec<_>, Vec<_>) =
        found.into_iter().partition(|n| area_code.is_none_or(|c| n.phone_number.area_code() == Some(c)));
    (usable, outside.into_iter().map(|n| n.phone_number).collect())
}

/// Provision only: the company's settings: its profile, application and voice profile, and the
/// first bought number as the default unless the company has one.
async fn settings(runner: &JobRunner, job: &mut Job) -> StepResult {
    debug_assert_eq!(job.kind, JobKind::Provision);
    let current = runner.inner().store.get_settings(job.company_id).await?;
    let first = job.progress.bought().next().cloned();
    let mut settings = CompanySettings {
        messaging_profile_id: job.progress.messaging_profile_id.clone(),
        call_control_application_id: job.progress.call_control_application_id.clone(),
        outbound_voice_profile_id: job.progress.outbound_voice_profile_id.clone(),
        ..current
    };
    if settings.default_outbound_number.is_none() {
        let Some(first) = first else {
            return Err(StepError::Failed("no number could be bought".into()));
        };
        settings.default_outbound_number = Some(first.phone_number);
        settings.default_outbound_number_id = first.number_id;
        settings.default_outbound_phone_number_id = first.telnyx_phone_number_id;
    }
    runner.inner().directory.put_settings(job.company_id, &settings).await?;
    job.progress.settings_stored = true;
    Ok(())
}
