//! The delivered marks of the production worker, written together: a mark waits up to
//! `outbox.delivered_mark_delay_ms` (20 ms by default) for the marks of the batches delivered after it, and one statement records them
//! all. Each mark statement has a fixed cost in PostgreSQL (executor start-up, its own commit and
//! WAL flush, a round trip) that outweighed the rows it updated when every delivered batch of a
//! dozen items wrote its own (docs/BENCHMARKS.md, tenth session).
//!
//! A mark not yet written when the node dies is lost like a mark whose statement failed: the item
//! is still pending, its lease or hold (a minute) runs out and it is delivered again (at least
//! once). A node that stops writes what it holds ([`DeliveredMarks::flush`]).
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;

use super::forwarding::Delivered;
use crate::store::DynStore;

/// Marks written by one statement at most (SQLite binds each id as its own parameter); this many
/// waiting are written at once, before their delay is up.
const MARKS_AT_ONCE: usize = 500;

/// Marks waiting to be written, shared by every delivery loop of a worker.
pub struct DeliveredMarks {
    waiting: Mutex<Vec<Delivered>>,
    delay: Duration,
    /// The first mark after a write arrived.
    arrived: Notify,
    /// [`MARKS_AT_ONCE`] marks are waiting.
    full: Notify,
}

impl DeliveredMarks {
    pub fn new(delay: Duration) -> Self {
        DeliveredMarks { waiting: Mutex::new(Vec::new()), delay, arrived: Notify::new(), full: Notify::new() }
    }

    /// Queues the marks of a delivered batch.
    pub(super) fn add(&self, delivered: Vec<Delivered>) {
        if delivered.is_empty() {
            return;
        }
        let (first, full) = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            let first = waiting.is_empty();
            waiting.extend(delivered);
            (first, waiting.len() >= MARKS_AT_ONCE)
        };
        if first {
            self.arrived.notify_one();
        }
        if full {
            self.full.notify_one();
        }
    }

    /// How many marks wait to be written.
    pub fn waiting(&self) -> usize {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Writes the marks as they come: each wait starts with a mark and ends after the delay, or
    /// earlier once [`MARKS_AT_ONCE`] wait. Runs until its task is aborted.
    pub async fn run(&self, store: &DynStore) {
        loop {
            self.arrived.notified().await;
            tokio::select! {
                _ = tokio::time::sleep(self.delay) => {}
                _ = self.full.notified() => {}
            }
            self.flush(store).await;
        }
    }

    /// Writes every mark waiting now.
    pub async fn flush(&self, store: &DynStore) {
        let marks = std::mem::take(&mut *self.waiting.lock().unwrap_or_else(|e| e.into_inner()));
        write(store, marks).await;
    }
}

/// Records `delivered`: one statement per attempt count (almost always one) and per
/// [`MARKS_AT_ONCE`] items. If one fails, its items' leases (or holds) run out and they are
/// delivered again: at least once.
pub(super) async fn write(store: &DynStore, mut delivered: Vec<Delivered>) {
    delivered.sort_by_key(|d| d.attempts);
    for same in delivered.chunk_by(|a, b| a.attempts == b.attempts) {
        for chunk in same.chunks(MARKS_AT_ONCE) {
            let ids: Vec<uuid::Uuid> = chunk.iter().map(|d| d.id).collect();
            if let Err(e) = store.mark_outbox_delivered_many(&ids, chunk[0].attempts).await {
                tracing::warn!(error = %e, items = ids.len(), "outbox: cannot record deliveries; they will be made again");
            }
        }
    }
}
