//! POST /v1/companies/{id}/provision, POST /v1/companies/{id}/numbers/purchase,
//! GET /v1/companies/{id}/jobs/{job_id}.
//!
//! A POST starts a job and waits up to `respond_within` (3 s) for it: 201 with the job when it is
//! done, 202 with the job so far when it still runs (e.g. a pending number order), both with a
//! Location header naming the job; a failed job answers 502 problem+json naming the job.
//! Provisioning a provisioned company answers 200 with its settings and numbers, without Telnyx;
//! while a provision job runs, a second POST answers that job (202) instead of starting another.
use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::provisioning::{Job, JobKind, JobRequest, JobRunner, JobState, Progress};
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::{CompanySettings, NumberFilter, NumberRecord};

/// The company was provisioned before: its settings and numbers, Telnyx untouched.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Provisioned {
    already_provisioned: bool,
    settings: CompanySettings,
    numbers: Vec<NumberRecord>,
}

fn is_provisioned(s: &CompanySettings) -> bool {
    s.messaging_profile_id.is_some() && s.call_control_application_id.is_some() && s.default_outbound_number.is_some()
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
    responses(
        (status = 200, description = "Already provisioned: settings and numbers, Telnyx untouched", body = Provisioned),
        (status = 201, description = "Provisioned: the finished job", body = Job,
            headers(("location" = String, description = "The job"))),
        (status = 202, description = "Still running (e.g. a pending number order): the job so far", body = Job,
            headers(("location" = String, description = "The job"))),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "public_base_url is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The job failed at Telnyx; `detail` names the job", body = Problem, content_type = "application/problem+json",
            headers(("location" = String, description = "The failed job"))),
        (status = 503, description = "telnyx.api_key is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/provision")]
pub async fn provision(scope: CompanyScope, runner: web::Data<JobRunner>) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let store = runner.store();
    let settings = store.get_settings(company).await?;
    if is_provisioned(&settings) {
        let numbers = store.list_numbers(company, NumberFilter::default()).await?;
        return Ok(HttpResponse::Ok().json(Provisioned { already_provisioned: true, settings, numbers }));
    }
    preflight(&runner)?;
    if let Some(record) = store.latest_job(company, JobKind::Provision.as_str()).await? {
        let job = Job::try_from(record)?;
        if job.state == JobState::Running {
            let handle = runner.start(job.clone());
            return answer(&runner, job, handle).await;
        }
    }
    // Reuse what an earlier, failed attempt already created.
    let progress = Progress {
        messaging_profile_id: settings.messaging_profile_id.clone(),
        call_control_application_id: settings.call_control_application_id.clone(),
        ..Progress::default()
    };
    let job = Job::new(company, JobKind::Provision, JobRequest { quantity: 1, area_code: None }, progress);
    let handle = runner.submit(job.clone()).await?;
    answer(&runner, job, handle).await
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
        (status = 202, description = "Still running: the job so far", body = Job,
            headers(("location" = String, description = "The job"))),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not provisioned yet, or public_base_url is not configured", body = Problem, content_type = "application/problem+json"),
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
    let company = scope.company;
    let request = JobRequest::try_from(body.into_inner())?;
    let store = runner.store();
    let settings = store.get_settings(company).await?;
    let (Some(profile), Some(app)) = (settings.messaging_profile_id, settings.call_control_application_id) else {
        return Err(ApiError::Unprocessable {
            field: None,
            detail: "the company is not provisioned yet: POST /v1/companies/{id}/provision first".into(),
        });
    };
    preflight(&runner)?;
    let progress =
        Progress { messaging_profile_id: Some(profile), call_control_application_id: Some(app), ..Progress::default() };
    let job = Job::new(company, JobKind::Purchase, request, progress);
    let handle = runner.submit(job.clone()).await?;
    answer(&runner, job, handle).await
}

#[utoipa::path(
    tag = "provisioning",
    params(("id" = Uuid, Path, description = "Company id"), ("job_id" = Uuid, Path, description = "Job id")),
    responses(
        (status = 200, description = "The job: state, step and every step's result so far", body = Job),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/jobs/{job_id}")]
pub async fn get_job(
    scope: CompanyScope,
    path: web::Path<(Uuid, Uuid)>,
    runner: web::Data<JobRunner>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let company = scope.company;
    let job = Job::try_from(runner.store().get_job(company, id).await.map_err(not_found)?)?;
    Ok(HttpResponse::Ok().json(job))
}

fn not_found(e: crate::store::StoreError) -> ApiError {
    match e {
        crate::store::StoreError::NotFound => ApiError::NotFound("job"),
        other => other.into(),
    }
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
    let location = format!("/v1/companies/{}/jobs/{}", job.company_id, job.id);
    let status = match job.state {
        JobState::Done => StatusCode::CREATED,
        JobState::Running => StatusCode::ACCEPTED,
        JobState::Failed => {
            let detail = format!("provisioning job {} failed: {}", job.id, job.error.as_deref().unwrap_or("unknown"));
            let mut res = Problem::new(StatusCode::BAD_GATEWAY, detail).response();
            if let Ok(v) = location.parse() {
                res.headers_mut().insert(LOCATION, v);
            }
            return Ok(res);
        }
    };
    Ok(HttpResponse::build(status).insert_header((LOCATION, location)).json(job))
}
