//! The ledger: group commit of what events change (counter deltas keyed for dedupe, dead letters,
//! side effects for the outbox, routing log lines). A webhook is answered only after its entry is
//! committed, so an acknowledged event is never lost and, thanks to the unique (event, number)
//! keys, never counted twice.
pub mod batcher;
pub mod entry;
pub mod outbox_item;
pub mod side_effects;
pub mod store;

pub use batcher::{committed, CommitMode, CommitReply, Committed, Ledger, LedgerCloser, LedgerError};
pub use entry::{CountKey, Counter, DeadLetter, LedgerEntry, OptChange, RouteLine};
pub use store::{LedgerStore, LedgerWriter};
