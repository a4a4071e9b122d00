//! The company's outbox: side effects (forwards, call commands) and how their delivery went.
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::outbox::OutboxEntry;
use crate::store::page::OutboxKey;
use crate::store::DynStore;

/// One side effect and its delivery state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxView {
    pub id: Uuid,
    pub event_id: String,
    /// forward_message, call_answer, call_transfer or call_hangup
    pub kind: String,
    /// The forward URL, or the call_control_id of a call command.
    pub destination: String,
    /// pending, delivered or failed
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

impl From<OutboxEntry> for OutboxView {
    fn from(e: OutboxEntry) -> Self {
        OutboxView {
            id: e.item.id,
            event_id: e.item.event_id,
            kind: e.item.kind.as_str().to_owned(),
            destination: e.item.destination,
            status: e.status,
            attempts: e.attempts,
            next_attempt_at: e.next_attempt_at,
            last_error: e.last_error,
            created_at: e.created_at,
            delivered_at: e.delivered_at,
        }
    }
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "Most recent side effects first", body = Paginated<OutboxView>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/outbox")]
pub async fn list_outbox(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let listing = page.of::<OutboxKey>(List::company("outbox", company))?;
    let rows = store.page_outbox(company, listing.window()).await?;
    let views = rows.into_iter().map(OutboxView::from).collect();
    listing.respond(views, |v: &OutboxView| (v.created_at, v.id))
}
