//! Counts and times every HTTP request by route pattern (a small fixed set) and status class.
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use super::webhooks::WEBHOOK_PATH;
use crate::metrics::{HTTP_REQUESTS, HTTP_REQUEST_DURATION};

pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let res = next.call(req).await?;
    // Fixed paths are labelled without asking the router: `match_pattern` walks every registered
    // pattern (a regex match each), which is measurable on the webhook hot path.
    let endpoint: std::borrow::Cow<'static, str> = match res.request().path() {
        WEBHOOK_PATH => WEBHOOK_PATH.into(),
        "/metrics" => "/metrics".into(),
        "/healthz" => "/healthz".into(),
        "/readyz" => "/readyz".into(),
        _ => res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned()).into(),
    };
    let status = match res.status().as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!(HTTP_REQUESTS, "endpoint" => endpoint.clone(), "status" => status).increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION, "endpoint" => endpoint).record(started.elapsed().as_secs_f64());
    Ok(res)
}
