//! POST /v1/companies/{id}/messages and POST /v1/companies/{id}/calls: choose the sender
//! (routing::choose_sender), send through Telnyx, create the sticky assignment on first contact.
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::company::directory::Directory;
use crate::company::limits;
use crate::company::sending::{self, SendError};
use crate::config::LimitSettings;
use crate::domain::{CompanyId, Feature, PhoneNumber};
use crate::routes::admin::check_not_foreign;
use crate::routes::admin::formats::{AbsoluteUrl, E164};
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::{telnyx_problem, Problem};
use crate::routes::scope::CompanyScope;
use crate::routing::{SenderChoice, SenderError, SenderReason, SenderRequest};
use crate::store::{CompanySettings, DynStore, LimitKind};
use crate::telnyx::api::TelnyxApi;
use crate::telnyx::client::{CommandId, DialRequest, LegState, SendMessageRequest, TelnyxClient};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MessageBody {
    /// The recipient, E.164.
    #[schema(value_type = E164)]
    to: String,
    /// Text, media_urls or both.
    text: Option<String>,
    /// Absolute URLs of MMS media.
    #[serde(default)]
    #[schema(value_type = Vec<AbsoluteUrl>)]
    media_urls: Vec<String>,
    /// One of the company's numbers, E.164; chosen by the daemon when absent.
    #[schema(value_type = Option<E164>)]
    from: Option<String>,
}

struct OutboundMessage {
    to: PhoneNumber,
    from: Option<PhoneNumber>,
    text: Option<String>,
    media_urls: Vec<Url>,
}

fn phone(field: &str, s: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(s).map_err(|e| ApiError::invalid(field, e))
}

