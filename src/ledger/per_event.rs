//! The benchmark's per-event baseline (`webhooks.ingest_mode = per_event_update`, only in builds
//! with the `bench-modes` feature): one transaction per event, as a naive receiver would commit.
use std::sync::Arc;

use super::batcher::{CommitReply, LedgerError};
use super::entry::LedgerEntry;
use super::store::LedgerStore;
use crate::metrics::{DUPLICATES, LEDGER_COMMITS, SEND_RECONCILED};

pub(super) fn commit(store: Arc<dyn LedgerStore>, entry: LedgerEntry, done: Box<dyn CommitReply>) {
    tokio::spawn(async move {
        let answer = match store.commit_batch(&[&entry]).await {
            Ok(stats) => {
                metrics::counter!(DUPLICATES).increment(stats.duplicates);
                metrics::counter!(SEND_RECONCILED).increment(stats.reconciled);
                metrics::counter!(LEDGER_COMMITS, "outcome" => "ok").increment(1);
                Ok(stats.entry(0))
            }
            Err(e) => Err(LedgerError::Unavailable(e.to_string())),
        };
        done.answer(answer);
    });
}
