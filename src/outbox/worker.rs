//! The outbox worker: claims due rows, delivers them concurrently, records each outcome (call
//! commands: exponential backoff; message forwards: their retry schedule and alternates, see
//! `forwarding.rs`), and keeps the outbox metrics. Several workers (nodes) can run at once: a
//! claim leases its rows, so each delivery attempt is made by one worker. The items this node's
//! ledger committed held for it (`ledger::handoff`) come from memory instead of a claim.
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::forward::{Attempt, Deliverer};
use super::forwarding::{BatchCompanies, Delivered};
use super::schedule::RetrySchedule;
use crate::ledger::handoff::{Held, HeldItems};
use crate::metrics as m;
use crate::store::outbox::{Failure, OutboxEntry};
use crate::store::DynStore;

/// Attempts before a call command is marked failed (forwards: their schedule's length per URL).
pub const MAX_ATTEMPTS: i32 = 12;
const BATCH: i64 = 32;
/// Claim loops of the production worker (each claims `BATCH` at a time).
const CLAIM_LOOPS: usize = 4;
/// How long a claimed row stays invisible to other workers (longer than any delivery takes).
/// Items the ledger hands to this node's worker are held as long (`HOLD`).
const LEASE: Duration = Duration::from_secs(60);
/// How long the ledger holds the items it hands to this node's worker.
pub const HOLD: Duration = LEASE;
/// A held item is attempted only while this much of its hold is left (more than an attempt
/// takes); one that waited longer is left to the claim once the hold lapses.
const HOLD_MARGIN: Duration = Duration::from_secs(30);
/// Batches of held items delivered at once (like the claim loops: a slow receiver in one batch
/// does not hold up the next).
const HELD_BATCHES: usize = 4;
/// The pending gauge is read at most this often (a count per batch cost a scan per 32 items).
const GAUGE_EVERY: Duration = Duration::from_secs(5);

/// Configures and spawns the worker; [`spawn_outbox_worker`] uses the defaults.
pub struct OutboxWorker {
    pub(super) store: DynStore,
    pub(super) deliverer: Deliverer,
    wake: Arc<Notify>,
    poll: Duration,
    initial_backoff: Duration,
    max_backoff: Duration,
    pub(super) schedule: RetrySchedule,
}

/// Spawns the worker with production settings: polls every 500 ms or when `wake` is notified;
/// forwards are retried on `schedule`; delivers the items the ledger hands it in `held`.
pub fn spawn_outbox_worker(
    store: DynStore,
    deliverer: Deliverer,
    wake: Arc<Notify>,
    schedule: RetrySchedule,
    held: Option<Arc<tokio::sync::Mutex<HeldItems>>>,
) -> JoinHandle<()> {
    let worker = OutboxWorker::new(store, deliverer, wake).with_schedule(schedule);
    // Several claim loops in one task: while one waits for its batch's slowest receiver, the
    // others claim and deliver (leases keep them from taking the same rows); aborting the task
    // stops them all, and the held items' delivery with them.
    tokio::spawn(async move {
        let claims = futures::future::join_all((0..CLAIM_LOOPS).map(|i| worker.run_loop(i == 0)));
        match held {
            Some(held) => {
                tokio::join!(claims, worker.run_held(held));
            }
            None => {
                claims.await;
            }
        }
    })
}

/// Closes the held queue of a stopping node (its worker already stopped) and makes the items
/// still waiting in it due at once, for the other nodes or the next start, instead of after
/// their hold. Items whose attempt the stop cut short stay held: they may have been delivered.
pub async fn give_back_held(store: &DynStore, held: &tokio::sync::Mutex<HeldItems>) {
    let left: Vec<uuid::Uuid> = held.lock().await.close().into_iter().map(|h| h.item.id).collect();
    if left.is_empty() {
        return;
    }
    match store.release_outbox(&left, Utc::now()).await {
        Ok(n) => tracing::info!(items = n, "outbox: held items not attempted before the stop are due again"),
        Err(e) => {
            tracing::warn!(error = %e, items = left.len(), "outbox: cannot give back held items; they are due once their hold lapses")
        }
    }
}

