//! The outbox: side effects written in the ledger transaction and delivered at least once.
pub mod item;
