//! The outbox worker: delivers the side effects the ledger committed (message forwards, call
//! commands), at least once, with retries. The items are ledger types (`ledger::outbox_item`);
//! their storage is `store::outbox`.
pub mod failover;
pub mod forward;
mod forwarding;
pub mod guard;
pub mod schedule;
pub mod worker;

pub use forward::Deliverer;
pub use schedule::RetrySchedule;
pub use worker::{give_back_held, spawn_outbox_worker, OutboxWorker, HOLD};
