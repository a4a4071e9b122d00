//! Telnyx: webhook signature and envelope types, the REST v2 client.
pub mod api;
pub mod batch_verify;
pub mod client;
pub mod client_state;
pub mod events;
pub mod one_key_batch;
pub mod signature;
