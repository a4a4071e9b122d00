//! The routing log: what happened to each event (decision and outcome).
use actix_web::{get, web, HttpResponse};
use uuid::Uuid;

use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::page::RoutingLogKey;
use crate::store::rules::RoutingLogEntry;
use crate::store::DynStore;

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "Most recent entries first", body = Paginated<RoutingLogEntry>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/routing-log")]
pub async fn list_routing_log(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let listing = page.of::<RoutingLogKey>(List::company("routing-log", company))?;
    let rows = store.page_routing_log(company, listing.window()).await?;
    listing.respond(rows, |e| (e.created_at, e.event_id.clone(), e.phone_number.clone()))
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), ("event_id" = String, Path, description = "Telnyx event id")),
    responses(
        (status = 200, description = "The event's entries (one per number it touched)", body = Vec<RoutingLogEntry>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such event", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/routing-log/{event_id}")]
pub async fn get_routing_log(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, event_id) = path.into_inner();
    let company = scope.company;
    let entries = store.get_routing_log(company, &event_id).await?;
    if entries.is_empty() {
        return Err(ApiError::NotFound("event"));
    }
    Ok(HttpResponse::Ok().json(entries))
}
