//! POST /v1/companies/{id}/provision, POST /v1/companies/{id}/numbers/purchase; the jobs
//! (`provisioning/jobs.rs`) and the company's Telnyx settings (`provisioning/telnyx_settings.rs`).
//!
//! A POST starts a job (or resumes or follows one, see `crate::provisioning::start`) and waits up
//! to `respond_within` (3 s) for it: 201 with the job when it is done, 202 with the job so far
//! when it still runs (e.g. a pending number order), both with a Location header naming the job;
//! a failed job answers 502 problem+json naming the job. One job of a company runs at a time: a
//! concurrent request answers with the running job, or 409 naming it when it does something else.
//! Provisioning a provisioned company answers 200 with its settings and numbers, without Telnyx;
//! POST /provision on a company whose last provision failed resumes that job from its last step.
use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::json_object::Object;
use crate::provisioning::{start, Job, JobRequest, JobRunner, JobState, StartError, Started};
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::{CompanySettings, NumberFilter, NumberRecord};

pub mod jobs;
pub mod telnyx_settings;

/// The company was provisioned before: its settings and numbers, Telnyx untouched.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Provisioned {
    already_provisioned: bool,
    settings: CompanySettings,
    numbers: Vec<NumberRecord>,
}

fn preflight(runner: &JobRunner) -> Result<(), ApiError> {
    runner.telnyx().client().map_err(|reason| ApiError::Unavailable(reason.to_owned()))?;
    if runner.config().public_base_url.is_none() {
        return Err(ApiError::Unprocessable {
            field: Some("public_base_url".into()),
            detail: "public_base_url is not configured (SWITCHBOARD__PUBLIC_BASE_URL): Telnyx would have no \
                     webhook URL to reach this daemon"
                .into(),
        });
    }
    Ok(())
}

#[utoipa::path(
    tag = "provisioning",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body(content = Option<PurchaseBody>, description = "Optional: how many numbers to buy (default 1) and where. \
        Used by a new job only: a resumed job keeps its own request."),
    responses(
        (status = 200, description = "Already provisioned: settings and numbers, Telnyx untouched", body = Provisioned),
        (status = 201, description = "Provisioned: the finished job", body = Job,
            headers(("location" = String, description = "The job"))),
        (status = 202, description = "Still running (e.g. a pending number order, or another request's job): the job so far", body = Job,
            headers(("location" = String, description = "The job"))),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A purchase job of the company is running; `detail` and Location name it", body = Problem,
            content_type = "application/problem+json", headers(("location" = String, description = "The running job"))),
        (status = 422, description = "public_base_url is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The quantity would exceed the company's numbers bought per day: nothing was bought; Retry-After says when the day ends (UTC)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job failed at Telnyx; `detail` names the job (POST again to resume it)", body = Problem, content_type = "application/problem+json",
            headers(("location" = String, description = "The failed job"))),
        (status = 503, description = "telnyx.api_key is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/provision")]
pub async fn provision(
    scope: CompanyScope,
    body: web::Bytes,
    runner: web::Data<JobRunner>,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let request = optional_body(&body)?;
    let store = runner.store();
    let settings = store.get_settings(company).await?;
    if !crate::provisioning::is_provisioned(&settings) {
        preflight(&runner)?;
    }
    match start::provision(&runner, company, request).await {
        Ok(Started::Provisioned(settings)) => {
            let numbers = store.list_numbers(company, NumberFilter::default()).await?;
            Ok(HttpResponse::Ok().json(Provisioned { already_provisioned: true, settings, numbers }))
        }
        Ok(Started::Job { job, handle }) => answer(&runner, job, handle).await,
        Err(e) => refused(e),
    }
}

/// The body of POST /provision: none, `null` or `{}` asks for one number anywhere.
fn optional_body(body: &[u8]) -> Result<JobRequest, ApiError> {
    let parsed: Option<Object<PurchaseBody>> = match body.iter().all(u8::is_ascii_whitespace) {
        true => None,
        false => serde_json::from_slice(body).map_err(|e| ApiError::invalid("body", e))?,
    };
    match parsed {
        Some(Object(body)) => JobRequest::try_from(body),
        None => Ok(JobRequest { quantity: 1, area_code: None }),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct PurchaseBody {
    /// 1 to 10, default 1. (A JSON number: `2.0` is the integer 2, as JSON Schema has it.)
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 10)]
    quantity: Option<serde_json::Number>,
    /// NANP area code the numbers should have, e.g. 415.
    #[schema(value_type = Option<crate::routes::admin::formats::AreaCode>)]
    area_code: Option<String>,
}

