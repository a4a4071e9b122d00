//! The routing log: what happened to each event (decision and outcome).
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::routes::api_error::ApiError;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::rules::RoutingLogEntry;
use crate::store::DynStore;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// 1 to 1000, default 100.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), LogQuery),
    responses(
        (status = 200, description = "Most recent entries first", body = Vec<RoutingLogEntry>),
        (status = 400, description = "Bad limit", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/routing-log")]
pub async fn list_routing_log(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be from 1 to 1000"));
    }
    Ok(HttpResponse::Ok().json(store.list_routing_log(company, limit).await?))
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
