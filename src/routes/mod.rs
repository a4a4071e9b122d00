//! HTTP handlers: thin shells that move requests to the logic and map errors.
pub mod admin;
pub mod api_error;
pub mod health;
pub mod json_body;
pub mod json_error;
pub mod metrics;
pub mod nul_guard;
pub mod outbound;
pub mod problem;
pub mod request_metrics;
pub mod webhooks;
