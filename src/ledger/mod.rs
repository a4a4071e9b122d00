//! The ledger: group commit of what events change (counter deltas keyed for dedupe, dead letters,
//! side effects for the outbox, routing log lines). A webhook is answered only after its entry is
//! committed, so an acknowledged event is never lost and, thanks to the unique (event, number)
//! keys, never counted twice.
pub mod batcher;
pub mod chain_items;
pub mod chain_position;
pub mod decision_codec;
pub mod entry;
pub mod handoff;
pub mod outbox_item;
#[cfg(feature = "bench-modes")]
mod per_event;
pub mod side_effects;
pub mod store;

pub use batcher::{CommitMode, CommitReply, Ledger, LedgerCloser, LedgerError};
pub use entry::{CommitStats, Committed, CountKey, Counter, DeadLetter, LedgerEntry, OptChange, RouteLine};
pub use store::{LedgerStore, LedgerWriter};
