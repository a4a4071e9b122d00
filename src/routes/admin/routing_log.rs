//! The routing log: what happened to each event (decision and outcome).
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::list_filters::{number, one_of, text, time_range};
use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::page::RoutingLogKey;
use crate::store::routing_log::RoutingLogFilter;
use crate::store::rules::RoutingLogEntry;
use crate::store::DynStore;

/// The outcomes a routing log line can have.
/// `reassigned`: a customer's sticky assignment moved off an unhealthy number.
pub const OUTCOMES: [&str; 5] = ["forward", "transfer", "hangup", "unrouted", "reassigned"];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoutingLogQuery {
    /// The company number the event reached, E.164.
    #[param(value_type = Option<super::formats::E164>)]
    pub number: Option<String>,
    /// The caller or sender, exactly as Telnyx gave it (usually E.164).
    #[param(max_length = 2048, min_length = 1)]
    pub customer: Option<String>,
    /// What routing did: forward, transfer, hangup, unrouted, or reassigned (a customer's
    /// assignment moved off an unhealthy number).
    #[param(value_type = Option<String>, pattern = "^(forward|transfer|hangup|unrouted|reassigned)$")]
    pub outcome: Option<String>,
    /// Received at or after, RFC 3339.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Received before, RFC 3339 (after `since`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
}

impl RoutingLogQuery {
    fn filter(&self) -> Result<RoutingLogFilter, ApiError> {
        let (since, until) = time_range(self.since.as_deref(), self.until.as_deref())?;
        Ok(RoutingLogFilter {
            phone_number: number("number", self.number.as_deref())?,
            customer: text("customer", self.customer.as_deref())?,
            outcome: one_of("outcome", self.outcome.as_deref(), &OUTCOMES)?,
            since,
            until,
        })
    }
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), RoutingLogQuery, PageQuery),
    responses(
        (status = 200, description = "Most recent entries first", body = Paginated<RoutingLogEntry>),
        (status = 400, description = "Bad filter, limit or cursor; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/routing-log")]
pub async fn list_routing_log(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    query: web::Query<RoutingLogQuery>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let filter = query.filter()?;
    // A cursor is a position in the log's order whatever the filters; the next page's link
    // repeats them.
    let listing = page.of::<RoutingLogKey>(List::company("routing-log", company))?;
    let rows = store.page_routing_log(company, &filter, listing.window()).await?;
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
