//! Provisioning and outbound endpoints under /v1/companies/{id}: provision, purchase numbers,
//! read a job, send a message, place a call.
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::routes::problem::Problem;
use crate::telnyx::client::TelnyxError;

pub mod provisioning;
pub mod sending;

/// Registers the provisioning and outbound routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(provisioning::provision)
        .service(provisioning::purchase)
        .service(provisioning::get_job)
        .service(sending::send_message)
        .service(sending::place_call);
}

/// A Telnyx failure as problem+json: 502 when Telnyx refused or failed, 504-like ambiguity as 502
/// with a warning that the action may have happened.
pub(crate) fn telnyx_problem(e: &TelnyxError) -> HttpResponse {
    let status = match e {
        TelnyxError::RateLimited { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_GATEWAY,
    };
    Problem::new(status, e.to_string()).response()
}
