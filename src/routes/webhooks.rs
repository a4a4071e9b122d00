//! POST /webhooks/telnyx: the HTTP shell around the ingress.
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::problem::Problem;
use crate::domain::CompanyId;
use crate::ingress::{Ingress, Outcome};
use crate::metrics::{WEBHOOKS_RECEIVED, WEBHOOK_DURATION};
use crate::telnyx::signature::{SignedHeaders, SIGNATURE_HEADER, TIMESTAMP_HEADER};

#[derive(Deserialize)]
pub struct Hint {
    company: Option<String>,
}

/// The webhook's path (the `post` attribute below needs it as a literal).
pub const WEBHOOK_PATH: &str = "/webhooks/telnyx";

#[post("/webhooks/telnyx")]
pub async fn telnyx(req: HttpRequest, body: web::Bytes, ingress: web::Data<Ingress>) -> HttpResponse {
    let started = Instant::now();
    // The hint is only a hint: unparsable values are ignored rather than refused.
    let hint = web::Query::<Hint>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.company.as_deref().and_then(|c| c.parse::<CompanyId>().ok()));
    let headers = SignedHeaders {
        signature: req.headers().get(SIGNATURE_HEADER).map(|v| v.as_bytes()),
        timestamp: req.headers().get(TIMESTAMP_HEADER).map(|v| v.as_bytes()),
    };
    let outcome = ingress.handle(headers, body, hint).await;
    let label = outcome.label();
    let (response, event_type) = match outcome {
        Outcome::Accepted { event_type, .. } => {
            (HttpResponse::Ok().content_type("application/json").body(r#"{"status":"ok"}"#), event_type)
        }
        Outcome::Rejected { reason, why } => {
            let status = StatusCode::from_u16(why.status()).unwrap_or(StatusCode::BAD_REQUEST);
            (Problem::new(status, reason).response(), "unknown")
        }
        Outcome::Unavailable { reason, event_type, .. } => {
            let mut res = Problem::new(StatusCode::SERVICE_UNAVAILABLE, reason).response();
            res.headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from_static("1"));
            (res, event_type)
        }
    };
    metrics::counter!(WEBHOOKS_RECEIVED, "event_type" => event_type, "outcome" => label).increment(1);
    metrics::histogram!(WEBHOOK_DURATION, "outcome" => label).record(started.elapsed().as_secs_f64());
    response
}
