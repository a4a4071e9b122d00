//! Group commit: entries from every request are gathered and committed together, with up to
//! `commits_in_flight` commits in flight per lane while the next batch fills. A batch holds what arrived while the lane's
//! previous commit ran and, when `flush_interval_ms` is not 0, during that interval after its
//! first entry; at most `batch_size` entries (the rest open the next batch). With 0 a lone event
//! commits at once and batches grow with the load by themselves: at the maximum rate a batch is
//! what arrives during one commit. Each request is woken after its batch committed.
//!
//! Lanes: a company's entries always go to the same lane (hash of its id), so concurrent commits
//! of different lanes touch different counter rows and cannot deadlock each other; several lanes
//! overlap the database's commit latency (WAL flush) instead of queueing behind it.
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;

use super::entry::{Committed, LedgerEntry};
use super::handoff::{Reservation, ToOutbox};
use super::store::{LedgerStore, LedgerWriter};
use crate::config::LedgerSettings;
use crate::metrics::{
    DUPLICATES, LEDGER_BATCH_SIZE, LEDGER_COMMITS, LEDGER_COMMIT_DURATION, LEDGER_PENDING, SEND_RECONCILED,
};

#[derive(Debug, Clone, thiserror::Error)]
pub enum LedgerError {
    #[error("the database could not commit: {0}")]
    Unavailable(String),
    #[error("the ledger is shutting down")]
    Closed,
    /// The entry's reply was dropped unanswered: whoever held it (a company actor that was
    /// stopping) went away before the entry reached a batch. Nothing of it was committed.
    #[error("the event was dropped before its commit; retry")]
    Abandoned,
}

/// Where the ledger answers one entry: once it is durable (with what the commit did with it), or
/// with why it is not. Whoever waits decides the channel's error type; a plain oneshot of
/// `Result<Committed, LedgerError>` is one.
pub trait CommitReply: Send + 'static {
    fn answer(self: Box<Self>, answer: Result<Committed, LedgerError>);
    /// Whether the waiting request gave up (its deadline passed, it was answered 503): its
    /// entry is then left out of the batch, and Telnyx's redelivery counts it.
    fn abandoned(&self) -> bool;
}

impl CommitReply for oneshot::Sender<Result<Committed, LedgerError>> {
    fn answer(self: Box<Self>, answer: Result<Committed, LedgerError>) {
        let _ = self.send(answer);
    }

    fn abandoned(&self) -> bool {
        self.is_closed()
    }
}

struct Pending {
    entry: LedgerEntry,
    done: Box<dyn CommitReply>,
}

/// How entries reach the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitMode {
    /// Group commit (the product).
    Batched,
    /// One transaction per event (the benchmark's baseline).
    PerEvent,
}

/// One commit lane as the submitters see it.
struct Lane {
    tx: mpsc::UnboundedSender<Pending>,
    fill: Arc<Fill>,
    batch_size: usize,
}

/// Shared by a lane's submitters and its batcher.
#[derive(Default)]
struct Fill {
    /// Entries submitted and not yet taken into a batch...
    queued: AtomicUsize,
    /// ...and the signal that they make a full batch (it ends the flush interval early).
    full: Notify,
}

/// Handle to the ledger; cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    lanes: Arc<[Lane]>,
    /// `CommitMode::PerEvent`: each entry commits alone, on this store (the benchmark baseline).
    #[cfg(feature = "bench-modes")]
    per_event: Option<Arc<dyn LedgerStore>>,
}

