//! POST /routing/explain: the decision a hypothetical event would get, with no side effects.
use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::phone;
use crate::domain::PhoneNumber;
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::routing::{decide, EventKind, InboundEvent, RoutingDecision};
use crate::store::DynStore;

const FROM_MAX: usize = 256;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    /// The customer: E.164, or any sender (short code, SIP URI) to which no assignment applies.
    #[schema(value_type = super::formats::Sender)]
    pub from: String,
    /// One of the company's numbers, E.164.
    #[schema(value_type = super::formats::E164, example = "+14155551234")]
    pub to: String,
    pub kind: EventKind,
    /// When the event happens (RFC 3339); now when absent.
    pub at: Option<DateTime<Utc>>,
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = ExplainRequest,
    responses(
        (status = 200, description = "The decision and the trace of every rule tried", body = RoutingDecision),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/routing/explain")]
pub async fn explain(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    body: JsonBody<ExplainRequest>,
) -> Result<HttpResponse, ApiError> {
    let decision = explain_decision(&store, scope.company, body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(decision))
}

/// The decision `request` would get now (or at its `at`), from the same rules and the same
/// [`decide`] as the company's actor: the API and the console's simulator share it.
pub(crate) async fn explain_decision(
    store: &DynStore,
    company: crate::domain::CompanyId,
    body: ExplainRequest,
) -> Result<RoutingDecision, ApiError> {
    let from = body.from.trim();
    if from.is_empty() || from.chars().count() > FROM_MAX || from.chars().any(char::is_control) {
        return Err(ApiError::invalid("from", "must be 1 to 256 printable characters"));
    }
    let event = InboundEvent { kind: body.kind, from: from.to_owned(), to: phone("to", &body.to)? };
    // Only the sender's assignment and opt-out matter (a sender that is not E.164 has none).
    let routing = match PhoneNumber::parse(&event.from) {
        Ok(customer) => store.load_customer_routing(company, &customer).await?,
        Err(_) => store.load_routing_rules(company).await?,
    };
    Ok(decide(&event, &routing, body.at.unwrap_or_else(Utc::now)))
}
