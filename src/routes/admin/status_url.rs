//! GET/PUT/DELETE /v1/companies/{id}/message-status-url: where every status change of the
//! company's queued messages is forwarded, signed like its message forwards, through the outbox
//! (docs/SENDING.md). The URL meets the same rules as a message forward's destination: http(s),
//! no user info, and the operator's forward policy (no loopback or private address, https unless
//! `forwards.insecure_hosts` allows).
use actix_web::{delete, get, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::rule_error;
use crate::company::directory::Directory;
use crate::outbox::guard::ForwardPolicy;
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::routing::MessageDestination;
use crate::store::status_urls::StatusUrl;
use crate::store::DynStore;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutStatusUrl {
    /// An https URL with a public address (see the forward policy), at most 2048 characters.
    #[schema(example = "https://backend.example.com/sms/status")]
    pub url: String,
}

/// The company's status URL setting: `url` is null while none is set (every company has the
/// setting, so reading it never answers 404 for a company that exists).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusUrlSetting {
    /// Receives a signed POST for every status change of the company's queued messages; null when
    /// status changes are not forwarded.
    #[schema(example = "https://backend.example.com/sms/status")]
    pub url: Option<String>,
    /// When it was last set; null when none is set.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<Option<StatusUrl>> for StatusUrlSetting {
    fn from(stored: Option<StatusUrl>) -> Self {
        match stored {
            Some(s) => Self { url: Some(s.url), updated_at: Some(s.updated_at) },
            None => Self { url: None, updated_at: None },
        }
    }
}

#[utoipa::path(
    tag = "outbound",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The company's status URL (`url` null when none is set)", body = StatusUrlSetting),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/message-status-url")]
pub async fn get_status_url(scope: CompanyScope, store: web::Data<DynStore>) -> Result<HttpResponse, ApiError> {
    let setting = StatusUrlSetting::from(store.status_url(scope.company).await?);
    Ok(HttpResponse::Ok().json(setting))
}

#[utoipa::path(
    tag = "outbound",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = PutStatusUrl,
    responses(
        (status = 200, description = "Set: every status change of the company's queued messages from now on is forwarded there", body = StatusUrl),
        (status = 400, description = "Not a URL the daemon may forward to; `field` is `url`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/companies/{id}/message-status-url")]
pub async fn put_status_url(
    scope: CompanyScope,
    directory: web::Data<Directory>,
    policy: web::Data<ForwardPolicy>,
    body: JsonBody<PutStatusUrl>,
) -> Result<HttpResponse, ApiError> {
    let url = MessageDestination::parse(&body.url).map_err(|e| rule_error("url", e))?;
    policy.check_url(url.url()).map_err(|e| ApiError::invalid("url", e))?;
    let stored = directory.put_status_url(scope.company, url.as_str()).await?;
    Ok(HttpResponse::Ok().json(stored))
}

#[utoipa::path(
    tag = "outbound",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 204, description = "Removed, or none was set (idempotent): status changes are no longer forwarded (those queued still are)"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/companies/{id}/message-status-url")]
pub async fn delete_status_url(scope: CompanyScope, directory: web::Data<Directory>) -> Result<HttpResponse, ApiError> {
    // Idempotent: removing a URL that is not set leaves the same state as removing one that is.
    directory.delete_status_url(scope.company).await?;
    Ok(HttpResponse::NoContent().finish())
}