impl TryFrom<PurchaseBody> for JobRequest {
    type Error = ApiError;
    fn try_from(b: PurchaseBody) -> Result<Self, ApiError> {
        let quantity = match b.quantity {
            None => Some(1),
            Some(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && *f >= 0.0).map(|f| f as u64)),
        };
        let Some(quantity) = quantity.filter(|q| (1..=10).contains(q)) else {
            return Err(ApiError::invalid("quantity", "must be an integer between 1 and 10"));
        };
        let area_code = b.area_code.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        if let Some(c) = &area_code {
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_digit()) || c.starts_with(['0', '1']) {
                return Err(ApiError::invalid("area_code", "must be a NANP area code such as 415"));
            }
        }
        Ok(JobRequest { quantity: u32::try_from(quantity).unwrap_or(1), area_code })
    }
}

#[utoipa::path(
    tag = "provisioning",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = PurchaseBody,
    responses(
        (status = 201, description = "Bought: the finished job", body = Job,
            headers(("location" = String, description = "The job"))),
        (status = 202, description = "Still running (or the same purchase already running): the job so far", body = Job,
            headers(("location" = String, description = "The job"))),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another job of the company is running, or a failed purchase with unsettled orders \
            must be resumed first (POST its request again); `detail` and Location name it", body = Problem,
            content_type = "application/problem+json", headers(("location" = String, description = "That job"))),
        (status = 422, description = "Not provisioned yet, or public_base_url is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The quantity would exceed the company's numbers bought per day: nothing was bought; Retry-After says when the day ends (UTC)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job failed at Telnyx; `detail` names the job", body = Problem, content_type = "application/problem+json",
            headers(("location" = String, description = "The failed job"))),
        (status = 503, description = "telnyx.api_key is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/numbers/purchase")]
pub async fn purchase(
    scope: CompanyScope,
    body: JsonBody<PurchaseBody>,
    runner: web::Data<JobRunner>,
) -> Result<HttpResponse, ApiError> {
    let request = JobRequest::try_from(body.into_inner())?;
    match start_purchase(&runner, scope.company, request).await? {
        Ok((job, handle)) => answer(&runner, job, handle).await,
        Err(e) => refused(e),
    }
}

/// Starts a purchase of `request` for `company` (or follows the same one running): the job and
/// its task; `Ok(Err(..))` when no job started and why (the API and the console share it).
pub(crate) async fn start_purchase(
    runner: &JobRunner,
    company: crate::domain::CompanyId,
    request: JobRequest,
) -> Result<Result<(Job, Option<tokio::task::JoinHandle<()>>), StartError>, ApiError> {
    let settings = runner.store().get_settings(company).await?;
    if settings.messaging_profile_id.is_none() || settings.call_control_application_id.is_none() {
        return Ok(Err(StartError::NotProvisioned));
    }
    preflight(runner)?;
    match start::purchase(runner, company, request).await {
        Ok(Started::Job { job, handle }) => Ok(Ok((job, handle))),
        Ok(Started::Provisioned(_)) => Err(ApiError::Internal("a purchase answered as a provision".into())),
        Err(e) => Ok(Err(e)),
    }
}

impl PurchaseBody {
    /// A purchase as a form gives it (checked as the API's body is).
    pub(crate) fn new(quantity: Option<u32>, area_code: Option<String>) -> Self {
        PurchaseBody { quantity: quantity.map(serde_json::Number::from), area_code }
    }
}

/// The answer to a request that started no job.
fn refused(e: StartError) -> Result<HttpResponse, ApiError> {
    match e {
        StartError::Store(e) => Err(e.into()),
        StartError::NotProvisioned => Err(ApiError::Unprocessable { field: None, detail: e.to_string() }),
        StartError::Contended => Err(ApiError::Unavailable(e.to_string())),
        StartError::Limited(e) => Err(e.into()),
        StartError::Busy(ref job) | StartError::Unsettled(ref job) => {
            let location = job_location(job);
            Ok(with_location(Problem::new(StatusCode::CONFLICT, e.to_string()).response(), &location))
        }
    }
}

pub(crate) fn job_location(job: &Job) -> String {
    format!("/v1/companies/{}/jobs/{}", job.company_id, job.id)
}

fn with_location(mut res: HttpResponse, location: &str) -> HttpResponse {
    if let Ok(v) = location.parse() {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

/// Waits a little for the job, then answers with what it reached.
async fn answer(
    runner: &JobRunner,
    job: Job,
    handle: Option<tokio::task::JoinHandle<()>>,
) -> Result<HttpResponse, ApiError> {
    if let Some(mut handle) = handle {
        // Dropping the handle on timeout leaves the job running.
        let _ = tokio::time::timeout(runner.config().respond_within, &mut handle).await;
    }
    let job = Job::try_from(runner.store().get_job(job.company_id, job.id).await?)?;
    let location = job_location(&job);
    let status = match job.state {
        JobState::Done => StatusCode::CREATED,
        JobState::Running => StatusCode::ACCEPTED,
        JobState::Failed => {
            let detail = format!("provisioning job {} failed: {}", job.id, job.error.as_deref().unwrap_or("unknown"));
            return Ok(with_location(Problem::new(StatusCode::BAD_GATEWAY, detail).response(), &location));
        }
    };
    Ok(HttpResponse::build(status).insert_header((LOCATION, location)).json(job))
}
