//! GET /v1/companies/{id}/jobs (newest first, a page at a time) and GET /v1/companies/{id}/jobs/{job_id}.
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::provisioning::{Job, JobKind, JobRequest, JobRunner, JobState, Step};
use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::page::JobKey;
use crate::store::StoreError;

/// A job in the list: what it is, where it stands and why it failed; its numbers and every
/// step's result are at `location`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobSummary {
    pub id: Uuid,
    pub kind: JobKind,
    pub request: JobRequest,
    pub state: JobState,
    pub step: Step,
    pub error: Option<String>,
    /// Numbers bought so far.
    pub bought: usize,
    /// GET this for the whole job.
    pub location: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Job> for JobSummary {
    fn from(job: Job) -> Self {
        JobSummary {
            location: super::job_location(&job),
            bought: job.progress.bought().count(),
            id: job.id,
            kind: job.kind,
            request: job.request,
            state: job.state,
            step: job.step,
            error: job.error,
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }
}

#[utoipa::path(
    tag = "provisioning",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "The company's jobs, newest first: state, step and error", body = Paginated<JobSummary>),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/jobs")]
pub async fn list_jobs(
    scope: CompanyScope,
    page: Page,
    runner: web::Data<JobRunner>,
) -> Result<HttpResponse, ApiError> {
    let listing = page.of::<JobKey>(List::company("jobs", scope.company))?;
    let records = runner.store().page_jobs(scope.company, listing.window()).await?;
    let jobs: Vec<JobSummary> =
        records.into_iter().map(|r| Job::try_from(r).map(JobSummary::from)).collect::<Result<_, _>>()?;
    listing.respond(jobs, |j| (j.created_at, j.id))
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
    let record = runner.store().get_job(scope.company, id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::NotFound("job"),
        other => other.into(),
    })?;
    Ok(HttpResponse::Ok().json(Job::try_from(record)?))
}