impl OutboxWorker {
    pub fn new(store: DynStore, deliverer: Deliverer, wake: Arc<Notify>) -> Self {
        OutboxWorker {
            store,
            deliverer,
            wake,
            poll: Duration::from_millis(500),
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(3600),
            schedule: RetrySchedule::default(),
        }
    }

    /// Call commands: wait `initial` after the first failure, doubling up to `max`.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        (self.initial_backoff, self.max_backoff) = (initial, max);
        self
    }

    /// Message forwards: the waits of their attempts on each URL (default: Svix's schedule).
    pub fn with_schedule(mut self, schedule: RetrySchedule) -> Self {
        self.schedule = schedule;
        self
    }

    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(async move { self.run_loop(true).await })
    }

    /// Claims and delivers until the task is dropped; `gauges`: this loop also keeps the gauges.
    async fn run_loop(&self, gauges: bool) {
        let mut gauge_read: Option<tokio::time::Instant> = None;
        loop {
            let claimed = self.run_once().await;
            // After the claim, so that a woken worker claims first.
            if gauges && gauge_read.is_none_or(|at| at.elapsed() >= GAUGE_EVERY) {
                gauge_read = Some(tokio::time::Instant::now());
                self.update_pending_gauge().await;
            }
            match claimed {
                // A full batch: there may be more due right away.
                Ok(n) if n as i64 == BATCH => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox: claiming due items failed; will retry"),
            }
            tokio::select! {
                _ = tokio::time::sleep(self.poll) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// Claims and delivers one batch; returns how many items were attempted. What the batch's
    /// forwards need of their company is read once per company, and the items delivered are
    /// recorded together: a batch costs a few statements, not several per item.
    pub async fn run_once(&self) -> crate::store::StoreResult<usize> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(LEASE).unwrap_or_default();
        let due = self.store.claim_due_outbox(now, lease_until, BATCH).await?;
        let n = due.len();
        self.deliver(due).await;
        Ok(n)
    }

    /// Delivers the items the ledger holds for this worker as they come, a few batches at a
    /// time, until every hand-off is gone. The queue stays locked while this runs; a node that
    /// stops aborts it, then gives back what is left ([`give_back_held`]).
    pub async fn run_held(&self, held: Arc<tokio::sync::Mutex<HeldItems>>) {
        let mut held = held.lock().await;
        let mut delivering = FuturesUnordered::new();
        loop {
            tokio::select! {
                batch = held.next_batch(BATCH as usize), if delivering.len() < HELD_BATCHES => match batch {
                    Some(batch) => delivering.push(self.deliver_held(batch)),
                    None => break,
                },
                Some(()) = delivering.next(), if !delivering.is_empty() => {}
            }
        }
        while delivering.next().await.is_some() {}
    }

    /// Delivers held items whose hold has room for an attempt; the others are left to the claim.
    async fn deliver_held(&self, batch: Vec<Held>) {
        let now = Utc::now();
        let (ours, lapsing): (Vec<Held>, Vec<Held>) = batch.into_iter().partition(|h| h.still_ours(now, HOLD_MARGIN));
        if !lapsing.is_empty() {
            tracing::warn!(
                items = lapsing.len(),
                "outbox: held items waited too long; they are claimed once their hold lapses"
            );
        }
        let due = ours.into_iter().map(|h| OutboxEntry::fresh(h.item, h.until, now)).collect();
        self.deliver(due).await;
    }

    /// Attempts a batch of items concurrently and records the outcomes.
    async fn deliver(&self, due: Vec<OutboxEntry>) {
        if due.is_empty() {
            return;
        }
        let companies = self.forwarding_of(&due).await;
        let delivered = futures::future::join_all(due.into_iter().map(|e| self.attempt(e, &companies))).await;
        self.record_delivered(delivered.into_iter().flatten().collect()).await;
    }

    /// Records the items delivered in one batch, one statement per attempt count (almost always
    /// one). If that fails, their leases run out and they are delivered again: at least once.
    async fn record_delivered(&self, mut delivered: Vec<Delivered>) {
        delivered.sort_by_key(|d| d.attempts);
        for same in delivered.chunk_by(|a, b| a.attempts == b.attempts) {
            let ids: Vec<uuid::Uuid> = same.iter().map(|d| d.id).collect();
            if let Err(e) = self.store.mark_outbox_delivered_many(&ids, same[0].attempts).await {
                tracing::warn!(error = %e, items = ids.len(), "outbox: cannot record deliveries; they will be made again");
            }
        }
    }

    /// Sets the pending gauge and the disabled endpoints gauge from the database (every node's).
    pub async fn update_pending_gauge(&self) {
        match self.store.outbox_pending_count().await {
            Ok(pending) => metrics::gauge!(m::OUTBOX_PENDING).set(pending as f64),
            Err(e) => tracing::debug!(error = %e, "outbox: cannot count pending items"),
        }
        match self.store.disabled_forward_endpoint_count().await {
            Ok(n) => metrics::gauge!(m::FORWARD_ENDPOINTS_DISABLED).set(n as f64),
            Err(e) => tracing::debug!(error = %e, "outbox: cannot count disabled forward endpoints"),
        }
    }

    /// Attempts one item; `Some` when it was delivered (recorded with the batch's others).
    async fn attempt(&self, entry: OutboxEntry, companies: &BatchCompanies) -> Option<Delivered> {
        match entry.item.kind {
            k if k.is_forward() => self.attempt_forward(entry, companies).await,
            _ => self.attempt_command(entry).await,
        }
    }

    /// A call command: retried with exponential backoff until `MAX_ATTEMPTS`.
    async fn attempt_command(&self, entry: OutboxEntry) -> Option<Delivered> {
        let item = &entry.item;
        let attempts = entry.attempts + 1;
        let outcome = self.deliverer.deliver(item, &[]).await;
        let kind = item.kind.as_str();
        let result = match &outcome {
            Attempt::Delivered => {
                metrics::counter!(m::OUTBOX_DELIVERED).increment(1);
                metrics::counter!(m::OUTBOX_ATTEMPTS, "kind" => kind, "outcome" => "delivered").increment(1);
                return Some(Delivered { id: item.id, attempts });
            }
            Attempt::Retry(error) | Attempt::SlowDown { error, .. } if attempts < MAX_ATTEMPTS => {
                metrics::counter!(m::OUTBOX_ATTEMPTS, "kind" => kind, "outcome" => "retry").increment(1);
                let next = Utc::now() + chrono::Duration::from_std(self.backoff(attempts)).unwrap_or_default();
                tracing::debug!(%error, attempts, kind, "outbox: delivery failed; will retry");
                self.store.mark_outbox_retry(item.id, attempts, next, error).await
            }
            Attempt::Retry(error) | Attempt::SlowDown { error, .. } => {
                self.gave_up(&entry, attempts, Failure::Exhausted, error).await
            }
            Attempt::Permanent(error) | Attempt::Gone(error) => {
                self.gave_up(&entry, attempts, Failure::Permanent, error).await
            }
        };
        if let Err(e) = result {
            // The lease expires and the item is attempted again: at least once, never lost.
            tracing::warn!(error = %e, "outbox: cannot record a delivery outcome");
        }
        None
    }

    /// Records that `entry` gave up after `attempts` attempts, and counts it.
    pub(super) async fn gave_up(
        &self,
        entry: &OutboxEntry,
        attempts: i32,
        failure: Failure,
        error: &str,
    ) -> crate::store::StoreResult<()> {
        let item = &entry.item;
        let kind = item.kind.as_str();
        metrics::counter!(m::OUTBOX_FAILED, "kind" => kind, "reason" => failure.as_str()).increment(1);
        metrics::counter!(m::OUTBOX_ATTEMPTS, "kind" => kind, "outcome" => "failed").increment(1);
        tracing::warn!(%error, attempts, kind, reason = failure.as_str(), event_id = %item.event_id,
            "outbox: delivery failed for good");
        self.store.mark_outbox_gave_up(item.id, attempts, failure, error).await
    }

    /// Makes the loop claim again at once (an item became due now).
    pub(super) fn wake_soon(&self) {
        self.wake.notify_one();
    }

    /// `initial * 2^(attempts-1)`, at most `max`.
    fn backoff(&self, attempts: i32) -> Duration {
        let factor = 1u32 << (attempts.clamp(1, 20) - 1) as u32;
        self.initial_backoff.saturating_mul(factor).min(self.max_backoff)
    }
}
