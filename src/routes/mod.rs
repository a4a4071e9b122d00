//! HTTP handlers: thin shells that move requests to the logic and map errors.
pub mod health;
pub mod metrics;
pub mod problem;
pub mod request_metrics;
