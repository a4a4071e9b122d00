//! POST /v1/webhook-replays (operator only): replay Telnyx's failed webhook deliveries of a window
//! through the normal ingest path, counted once; answers what happened.
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;

use crate::replay::window::parse_time;
use crate::replay::{ReplaySummary, ReplayWindow, Replayer, Trigger, WindowError};
use crate::routes::api_error::ApiError;
use crate::routes::auth::Caller;
use crate::routes::problem::Problem;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// RFC 3339. Deliveries whose first attempt started at or after it; at most
    /// `ledger.dedupe_retention_hours` ago.
    #[schema(example = "2026-11-25T10:00:00Z")]
    pub from: String,
    /// RFC 3339, after `from`, at most 7 days later.
    #[schema(example = "2026-11-25T11:00:00Z")]
    pub to: String,
}

impl ReplayRequest {
    fn window(&self, replayer: &Replayer) -> Result<ReplayWindow, WindowError> {
        let (from, to) = (parse_time("from", &self.from)?, parse_time("to", &self.to)?);
        ReplayWindow::new(from, to, Utc::now(), replayer.retention())
    }
}

#[utoipa::path(
    tag = "replays",
    request_body = ReplayRequest,
    responses(
        (status = 200, description = "Every page of the window was read and each record ingested (see `failed`)", body = ReplaySummary),
        (status = 400, description = "Bad window", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not the operator", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Telnyx refused or failed the listing", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "telnyx.api_key is not configured, or Telnyx rate limited us", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/webhook-replays")]
pub async fn replay_webhooks(
    caller: Caller,
    replayer: web::Data<Replayer>,
    body: web::Json<ReplayRequest>,
) -> Result<HttpResponse, ApiError> {
    caller.require_operator()?;
    let window = body.window(&replayer).map_err(|e| ApiError::invalid(e.field(), &e))?;
    match replayer.replay(window, Trigger::Operator).await {
        Ok(summary) => {
            tracing::info!(
                window = %window,
                records = summary.records,
                counted = summary.counted,
                failed = summary.failed,
                "webhook replay done"
            );
            Ok(HttpResponse::Ok().json(summary))
        }
        Err(e) => {
            let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_GATEWAY);
            tracing::warn!(window = %window, error = %e, "webhook replay failed");
            Ok(Problem::new(status, e.to_string()).response())
        }
    }
}
