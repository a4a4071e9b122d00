//! GET /v1/companies/{id}/messages and GET /v1/companies/{id}/messages/{message_id}: the
//! company's queued and sent messages and where each stands (docs/SENDING.md).
use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{NumberType, PhoneNumber};
use crate::routes::admin::list_filters::{number, time_range};
use crate::routes::admin::not_found;
use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::routes::sending::from_ms;
use crate::store::send_queue::{MessageKind, OutboundFilter, OutboundKey, OutboundRecord, SendStatus};
use crate::store::DynStore;

/// One outbound message and its status (one recipient per message).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: Uuid,
    #[schema(value_type = String, example = "+18314280176")]
    pub from: PhoneNumber,
    #[schema(value_type = String, example = "+13035550199")]
    pub to: PhoneNumber,
    pub kind: MessageKind,
    pub status: SendStatus,
    /// Why `from` was chosen (`reason` and its details, as the send answered).
    #[schema(value_type = Object)]
    pub sender_choice: serde_json::Value,
    pub sender_type: NumberType,
    /// Attempts recorded (a rate-limited attempt is tried again).
    pub attempts: i32,
    /// Telnyx's id of the message, once Telnyx accepted it.
    pub telnyx_message_id: Option<String>,
    /// Telnyx's error code of a failure (or of a delivery failure).
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    pub send_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboundRecord> for MessageView {
    fn from(m: OutboundRecord) -> Self {
        MessageView {
            id: m.id,
            from: m.from,
            to: m.to,
            kind: m.kind,
            status: m.status,
            sender_choice: m.reason,
            sender_type: m.sender.number_type,
            attempts: m.attempts,
            telnyx_message_id: m.telnyx_message_id,
            error_code: m.error_code,
            error_detail: m.error_detail,
            send_at: from_ms(m.send_at_ms),
            expires_at: from_ms(m.expires_at_ms),
            created_at: from_ms(m.created_at_ms),
            updated_at: from_ms(m.updated_at_ms),
            sent_at: m.sent_at_ms.map(from_ms),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// queued, sending, sent, delivered, sending_failed, delivery_failed, delivery_unconfirmed,
    /// expired or unknown.
    #[param(value_type = Option<SendStatus>, inline)]
    pub status: Option<String>,
    /// The sending number, E.164.
    #[param(value_type = Option<String>, pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub from: Option<String>,
    /// The recipient, E.164.
    #[param(value_type = Option<String>, pattern = r"^\+[1-9][0-9]{7,14}$")]
    pub to: Option<String>,
    /// Queued at or after, RFC 3339.
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Queued before, RFC 3339 (after `since`).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
}

impl MessageQuery {
    fn filter(&self) -> Result<OutboundFilter, ApiError> {
        let status = match self.status.as_deref() {
            None => None,
            Some(s) => Some(SendStatus::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    "must be queued, sending, sent, delivered, sending_failed, delivery_failed, \
                     delivery_unconfirmed, expired or unknown",
                )
            })?),
        };
        let e164 = |field: &'static str, raw: Option<&str>| -> Result<Option<PhoneNumber>, ApiError> {
            number(field, raw)?.map(|n| PhoneNumber::parse(&n).map_err(|e| ApiError::invalid(field, e))).transpose()
        };
        let (since, until) = time_range(self.since.as_deref(), self.until.as_deref())?;
        Ok(OutboundFilter {
            status,
            from: e164("from", self.from.as_deref())?,
            to: e164("to", self.to.as_deref())?,
            since_ms: since.map(|t| t.timestamp_millis()),
            until_ms: until.map(|t| t.timestamp_millis()),
        })
    }
}

#[utoipa::path(
    tag = "outbound",
    params(("id" = Uuid, Path, description = "Company id"), MessageQuery, PageQuery),
    responses(
        (status = 200, description = "The company's messages, most recently queued first", body = Paginated<MessageView>),
        (status = 400, description = "Bad filter, limit or cursor; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/messages")]
pub async fn list_messages(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    query: web::Query<MessageQuery>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let filter = query.filter()?;
    let listing = page.of::<OutboundKey>(List::company("messages", company))?;
    let rows = store.page_outbound(company, &filter, listing.window()).await?;
    let views: Vec<MessageView> = rows.into_iter().map(MessageView::from).collect();
    listing.respond(views, |v: &MessageView| (v.created_at.timestamp_millis(), v.id))
}

#[utoipa::path(
    tag = "outbound",
    params(("id" = Uuid, Path, description = "Company id"), ("message_id" = Uuid, Path, description = "Message id (as the send answered)")),
    responses(
        (status = 200, description = "The message and where it stands", body = MessageView),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company or message", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/messages/{message_id}")]
pub async fn get_message(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, id) = path.into_inner();
    let m = store.get_outbound(scope.company, id).await.map_err(not_found("message"))?;
    Ok(HttpResponse::Ok().json(MessageView::from(m)))
}