impl Ledger {
    /// Starts the batching task on the current runtime. It ends once [`LedgerCloser::close`] is
    /// called (or the closer dropped) or every handle is dropped, after committing what was
    /// pending; entries submitted after the close are refused.
    pub fn start(
        store: Arc<dyn LedgerStore>,
        settings: &LedgerSettings,
        (lanes, in_flight): (usize, usize),
        mode: CommitMode,
        outbox: impl Into<ToOutbox>,
    ) -> (Ledger, LedgerCloser, JoinHandle<()>) {
        let outbox = outbox.into();
        let (close, closing) = watch::channel(false);
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        let batch_size = settings.batch_size.max(1);
        for _ in 0..lanes.max(1) {
            let (tx, rx) = mpsc::unbounded_channel();
            let fill = Arc::new(Fill::default());
            let batcher = Batcher {
                rx,
                fill: fill.clone(),
                closing: Some(closing.clone()),
                store: store.clone(),
                writers: Vec::new(),
                max_in_flight: in_flight.max(1),
                flush_interval: Duration::from_millis(settings.flush_interval_ms),
                batch_size,
                outbox: outbox.clone(),
            };
            senders.push(Lane { tx, fill, batch_size });
            tasks.push(tokio::spawn(batcher.run()));
        }
        let task = tokio::spawn(async move {
            for t in tasks {
                let _ = t.await;
            }
        });
        #[cfg(not(feature = "bench-modes"))]
        let ledger = {
            debug_assert_eq!(mode, CommitMode::Batched, "the per-event mode needs the bench-modes feature");
            Ledger { lanes: senders.into() }
        };
        #[cfg(feature = "bench-modes")]
        let ledger = Ledger { lanes: senders.into(), per_event: (mode == CommitMode::PerEvent).then_some(store) };
        (ledger, LedgerCloser(close), task)
    }

    /// Commits `entry`; returns once it is durable (or failed: then nothing of it was applied).
    pub async fn commit(&self, entry: LedgerEntry) -> Result<Committed, LedgerError> {
        let (done, wait) = oneshot::channel();
        self.submit(entry, Box::new(done));
        wait.await.unwrap_or(Err(LedgerError::Abandoned))
    }

    /// Queues `entry` and returns at once; `done` is answered once the entry is durable (or
    /// failed: then nothing of it was applied). Company actors submit this way, so the request
    /// waits for the commit alone, not for a reply from the actor first.
    pub fn submit(&self, entry: LedgerEntry, done: Box<dyn CommitReply>) {
        #[cfg(feature = "bench-modes")]
        if let Some(store) = &self.per_event {
            return super::per_event::commit(store.clone(), entry, done);
        }
        let lane =
            entry.counts.first().map(|k| k.company_id.as_uuid().as_u128() as usize).unwrap_or(0) % self.lanes.len();
        let lane = &self.lanes[lane];
        // Counted before it is sent, so the batcher never takes more than was counted.
        let queued = lane.fill.queued.fetch_add(1, Ordering::Relaxed) + 1;
        match lane.tx.send(Pending { entry, done }) {
            Ok(()) if queued == lane.batch_size => lane.fill.full.notify_one(),
            Ok(()) => {}
            Err(refused) => {
                lane.fill.queued.fetch_sub(1, Ordering::Relaxed);
                refused.0.done.answer(Err(LedgerError::Closed));
            }
        }
    }
}

/// Stops the ledger: handles live on in company actors, so the end is announced, not inferred.
pub struct LedgerCloser(watch::Sender<bool>);

impl LedgerCloser {
    /// What is queued is committed; later submissions are answered [`LedgerError::Closed`].
    pub fn close(self) {
        let _ = self.0.send(true);
    }
}

struct Batcher {
    rx: mpsc::UnboundedReceiver<Pending>,
    fill: Arc<Fill>,
    /// Until the close: then the channel is closed and drained.
    closing: Option<watch::Receiver<bool>>,
    store: Arc<dyn LedgerStore>,
    /// The lane's idle writers (a commit in flight owns its writer, and hands it back).
    writers: Vec<Box<dyn LedgerWriter>>,
    /// Commits in flight at once on this lane.
    max_in_flight: usize,
    flush_interval: Duration,
    batch_size: usize,
    outbox: ToOutbox,
}

