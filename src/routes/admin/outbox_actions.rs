//! An admin's hand on the outbox: retry an item that gave up or was cancelled (attempts from zero,
//! due now, so the worker takes it on its next round), retry every such item matching a filter (at
//! most `limit` per request, oldest first; the answer says how many), cancel an item that is
//! pending or gave up (never attempted again unless retried). `admin` scope.
use actix_web::{post, web, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::outbox::{OutboxQuery, OutboxView};
use crate::routes::api_error::ApiError;
use crate::routes::pagination::MAX_LIMIT;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::outbox_admin::OutboxStatus;
use crate::store::DynStore;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RetryLimit {
    /// Items retried at most by this request: 1 to 1000, default 1000.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000, default = 1000)]
    pub limit: Option<String>,
}

/// How many items a retry made pending again.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Retried {
    pub retried: u64,
    /// The bound of this request: when `retried` equals it, more may match (ask again).
    pub limit: i64,
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), ("item_id" = Uuid, Path, description = "Outbox item id")),
    responses(
        (status = 200, description = "Pending again, due now, attempts from zero", body = OutboxView),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the admin scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company or item", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The item is pending or delivered", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/outbox/{item_id}/retry")]
pub async fn retry_outbox_item(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, item) = path.into_inner();
    let entry = retry_item(&store, scope, item).await?;
    Ok(HttpResponse::Ok().json(OutboxView::from(entry)))
}

/// Makes one failed or cancelled item pending again (404 for none of the company's, 409 for an
/// item pending or delivered): the API and the console share it.
pub(crate) async fn retry_item(
    store: &DynStore,
    scope: CompanyScope,
    item: Uuid,
) -> Result<crate::store::outbox::OutboxEntry, ApiError> {
    match store.retry_outbox_item(scope.company, item, Utc::now()).await? {
        Some(entry) => Ok(entry),
        None => Err(state_conflict(store, scope, item, "retried: it is").await),
    }
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), ("item_id" = Uuid, Path, description = "Outbox item id")),
    responses(
        (status = 200, description = "Cancelled: never attempted again unless retried", body = OutboxView),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the admin scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company or item", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The item is delivered or cancelled", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/outbox/{item_id}/cancel")]
pub async fn cancel_outbox_item(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, item) = path.into_inner();
    match store.cancel_outbox_item(scope.company, item).await? {
        Some(entry) => Ok(HttpResponse::Ok().json(OutboxView::from(entry))),
        None => Err(state_conflict(&store, scope, item, "cancelled: it is").await),
    }
}

/// Why an item could not change: 404 when the company has no such item, else 409 with its status.
async fn state_conflict(store: &DynStore, scope: CompanyScope, item: Uuid, what: &str) -> ApiError {
    match store.get_outbox_item(scope.company, item).await {
        Ok(entry) => ApiError::Conflict(format!("the item cannot be {what} {}", entry.status)),
        Err(e) => super::not_found("outbox item")(e),
    }
}

#[utoipa::path(
    tag = "routing-log",
    params(("id" = Uuid, Path, description = "Company id"), OutboxQuery, RetryLimit),
    responses(
        (status = 200, description = "The failed, disabled or cancelled items matching the filter (oldest first, at most `limit`) \
            are pending again, due now", body = Retried),
        (status = 400, description = "Bad filter or limit, or a status that cannot be retried; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the admin scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/outbox/retry")]
pub async fn retry_outbox(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    query: web::Query<OutboxQuery>,
    limit: web::Query<RetryLimit>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.filter()?;
    if matches!(filter.status, Some(OutboxStatus::Pending | OutboxStatus::Delivered)) {
        return Err(ApiError::invalid("status", "only failed, exhausted, disabled or cancelled items can be retried"));
    }
    let limit = match limit.limit.as_deref() {
        None => MAX_LIMIT,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => return Err(ApiError::invalid("limit", format!("must be a whole number from 1 to {MAX_LIMIT}"))),
        },
    };
    let retried = store.retry_outbox_matching(scope.company, &filter, Utc::now(), limit).await?;
    tracing::info!(company = %scope.company, retried, "outbox items retried by an admin");
    Ok(HttpResponse::Ok().json(Retried { retried, limit }))
}
