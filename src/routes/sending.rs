//! POST /v1/companies/{id}/messages and POST /v1/companies/{id}/calls: choose the sender
//! (routing::choose_sender) and create the sticky assignment on first contact; a message is then
//! queued (202, sent by the send queue, docs/SENDING.md), a call dialled through Telnyx once the
//! account's calls per second has a slot for it.
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
use crate::sendq::{Planner, SendQueue, CALLS_THROTTLED};
use crate::store::send_queue::{MessageContent, MessageKind, NewOutbound, SendStatus, SenderClass};
use crate::store::{CompanySettings, DynStore, LimitKind};
use crate::telnyx::api::TelnyxApi;
use crate::telnyx::client::{CommandId, DialRequest, LegState, TelnyxClient};

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
    /// Not before this time, RFC 3339 (at most 30 days ahead); now when absent.
    #[schema(value_type = Option<String>, format = DateTime)]
    send_at: Option<String>,
    /// Seconds after `send_at` the message may still be sent; not sent by then, it ends
    /// `expired`. Within `sending.min_validity_secs` and `sending.max_validity_secs` (by default
    /// 60 to 86400); `sending.default_validity_secs` (4 hours) when absent.
    #[schema(minimum = 1)]
    validity_secs: Option<i64>,
}

struct OutboundMessage {
    to: PhoneNumber,
    from: Option<PhoneNumber>,
    text: Option<String>,
    media_urls: Vec<Url>,
    send_at: Option<chrono::DateTime<chrono::Utc>>,
    validity_secs: Option<i64>,
}

/// How far ahead `send_at` may be.
const MAX_SEND_AHEAD_DAYS: i64 = 30;

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
        let send_at = b
            .send_at
            .as_deref()
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(t)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|e| ApiError::invalid("send_at", format!("{t:?} is not an RFC 3339 time: {e}")))
            })
            .transpose()?;
        if send_at.is_some_and(|t| t > chrono::Utc::now() + chrono::Duration::days(MAX_SEND_AHEAD_DAYS)) {
            return Err(ApiError::invalid("send_at", format!("must be at most {MAX_SEND_AHEAD_DAYS} days ahead")));
        }
        Ok(OutboundMessage {
            to: phone("to", &b.to)?,
            from: b.from.as_deref().map(|f| phone("from", f)).transpose()?,
            text,
            media_urls,
            send_at,
            validity_secs: b.validity_secs,
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

/// The message is queued; `reason` says why `from` was chosen. Follow it with
/// GET /v1/companies/{id}/messages/{message_id}.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageQueued {
    /// This daemon's id of the message (not Telnyx's, which it gets once sent).
    id: uuid::Uuid,
    #[schema(value_type = String, example = "+18314280176")]
    from: PhoneNumber,
    #[serde(flatten)]
    reason: SenderReason,
    /// Always `queued`.
    status: SendStatus,
    /// Not sent before.
    send_at: chrono::DateTime<chrono::Utc>,
    /// Not sent by then, it ends `expired`.
    expires_at: chrono::DateTime<chrono::Utc>,
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
        (status = 202, description = "Queued: the send queue sends it when its limiters allow (docs/SENDING.md)", body = MessageQueued),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The recipient opted out: nothing was queued", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No usable sender (`from` not the company's, inactive or without the feature), or not provisioned", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The company reached its messages per minute: nothing was queued; Retry-After says when to try again", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "telnyx.api_key is not configured", body = Problem, content_type = "application/problem+json"),
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
    queue: web::Data<SendQueue>,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let msg = OutboundMessage::try_from(body.into_inner())?;
    let now_ms = queue.now_ms();
    let send_at_ms = msg.send_at.map_or(now_ms, |t| t.timestamp_millis().max(now_ms));
    let expires_at_ms = send_at_ms + validity_ms(queue.settings(), msg.validity_secs)?;
    let kind = if msg.media_urls.is_empty() { MessageKind::Sms } else { MessageKind::Mms };
    let needed = if kind == MessageKind::Sms { Feature::Sms } else { Feature::Mms };
    let req = SenderRequest { to: msg.to.clone(), explicit_from: msg.from.clone(), needed };
    let (_, settings, choice) = prepare(&store, &directory, &telnyx, company, &req).await?;
    let profile = settings.messaging_profile_id.ok_or_else(|| not_provisioned("messaging profile"))?;
    limits::take(&store, &defaults, company, LimitKind::Messages, 1).await?;
    let number = store.get_number(company, choice.number_id).await?;
    let reason = serde_json::to_value(&choice.reason).map_err(|e| ApiError::Internal(e.to_string()))?;
    let queued = queue
        .enqueue(&NewOutbound {
            company_id: company,
            id: uuid::Uuid::new_v4(),
            from: choice.from.clone(),
            to: msg.to.clone(),
            kind,
            content: MessageContent {
                text: msg.text,
                media_urls: msg.media_urls.iter().map(Url::to_string).collect(),
                messaging_profile_id: profile,
            },
            sender: SenderClass {
                number_type: number.number_type,
                campaign_id: number.campaign_id,
                brand_id: number.brand_id,
            },
            reason,
            send_at_ms,
            expires_at_ms,
            now_ms,
        })
        .await?;
    sending::stick(&directory, company, &msg.to, &choice).await;
    Ok(HttpResponse::Accepted().json(MessageQueued {
        id: queued.id,
        from: choice.from,
        reason: choice.reason,
        status: queued.status,
        send_at: from_ms(queued.send_at_ms),
        expires_at: from_ms(queued.expires_at_ms),
        warning: choice.warning,
    }))
}

/// The requested validity in milliseconds (the configured default when absent).
fn validity_ms(s: &crate::config::SendingSettings, asked: Option<i64>) -> Result<i64, ApiError> {
    let (min, max) = (s.min_validity_secs as i64, s.max_validity_secs as i64);
    match asked {
        None => Ok(s.default_validity_secs as i64 * 1000),
        Some(v) if (min..=max).contains(&v) => Ok(v * 1000),
        Some(_) => Err(ApiError::invalid("validity_secs", format!("must be between {min} and {max} seconds"))),
    }
}

pub(crate) fn from_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
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
        (status = 429, description = "The company reached its calls per minute, or the account's calls per second has no slot soon enough: no call was placed; Retry-After says when to try again", body = Problem, content_type = "application/problem+json"),
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
    queue: web::Data<SendQueue>,
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
    wait_for_call_slot(&store, &queue).await?;
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

/// Waits for the call's slot under the account's calls per second (shared by every node, one
/// statement: [`crate::store::SendClaimStore::take_slot`]); refuses with 429 when it is further
/// than `sending.call_max_wait_ms` away.
async fn wait_for_call_slot(store: &DynStore, queue: &SendQueue) -> Result<(), ApiError> {
    let s = queue.settings();
    let limiter = Planner::new(s).calls_limiter();
    let now_us = queue.now_ms() * 1000;
    let max_wait_us = s.call_max_wait_ms as i64 * 1000;
    match store.take_slot(&limiter.key, now_us, limiter.interval_us, max_wait_us).await? {
        Some(at_us) => {
            let wait_us = at_us - now_us;
            if wait_us > 0 {
                tokio::time::sleep(std::time::Duration::from_micros(wait_us as u64)).await;
            }
            Ok(())
        }
        None => {
            metrics::counter!(CALLS_THROTTLED).increment(1);
            Err(ApiError::LimitReached {
                detail: "the account's calls per second has no slot free soon enough: no call was placed".into(),
                retry_after_secs: 1,
            })
        }
    }
}
