//! The outbox: side effects written in the ledger transaction and delivered at least once.
pub mod forward;
pub mod item;
pub mod items;
pub mod metrics;
pub mod store;
pub mod worker;

pub use worker::{spawn_outbox_worker, OutboxWorker};
