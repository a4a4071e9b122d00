//! HTTP handlers: thin shells that move requests to the logic and map errors.
use actix_web::web;

pub mod admin;
pub mod api_error;
pub mod auth;
pub mod auth_limit;
pub mod health;
pub mod json_body;
pub mod json_error;
pub mod messages;
pub mod metrics;
pub mod nul_guard;
pub mod pagination;
pub mod problem;
pub mod provisioning;
pub mod request_metrics;
pub mod scope;
pub mod sending;
pub mod webhooks;

/// Registers every route. The hot path first: the router tries services in order, and each admin
/// route it tries before the webhook costs a pattern match per webhook.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(webhooks::telnyx);
    cfg.configure(admin::configure);
    cfg.service(provisioning::provision)
        .service(provisioning::purchase)
        .service(provisioning::jobs::list_jobs)
        .service(provisioning::jobs::get_job)
        .service(provisioning::telnyx_settings::get_telnyx_settings)
        .service(sending::send_message)
        .service(messages::list_messages)
        .service(messages::get_message)
        .service(sending::place_call)
        .service(health::healthz)
        .service(health::readyz)
        .service(metrics::metrics);
}
