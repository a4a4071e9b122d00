//! The admin HTTP API under /v1.
use actix_web::web;

/// Registers every admin route.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