impl TryFrom<MessageBody> for OutboundMessage {
    type Error = ApiError;
    fn try_from(b: MessageBody) -> Result<Self, ApiError> {
        let media_urls = b
            .media_urls
            .iter()
            .map(|u| Url::parse(u).map_err(|e| ApiError::invalid("media_urls", format!("{u:?}: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let text = b.text.filter(|t| !t.is_empty());
        if text.is_none() && media_urls.is_empty() {
            return Err(ApiError::invalid("text", "give text, media_urls or both"));
        }
        Ok(OutboundMessage {
            to: phone("to", &b.to)?,
            from: b.from.as_deref().map(|f| phone("from", f)).transpose()?,
            text,
            media_urls,
        })
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CallBody {
    /// The callee, E.164.
    #[schema(value_type = E164)]
    to: String,
    /// One of the company's numbers, E.164; chosen by the daemon when absent.
    #[schema(value_type = Option<E164>)]
    from: Option<String>,
}

/// Telnyx accepted the message; `reason` says why `from` was chosen.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageSent {
    message_id: String,
    #[schema(value_type = String, example = "+18314280176")]
    from: PhoneNumber,
    #[serde(flatten)]
    reason: SenderReason,
    /// Set when `from` was explicit and that number is unhealthy (it was still used).
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

/// Telnyx dialled; `reason` says why `from` was chosen.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallPlaced {
    call_control_id: String,
    #[schema(value_type = String, example = "+18314280176")]
    from: PhoneNumber,
    #[serde(flatten)]
    reason: SenderReason,
    /// Set when `from` was explicit and that number is unhealthy (it was still used).
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

fn sender_error(e: SenderError) -> ApiError {
    match e {
        SenderError::OptedOut { .. } => ApiError::Conflict(e.to_string()),
        SenderError::NotCompanyNumber { .. } | SenderError::Inactive { .. } | SenderError::MissingFeature { .. } => {
            ApiError::Unprocessable { field: Some("from".into()), detail: e.to_string() }
        }
        SenderError::NoSender { .. } => ApiError::Unprocessable { field: Some("from".into()), detail: e.to_string() },
    }
}

/// Everything both endpoints do before calling Telnyx.
async fn prepare(
    store: &DynStore,
    directory: &Directory,
    telnyx: &TelnyxApi,
    company: CompanyId,
    req: &SenderRequest,
) -> Result<(TelnyxClient, CompanySettings, SenderChoice), ApiError> {
    let client = telnyx.client().map_err(|reason| ApiError::Unavailable(reason.to_owned()))?.clone();
    let (settings, choice) = sending::choose(store, directory, company, req).await.map_err(|e| match e {
        SendError::Sender(e) => sender_error(e),
        SendError::Store(e) => e.into(),
    })?;
    Ok((client, settings, choice))
}

fn not_provisioned(what: &str) -> ApiError {
    ApiError::Unprocessable {
        field: None,
        detail: format!("the company has no {what}: POST /v1/companies/{{id}}/provision first"),
    }
}

#[utoipa::path(
    tag = "outbound",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = MessageBody,
    responses(
        (status = 200, description = "Sent through Telnyx", body = MessageSent),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The recipient opted out: nothing was sent", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No usable sender (`from` not the company's, inactive or without the feature), or not provisioned", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The company reached its messages per minute: nothing was sent; Retry-After says when to try again", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Telnyx refused or failed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "telnyx.api_key is not configured, or Telnyx rate-limits", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/messages")]
pub async fn send_message(
    scope: CompanyScope,
    body: JsonBody<MessageBody>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    telnyx: web::Data<TelnyxApi>,
    defaults: web::Data<LimitSettings>,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let msg = OutboundMessage::try_from(body.into_inner())?;
    let needed = if msg.media_urls.is_empty() { Feature::Sms } else { Feature::Mms };
    let req = SenderRequest { to: msg.to.clone(), explicit_from: msg.from.clone(), needed };
    let (client, settings, choice) = prepare(&store, &directory, &telnyx, company, &req).await?;
    let profile = settings.messaging_profile_id.ok_or_else(|| not_provisioned("messaging profile"))?;
    limits::take(&store, &defaults, company, LimitKind::Messages, 1).await?;
    let send = SendMessageRequest {
        from: choice.from.clone(),
        to: msg.to.clone(),
        text: msg.text,
        media_urls: msg.media_urls,
        messaging_profile_id: profile,
        webhook_url: None,
    };
    let sent = match client.send_message(&send).await {
        Ok(sent) => sent,
        Err(e) => return Ok(telnyx_problem(&e)),
    };
    sending::stick(&directory, company, &msg.to, &choice).await;
    Ok(HttpResponse::Ok().json(MessageSent {
        message_id: sent.id,
        from: choice.from,
        reason: choice.reason,
        warning: choice.warning,
    }))
}

#[utoipa::path(
    tag = "outbound",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = CallBody,
    responses(
        (status = 200, description = "Dialled through Telnyx Call Control", body = CallPlaced),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The callee opted out: no call was placed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No usable sender, or not provisioned", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The company reached its calls per minute: no call was placed; Retry-After says when to try again", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Telnyx refused or failed", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "telnyx.api_key is not configured, or Telnyx rate-limits", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/calls")]
pub async fn place_call(
    scope: CompanyScope,
    body: JsonBody<CallBody>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    telnyx: web::Data<TelnyxApi>,
    defaults: web::Data<LimitSettings>,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let body = body.into_inner();
    let to = phone("to", &body.to)?;
    check_not_foreign(&store, company, "to", &to).await?;
    let from = body.from.as_deref().map(|f| phone("from", f)).transpose()?;
    let req = SenderRequest { to: to.clone(), explicit_from: from, needed: Feature::Voice };
    let (client, settings, choice) = prepare(&store, &directory, &telnyx, company, &req).await?;
    let app = settings.call_control_application_id.ok_or_else(|| not_provisioned("call control application"))?;
    limits::take(&store, &defaults, company, LimitKind::Calls, 1).await?;
    let dial = DialRequest {
        connection_id: app,
        to: to.clone(),
        from: choice.from.clone(),
        command_id: Some(CommandId::new()),
        // Marks the leg as the company's own call: its call.initiated (outgoing, from the
        // company's number) counts once as outgoing; its other events are acknowledged.
        client_state: Some(LegState::Dial { company }.client_state()),
    };
    let call = match client.dial(&dial).await {
        Ok(call) => call,
        Err(e) => return Ok(telnyx_problem(&e)),
    };
    sending::stick(&directory, company, &to, &choice).await;
    Ok(HttpResponse::Ok().json(CallPlaced {
        call_control_id: call.call_control_id,
        from: choice.from,
        reason: choice.reason,
        warning: choice.warning,
    }))
}
