//! A company's forward endpoints: receiver URLs that answered 410 Gone are disabled (forwards skip
//! them, to the next alternate, or end `disabled`), listed here with their state, and re-enabled
//! by an admin (`admin` scope: the operator, or the company's own admin token). Re-enabling does
//! not resend forwards that ended `disabled`: `POST /outbox/retry?status=disabled` does.
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::forward_endpoints::{EndpointKey, ForwardEndpoint};
use crate::store::DynStore;

/// A receiver URL and whether forwards may go to it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ForwardEndpointView {
    pub id: Uuid,
    /// The receiver URL, as a message destination (or one of its alternates) names it.
    pub url: String,
    /// active or disabled (it answered 410 Gone: forwards skip it until it is re-enabled).
    #[schema(example = "disabled")]
    pub state: String,
    /// Why it was last disabled.
    #[schema(example = "receiver answered 410")]
    pub reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    /// When an admin last re-enabled it.
    pub enabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ForwardEndpoint> for ForwardEndpointView {
    fn from(e: ForwardEndpoint) -> Self {
        ForwardEndpointView {
            id: e.id,
            url: e.url,
            state: e.state.as_str().to_owned(),
            reason: e.reason,
            disabled_at: e.disabled_at,
            enabled_at: e.enabled_at,
            created_at: e.created_at,
        }
    }
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "Endpoints that were ever disabled (410 Gone), by URL, with their state", body = Paginated<ForwardEndpointView>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/forward-endpoints")]
pub async fn list_forward_endpoints(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let listing = page.of::<EndpointKey>(List::company("forward-endpoints", company))?;
    let rows = store.page_forward_endpoints(company, listing.window()).await?;
    let views: Vec<ForwardEndpointView> = rows.into_iter().map(ForwardEndpointView::from).collect();
    listing.respond(views, |v| v.url.clone())
}

#[utoipa::path(
    tag = "routing-log",
    params(
        ("id" = Uuid, Path, description = "Company id"),
        ("endpoint_id" = Uuid, Path, description = "Forward endpoint id"),
    ),
    responses(
        (status = 200, description = "Active: forwards go to it again (idempotent)", body = ForwardEndpointView),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the admin scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company or endpoint", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/forward-endpoints/{endpoint_id}/enable")]
pub async fn enable_forward_endpoint(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, endpoint) = path.into_inner();
    let enabled = store
        .enable_forward_endpoint(scope.company, endpoint, Utc::now())
        .await
        .map_err(super::not_found("forward endpoint"))?;
    tracing::info!(company = %scope.company, %endpoint, "forward endpoint re-enabled by an admin");
    Ok(HttpResponse::Ok().json(ForwardEndpointView::from(enabled)))
}
