//! Dead letters (operator only): events acknowledged but not routed because no company owned any
//! of their numbers. They belong to no company (the `?company=` hint of a webhook is not signed,
//! so it cannot give one), so only the operator token reaches them; a company token gets the 404
//! of anything it cannot see. Listed with filters, shown with the payload, re-driven through the
//! normal ingest path (counted once, whatever the number of re-drives), deleted.
use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;

use super::list_filters::{number, text, time_range};
use crate::domain::Scope;
use crate::replay::{RedriveError, Redriven, Replayer};
use crate::routes::api_error::ApiError;
use crate::routes::auth::Caller;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::store::page::DeadLetterKey;
use crate::store::{DeadLetterFilter, DeadLetterRecord, DynStore, StoreError};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeadLetterQuery {
    /// The Telnyx event type, exactly (e.g. `message.received`).
    #[param(max_length = 2048, min_length = 1)]
    pub event_type: Option<String>,
    /// Why it was not routed, exactly: `unknown_number`.
    #[param(max_length = 2048, min_length = 1)]
    pub reason: Option<String>,
    /// The number no company owned, E.164.
    #[param(value_type = Option<super::formats::E164>)]
    pub number: Option<String>,
    /// Received at or after, RFC 3339.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Received before, RFC 3339 (after `since`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
}

impl DeadLetterQuery {
    fn filter(&self) -> Result<DeadLetterFilter, ApiError> {
        let (since, until) = time_range(self.since.as_deref(), self.until.as_deref())?;
        Ok(DeadLetterFilter {
            event_type: text("event_type", self.event_type.as_deref())?,
            reason: text("reason", self.reason.as_deref())?,
            phone_number: number("number", self.number.as_deref())?,
            since,
            until,
        })
    }
}

/// The operator, with `scope` (the operator token has every scope).
pub(crate) fn operator(caller: &Caller, scope: Scope) -> Result<(), ApiError> {
    caller.require_operator()?;
    caller.require_scope(scope)
}

fn not_found(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::NotFound("dead letter"),
        other => other.into(),
    }
}

#[utoipa::path(
    tag = "dead-letters",
    params(DeadLetterQuery, PageQuery),
    responses(
        (status = 200, description = "Newest first, without payloads", body = Paginated<DeadLetterRecord>),
        (status = 400, description = "Bad filter, limit or cursor; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not the operator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/dead-letters")]
pub async fn list_dead_letters(
    caller: Caller,
    store: web::Data<DynStore>,
    query: web::Query<DeadLetterQuery>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    operator(&caller, Scope::Read)?;
    let filter = query.filter()?;
    let listing = page.of::<DeadLetterKey>(List::global("dead-letters"))?;
    let rows = store.page_dead_letters(&filter, listing.window()).await?;
    listing.respond(rows, |d| d.id)
}

#[utoipa::path(
    tag = "dead-letters",
    params(("dead_letter_id" = i64, Path, description = "Dead letter id")),
    responses(
        (status = 200, description = "The dead letter with its payload (the webhook body as Telnyx sent it)", body = DeadLetterRecord),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dead letter, or not the operator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/dead-letters/{dead_letter_id}")]
pub async fn get_dead_letter(
    caller: Caller,
    store: web::Data<DynStore>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator(&caller, Scope::Read)?;
    let dead = store.get_dead_letter(path.into_inner()).await.map_err(not_found)?;
    Ok(HttpResponse::Ok().json(dead))
}

#[utoipa::path(
    tag = "dead-letters",
    params(("dead_letter_id" = i64, Path, description = "Dead letter id")),
    responses(
        (status = 200, description = "Re-driven through the normal ingest path: `counted` once its number has an owner, \
            `duplicate` when counted before, `dead_letter` while no company owns its numbers", body = Redriven),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dead letter, or not the operator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Counted by a re-drive longer ago than the dedupe keys are kept", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The stored webhook is not a Telnyx v2 webhook", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The ledger could not commit now; retry", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/dead-letters/{dead_letter_id}/redrive")]
pub async fn redrive_dead_letter(
    caller: Caller,
    store: web::Data<DynStore>,
    replayer: web::Data<Replayer>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator(&caller, Scope::Admin)?;
    let done = redrive(&replayer, &store, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(done))
}

/// Re-drives one dead letter through the normal ingest path (the API and the console share it;
/// the caller checked that it is the operator).
pub(crate) async fn redrive(replayer: &Replayer, store: &DynStore, id: i64) -> Result<Redriven, ApiError> {
    match replayer.redrive(store, id).await {
        Ok(done) => {
            tracing::info!(id, event_id = %done.event_id, outcome = %done.outcome, "dead letter re-driven");
            Ok(done)
        }
        Err(RedriveError::NotFound) => Err(ApiError::NotFound("dead letter")),
        Err(e @ RedriveError::KeysExpired(_)) => Err(ApiError::Conflict(e.to_string())),
        Err(e @ RedriveError::Unreadable(_)) => Err(ApiError::Unprocessable { field: None, detail: e.to_string() }),
        Err(RedriveError::Unavailable(reason)) => {
            // The reason may quote the database: logged, not answered.
            tracing::warn!(id, %reason, "dead letter re-drive could not commit");
            Err(ApiError::Unavailable("the event could not be committed now; retry".into()))
        }
        Err(RedriveError::Store(e)) => Err(e.into()),
    }
}

#[utoipa::path(
    tag = "dead-letters",
    params(("dead_letter_id" = i64, Path, description = "Dead letter id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dead letter, or not the operator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/dead-letters/{dead_letter_id}")]
pub async fn delete_dead_letter(
    caller: Caller,
    store: web::Data<DynStore>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    operator(&caller, Scope::Admin)?;
    store.delete_dead_letter(path.into_inner()).await.map_err(not_found)?;
    Ok(HttpResponse::NoContent().finish())
}
