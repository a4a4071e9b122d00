//! The company's outbox: side effects (forwards, call commands) and how their delivery went,
//! listed with filters (retry and cancel: `outbox_actions.rs`).
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::list_filters::{text, time_range};
use crate::ledger::outbox_item::OutboxKind;
use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::outbox::{Failure, OutboxEntry};
use crate::store::outbox_admin::{OutboxFilter, OutboxStatus};
use crate::store::page::OutboxKey;
use crate::store::DynStore;

/// One side effect and its delivery state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OutboxView {
    pub id: Uuid,
    pub event_id: String,
    /// forward_message, message_status, call_answer, call_transfer or call_hangup
    pub kind: String,
    /// The forward URL it is on (the primary, or the alternate it moved to), or the
    /// call_control_id of a call command.
    pub destination: String,
    /// A forward's alternate URLs, in order (empty for call commands).
    pub alternates: Vec<String>,
    /// Which URL a forward is on: 0 the primary, n its alternate n.
    pub hop: i32,
    /// pending, delivered, failed, cancelled or disabled (a forward whose last URL answered 410
    /// Gone or is a disabled endpoint)
    pub status: String,
    /// Why it gave up: exhausted, permanent or disabled (null unless failed or disabled).
    pub failure: Option<String>,
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
            alternates: e.item.alternates,
            hop: e.hop,
            status: e.status,
            failure: e.failure.map(|f| f.as_str().to_owned()),
            attempts: e.attempts,
            next_attempt_at: e.next_attempt_at,
            last_error: e.last_error,
            created_at: e.created_at,
            delivered_at: e.delivered_at,
        }
    }
}

/// The filters of the outbox (the list, and retrying all that match).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxQuery {
    /// pending, delivered, failed (gave up), exhausted (gave up after every attempt), cancelled or
    /// disabled (a forward whose last URL answered 410 Gone or is disabled).
    #[param(value_type = Option<String>, pattern = "^(pending|delivered|failed|exhausted|cancelled|disabled)$")]
    pub status: Option<String>,
    /// forward_message, message_status, call_answer, call_transfer or call_hangup.
    #[param(value_type = Option<String>, pattern = "^(forward_message|message_status|call_answer|call_transfer|call_hangup)$")]
    pub kind: Option<String>,
    /// The forward URL or call_control_id, exactly.
    #[param(max_length = 2048, min_length = 1)]
    pub destination: Option<String>,
    /// Created at or after, RFC 3339.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Created before, RFC 3339 (after `since`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
}

impl OutboxQuery {
    pub(crate) fn filter(&self) -> Result<OutboxFilter, ApiError> {
        let (status, failure) = match self.status.as_deref() {
            None => (None, None),
            Some("pending") => (Some(OutboxStatus::Pending), None),
            Some("delivered") => (Some(OutboxStatus::Delivered), None),
            Some("failed") => (Some(OutboxStatus::Failed), None),
            Some("exhausted") => (Some(OutboxStatus::Failed), Some(Failure::Exhausted)),
            Some("cancelled") => (Some(OutboxStatus::Cancelled), None),
            Some("disabled") => (Some(OutboxStatus::Disabled), None),
            Some(_) => {
                return Err(ApiError::invalid(
                    "status",
                    "must be pending, delivered, failed, exhausted, cancelled or disabled",
                ))
            }
        };
        let kind = match self.kind.as_deref() {
            None => None,
            Some(k) => Some(OutboxKind::parse(k).map(|k| k.as_str().to_owned()).ok_or_else(|| {
                ApiError::invalid(
                    "kind",
                    "must be forward_message, message_status, call_answer, call_transfer or call_hangup",
                )
            })?),
        };
        let (since, until) = time_range(self.since.as_deref(), self.until.as_deref())?;
        Ok(OutboxFilter {
            status,
            failure,
            kind,
            destination: text("destination", self.destination.as_deref())?,
            since,
            until,
        })
    }
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), OutboxQuery, PageQuery),
    responses(
        (status = 200, description = "Most recent side effects first", body = Paginated<OutboxView>),
        (status = 400, description = "Bad filter, limit or cursor; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/outbox")]
pub async fn list_outbox(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    query: web::Query<OutboxQuery>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let filter = query.filter()?;
    let listing = page.of::<OutboxKey>(List::company("outbox", company))?;
    let rows = store.page_outbox(company, &filter, listing.window()).await?;
    let views = rows.into_iter().map(OutboxView::from).collect();
    listing.respond(views, |v: &OutboxView| (v.created_at, v.id))
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), ("item_id" = Uuid, Path, description = "Outbox item id")),
    responses(
        (status = 200, description = "The side effect and its delivery state", body = OutboxView),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company or item", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/outbox/{item_id}")]
pub async fn get_outbox_item(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, item) = path.into_inner();
    let entry = store.get_outbox_item(scope.company, item).await.map_err(super::not_found("outbox item"))?;
    Ok(HttpResponse::Ok().json(OutboxView::from(entry)))
}