impl Batcher {
    async fn run(mut self) {
        // Each commit in flight owns a writer and hands it back when it is done.
        let mut in_flight: VecDeque<JoinHandle<Box<dyn LedgerWriter>>> = VecDeque::new();
        while let Some(first) = self.next().await {
            let mut batch = Vec::with_capacity(self.batch_size.min(4096));
            batch.push(first);
            // The batch stays open for the flush interval, or until it is full. What arrives
            // meanwhile is taken below in one go, not received entry by entry: a submit then has
            // no task to wake, a system call and a thread switch saved per event.
            if !self.flush_interval.is_zero() && self.rx.len() + 1 < self.batch_size {
                tokio::select! {
                    _ = tokio::time::sleep(self.flush_interval) => {}
                    _ = self.fill.full.notified() => {}
                }
            }
            // Commits that ended hand their writers back; at the limit, wait for the oldest,
            // then take whatever arrived meanwhile too.
            while in_flight.front().is_some_and(JoinHandle::is_finished) {
                self.reclaim(in_flight.pop_front()).await;
            }
            if in_flight.len() >= self.max_in_flight {
                self.reclaim(in_flight.pop_front()).await;
            }
            while batch.len() < self.batch_size {
                match self.rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            self.fill.queued.fetch_sub(batch.len(), Ordering::Relaxed);
            // Requests that already gave up (deadline passed, answered 503) are left out: their
            // redelivery will count them.
            batch.retain(|p| !p.done.abandoned());
            if batch.is_empty() {
                continue;
            }
            metrics::gauge!(LEDGER_PENDING).set(self.rx.len() as f64);
            let writer = self.writers.pop().unwrap_or_else(|| self.store.ledger_writer());
            in_flight.push_back(tokio::spawn(commit(writer, batch, self.outbox.clone())));
        }
        for previous in in_flight {
            let _ = previous.await;
        }
    }

    /// Awaits a commit and keeps its writer (a commit task that panicked loses its writer; a new
    /// one is opened when needed).
    async fn reclaim(&mut self, commit: Option<JoinHandle<Box<dyn LedgerWriter>>>) {
        if let Some(commit) = commit {
            self.writers.extend(commit.await.ok());
        }
    }
}

impl Batcher {
    /// The next entry; `None` once the channel is closed (by the close, or every handle gone)
    /// and drained.
    async fn next(&mut self) -> Option<Pending> {
        let Some(closing) = self.closing.as_mut() else { return self.rx.recv().await };
        tokio::select! {
            biased;
            p = self.rx.recv() => return p,
            // Closed, or the closer dropped: refuse new entries, commit the queued ones.
            _ = closing.wait_for(|closed| *closed) => {}
        }
        self.rx.close();
        self.closing = None;
        self.rx.recv().await
    }
}

async fn commit(mut writer: Box<dyn LedgerWriter>, batch: Vec<Pending>, outbox: ToOutbox) -> Box<dyn LedgerWriter> {
    let started = Instant::now();
    let entries: Vec<&LedgerEntry> = batch.iter().map(|p| &p.entry).collect();
    let items: usize = entries.iter().map(|e| e.outbox.len()).sum();
    // Room for all the batch's items with this node's worker, or none: then they commit due.
    let held = outbox.hand_off.as_ref().filter(|_| items > 0).and_then(|h| h.reserve(items));
    let result = writer.commit(&entries, held.as_ref().map(Reservation::until)).await;
    metrics::histogram!(LEDGER_COMMIT_DURATION).record(started.elapsed().as_secs_f64());
    metrics::histogram!(LEDGER_BATCH_SIZE).record(batch.len() as f64);
    match result {
        Ok(stats) => {
            metrics::counter!(LEDGER_COMMITS, "outcome" => "ok").increment(1);
            metrics::counter!(DUPLICATES).increment(stats.duplicates);
            metrics::counter!(SEND_RECONCILED).increment(stats.reconciled);
            match held {
                Some(held) => held.hand_over(entries.iter().flat_map(|e| &e.outbox), &stats.queued),
                None if items > 0 => outbox.wake.notify_one(),
                None => {}
            }
            // Forwards of status changes to a company's status URL are due now: claimed.
            if stats.status_forwards > 0 {
                outbox.wake.notify_one();
            }
            drop(entries);
            for (i, p) in batch.into_iter().enumerate() {
                p.done.answer(Ok(stats.entry(i)));
            }
        }
        Err(e) => {
            metrics::counter!(LEDGER_COMMITS, "outcome" => "error").increment(1);
            tracing::warn!(error = %e, entries = batch.len(), "ledger commit failed; the webhooks get 503 and Telnyx retries");
            let failure = LedgerError::Unavailable(e.to_string());
            for p in batch {
                p.done.answer(Err(failure.clone()));
            }
        }
    }
    writer
}
