//! application/problem+json (RFC 9457) error bodies.
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use serde::Serialize;

use crate::telnyx::client::TelnyxError;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem kind; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request field that failed, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For failures on the daemon's side (5xx): the id under which its log holds the details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            request_id: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Logs `internal` (never shown to the caller) under a new id, and carries the id.
    pub fn logged(mut self, internal: &dyn std::fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        tracing::error!(request_id = %id, status = self.status, detail = %internal, "request failed on the daemon's side");
        self.request_id = Some(id);
        self
    }

    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status).content_type("application/problem+json").json(self)
    }
}

/// A Telnyx failure as problem+json: 503 when Telnyx rate-limits (retry later), else 502 (Telnyx
/// refused or failed; after an ambiguous failure the action may have happened).
pub(crate) fn telnyx_problem(e: &TelnyxError) -> HttpResponse {
    let status = match e {
        TelnyxError::RateLimited { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_GATEWAY,
    };
    Problem::new(status, e.to_string()).response()
}
