//! Refuses a URL that carries a NUL character (`%00`) with a 400: actix decodes it into path
//! parameters, no identifier can hold it and PostgreSQL refuses it in text (which would be a 500).
//! The webhook's query is exempt: its `?company=` hint is never trusted, and refusing a Telnyx
//! event for it would only make Telnyx redeliver it forever.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;

use super::problem::Problem;
use super::webhooks::WEBHOOK_PATH;

pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let uri = req.uri();
    // The hot path pays one comparison: its path holds no NUL and its query is exempt.
    if uri.path() != WEBHOOK_PATH && (has_nul(uri.path()) || uri.query().is_some_and(has_nul)) {
        let problem = Problem::new(StatusCode::BAD_REQUEST, "the URL contains a NUL character (%00)");
        return Ok(req.into_response(problem.response()).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Whether `s` (as sent, percent-encoded) holds `%00`.
fn has_nul(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w == b"%00")
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn finds_an_encoded_nul_only() {
        assert!(has_nul("/v1/companies/x/departments/%00"));
        assert!(has_nul("a%00b"));
        assert!(!has_nul("/v1/companies/x/departments/Sales%20East"));
        assert!(!has_nul("/webhooks/telnyx"));
        assert!(!has_nul("%0"));
    }
}
