//! POST /routing/explain: the decision a hypothetical event would get, with no side effects; for
//! a call routed to a chain, the whole chain as it rings, and with a live call's
//! `call_control_id`, the step that call is on (read from the outbox, where each move of the
//! chain is committed with the event that made it).
use actix_web::{post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::phone;
use crate::config::RoutingSettings;
use crate::domain::PhoneNumber;
use crate::ledger::chain_position::ChainPosition;
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::routing::chain_view::ChainView;
use crate::routing::{decide, Destination, EventKind, InboundEvent, RoutingDecision};
use crate::store::outbox_admin::OutboxFilter;
use crate::store::{DynStore, Window};

const FROM_MAX: usize = 256;
/// The caller leg's newest outbox items read to find its position (a chain makes at most one
/// per step and three for its final action).
const LIVE_ITEMS: i64 = 32;
const CALL_CONTROL_ID_MAX: usize = 512;

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
    /// A live inbound call of the company (its leg's `call_control_id`): where it stands in its
    /// chain is answered as `call`.
    #[schema(example = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg", max_length = 512)]
    pub call_control_id: Option<String>,
}

/// The decision, and for calls routed to a chain, the chain and a live call's position.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    #[serde(flatten)]
    pub decision: RoutingDecision,
    /// A call destination: every step as it rings, then the final action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain: Option<ChainView>,
    /// With `call_control_id`: where that call stands in its chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<LiveCall>,
}

/// A live call's place in its chain.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LiveCall {
    pub call_control_id: String,
    #[serde(flatten)]
    pub position: ChainPosition,
    /// The status of the command that put it there (pending, delivered, failed, cancelled).
    pub command_status: String,
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = ExplainRequest,
    responses(
        (status = 200, description = "The decision and the trace of every rule tried; a call's chain", body = Explanation),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No chain of the company has a call with this `call_control_id`; `field` names it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/routing/explain")]
pub async fn explain(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    calls: web::Data<RoutingSettings>,
    body: JsonBody<ExplainRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let call_control_id = body.call_control_id.clone();
    let decision = explain_decision(&store, scope.company, body).await?;
    let chain = match &decision.destination {
        Some(Destination::Call(chain)) => Some(ChainView::of(chain, calls.transfer_timeout_secs)),
        _ => None,
    };
    let call = match call_control_id.as_deref() {
        Some(ccid) => Some(live_call(store.as_ref(), scope.company, ccid).await?),
        None => None,
    };
    Ok(HttpResponse::Ok().json(Explanation { decision, chain, call }))
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

/// Where the company's call `ccid` stands in its chain: the newest chain item of its leg.
async fn live_call(store: &DynStore, company: crate::domain::CompanyId, ccid: &str) -> Result<LiveCall, ApiError> {
    let ccid = ccid.trim();
    if ccid.is_empty() || ccid.len() > CALL_CONTROL_ID_MAX || ccid.chars().any(char::is_control) {
        return Err(ApiError::invalid("call_control_id", "must be 1 to 512 printable characters"));
    }
    let filter = OutboxFilter { destination: Some(ccid.to_owned()), ..OutboxFilter::default() };
    let items = store.page_outbox(company, &filter, &Window::first(LIVE_ITEMS)).await?;
    let found = items.iter().find_map(|e| ChainPosition::of(&e.item).map(|p| (p, e.status.clone())));
    let Some((position, command_status)) = found else {
        return Err(ApiError::Unprocessable {
            field: Some("call_control_id".into()),
            detail: "no call of this company walks a chain with this call_control_id".into(),
        });
    };
    Ok(LiveCall { call_control_id: ccid.to_owned(), position, command_status })
}
