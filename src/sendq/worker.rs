//! The send worker: expires what outlived its validity, marks what a dead worker left `sending`
//! as `unknown`, claims what the limiters admit (the attempt is recorded before any call), sends
//! each at its slot and records Telnyx's answer. Several nodes can run one each: claims are
//! leased and the limiters live in the database.
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinHandle;

use super::clock::Clock;
use super::limits::Planner;
use super::outcome::{classify, Outcome};
use super::recorder::Recorder;
use super::{
    SEND_EXPIRED, SEND_LATENESS, SEND_ORPHANS_UNKNOWN, SEND_OUTCOMES, SEND_QUEUE_DEPTH, SEND_STATUS_UNMATCHED,
    SEND_THROTTLED, SEND_WAIT,
};
use crate::config::SendingSettings;
use crate::domain::NumberType;
use crate::store::send_claim::Claimed;
use crate::store::send_queue::{AttemptEnd, MessageKind};
use crate::store::send_transitions::EndedAttempt;
use crate::store::{DynStore, StoreResult};
use crate::telnyx::api::TelnyxApi;
use crate::telnyx::client::SendMessageRequest;

/// The queue depth gauge is read at most this often.
const GAUGE_EVERY: Duration = Duration::from_secs(5);
/// Expiry and orphan recovery run at most this often (Unix µs of the injected clock).
const UPKEEP_EVERY_US: i64 = 1_000_000;
/// Old links between Telnyx ids and messages are retired at most this often.
const RETIRE_EVERY_US: i64 = 60_000_000;
/// How long the link the worker writes with a Telnyx id is kept: it only has to outlive any
/// status commit that started before the id was recorded (see `store::status_sql::LINK`).
pub const LINK_KEEP_MS: i64 = 300_000;
/// Links deleted per statement.
const RETIRE_CHUNK: i64 = 5_000;

#[derive(Clone)]
pub struct SendWorker {
    store: DynStore,
    telnyx: TelnyxApi,
    planner: Arc<Planner>,
    settings: Arc<SendingSettings>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
    in_flight: Arc<Semaphore>,
    /// Records the sends' outcomes in batches.
    recorder: Recorder,
    /// When expiry and orphan recovery last ran (clock µs).
    upkept_at: Arc<AtomicI64>,
    /// When links between Telnyx ids and messages were last retired (clock µs).
    retired_at: Arc<AtomicI64>,
    /// The outbox worker's, woken when a status change queued a forward.
    outbox_wake: Option<Arc<Notify>>,
}

impl SendWorker {
    pub fn new(
        store: DynStore,
        telnyx: TelnyxApi,
        settings: &SendingSettings,
        clock: Arc<dyn Clock>,
        wake: Arc<Notify>,
    ) -> Self {
        SendWorker {
            recorder: Recorder::spawn(store.clone()),
            store,
            telnyx,
            planner: Arc::new(Planner::new(settings).with_clock(clock.clone())),
            settings: Arc::new(settings.clone()),
            clock,
            wake,
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight as usize)),
            upkept_at: Arc::new(AtomicI64::new(i64::MIN)),
            retired_at: Arc::new(AtomicI64::new(i64::MIN)),
            outbox_wake: None,
        }
    }

    /// Wakes the outbox worker when a status change may have queued a forward (without it, the
    /// outbox finds the forward at its next poll).
    pub fn with_outbox_wake(mut self, wake: Arc<Notify>) -> Self {
        self.outbox_wake = Some(wake);
        self
    }

    fn status_changed(&self) {
        if let Some(wake) = &self.outbox_wake {
            wake.notify_one();
        }
    }

    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut gauge_read: Option<tokio::time::Instant> = None;
            let poll = Duration::from_millis(self.settings.poll_interval_ms);
            // After a claim that took messages, look again before its horizon runs out.
            let busy = Duration::from_millis((self.settings.claim_horizon_ms / 2).max(1));
            loop {
                let began = tokio::time::Instant::now();
                let pause = match self.run_once().await {
                    Ok(0) => poll,
                    // From when the claim began: a claim that waited for its locks leaves less of
                    // its horizon, and slots the limiters could give would otherwise go unused.
                    Ok(_) => busy.saturating_sub(began.elapsed()),
                    Err(e) => {
                        tracing::warn!(error = %e, "send queue: claiming failed; will retry");
                        poll
                    }
                };
                if gauge_read.is_none_or(|at| at.elapsed() >= GAUGE_EVERY) {
                    gauge_read = Some(tokio::time::Instant::now());
                    self.update_depth_gauge().await;
                }
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = self.wake.notified() => {}
                }
            }
        })
    }

    /// Expires, recovers orphans, claims and starts the sends of one claim; returns how many
    /// messages it claimed. The sends go on in the background, each at its slot.
    pub async fn run_once(&self) -> StoreResult<usize> {
        let now_us = self.clock.now_us();
        let now_ms = now_us.div_euclid(1000);
        let last = self.upkept_at.load(Ordering::Relaxed);
        if last == i64::MIN || now_us - last >= UPKEEP_EVERY_US {
            self.upkept_at.store(now_us, Ordering::Relaxed);
            self.upkeep(now_ms).await?;
        }
        if self.telnyx.client().is_err() {
            return Ok(0);
        }
        // No more than can be in flight: a claimed message is `sending`, and a worker that dies
        // leaves it `unknown`, sent or not. Claiming only what has a free slot keeps the messages a
        // crash strands unsent to at most `sending.max_in_flight`.
        let free = self.in_flight.available_permits() as i64;
        if free == 0 {
            return Ok(0);
        }
        let mut size = self.planner.claim_size();
        size.admitted = size.admitted.min(free);
        let lease_until_ms = now_ms + self.settings.lease_secs as i64 * 1000;
        let claimed = self.store.claim_sends(now_us, lease_until_ms, size, self.planner.as_ref()).await?;
        let n = claimed.len();
        for c in claimed {
            let permit = self.in_flight.clone().acquire_owned().await;
            let worker = self.clone();
            tokio::spawn(async move {
                worker.send(c).await;
                drop(permit);
            });
        }
        Ok(n)
    }

    /// Expires what outlived its validity; marks what a stopped worker left `sending` unknown;
    /// retires old links between Telnyx ids and messages (at most once a minute).
    async fn upkeep(&self, now_ms: i64) -> StoreResult<()> {
        let expired = self.store.expire_outbound(now_ms).await?;
        for t in &expired {
            metrics::counter!(SEND_EXPIRED, "sender_type" => t.as_str()).increment(1);
        }
        let orphans = self.store.orphans_to_unknown(now_ms).await?;
        if orphans > 0 {
            metrics::counter!(SEND_ORPHANS_UNKNOWN).increment(orphans);
            tracing::warn!(orphans, "send queue: messages left sending by a stopped worker are now unknown");
        }
        if !expired.is_empty() || orphans > 0 {
            self.status_changed();
        }
        let last = self.retired_at.load(Ordering::Relaxed);
        if last == i64::MIN || now_ms * 1000 - last >= RETIRE_EVERY_US {
            self.retired_at.store(now_ms * 1000, Ordering::Relaxed);
            self.retire_links(now_ms).await?;
        }
        Ok(())
    }

    /// Deletes the links older than [`LINK_KEEP_MS`] and the status webhooks that found no message
    /// within `sending.unmatched_status_secs`, a chunk at a time.
    pub async fn retire_links(&self, now_ms: i64) -> StoreResult<()> {
        let unmatched_before = now_ms - self.settings.unmatched_status_secs as i64 * 1000;
        loop {
            let done = self.store.retire_status_links(now_ms - LINK_KEEP_MS, unmatched_before, RETIRE_CHUNK).await?;
            if done.unmatched > 0 {
                metrics::counter!(SEND_STATUS_UNMATCHED).increment(done.unmatched);
            }
            if (done.rows as i64) < RETIRE_CHUNK {
                return Ok(());
            }
            tokio::task::yield_now().await;
        }
    }

    /// Sends one claimed message at its slot and records the outcome.
    pub async fn send(&self, c: Claimed) {
        let wait_us = c.send_at_us - self.clock.now_us();
        if wait_us > 0 {
            tokio::time::sleep(Duration::from_micros(wait_us as u64)).await;
        }
        let m = &c.message;
        let late_us = (self.clock.now_us() - c.send_at_us).max(0);
        metrics::histogram!(SEND_LATENESS, "sender_type" => m.sender.number_type.as_str()).record(late_us as f64 / 1e6);
        if late_us > self.settings.max_slot_lateness_ms as i64 * 1000 {
            self.requeue_late(&c, late_us).await;
            return;
        }
        let Ok(client) = self.telnyx.client() else { return };
        let req = SendMessageRequest {
            from: m.from.clone(),
            to: m.to.clone(),
            text: m.content.text.clone(),
            media_urls: m.content.media_urls.iter().filter_map(|u| url::Url::parse(u).ok()).collect(),
            messaging_profile_id: m.content.messaging_profile_id.clone(),
            webhook_url: None,
        };
        let result = client.send_queued_message(&req).await;
        let now_ms = self.clock.now_us().div_euclid(1000);
        let outcome = classify(result, now_ms);
        self.observe(m.sender.number_type, m.kind, &outcome, now_ms - m.send_at_ms.max(m.created_at_ms));
        if let Some(pause) = outcome.pause_sender {
            let key = self.planner.sender_limiter(m).key;
            let until = self.clock.now_us() + i64::try_from(pause.as_micros()).unwrap_or(i64::MAX / 2);
            if let Err(e) = self.store.push_limiter(&key, until).await {
                tracing::warn!(error = %e, "send queue: cannot slow the sender down");
            }
        }
        let end = EndedAttempt { company: m.company_id, id: m.id, end: outcome.end, now_ms };
        if self.recorder.record(end).await == Some(true) {
            self.status_changed();
        }
    }

    /// A send whose slot passed too long ago (this node was busy) is not made: it goes back to the
    /// queue, due at once, for a new slot. Telnyx was not called, so it is no attempt that could
    /// have sent anything.
    async fn requeue_late(&self, c: &Claimed, late_us: i64) {
        let m = &c.message;
        let now_ms = self.clock.now_us().div_euclid(1000);
        let end = AttemptEnd::Requeued {
            send_at_ms: now_ms,
            detail: format!(
                "not sent: its slot passed {} ms before this node could send it; queued again for a new slot",
                late_us / 1000
            ),
        };
        metrics::counter!(SEND_OUTCOMES, "sender_type" => m.sender.number_type.as_str(), "kind" => m.kind.as_str(), "outcome" => "late")
            .increment(1);
        // Not recorded (logged), the lease runs out and it becomes `unknown`, though never sent.
        self.recorder.record(EndedAttempt { company: m.company_id, id: m.id, end, now_ms }).await;
    }

    fn observe(&self, sender: NumberType, kind: MessageKind, outcome: &Outcome, waited_ms: i64) {
        let t = sender.as_str();
        metrics::counter!(SEND_OUTCOMES, "sender_type" => t, "kind" => kind.as_str(), "outcome" => outcome.label)
            .increment(1);
        if outcome.pause_sender.is_some() {
            metrics::counter!(SEND_THROTTLED, "sender_type" => t).increment(1);
        } else {
            metrics::histogram!(SEND_WAIT, "sender_type" => t).record(waited_ms.max(0) as f64 / 1000.0);
        }
    }

    /// Sets the queue depth gauge per sender type from the database (every node's queue).
    pub async fn update_depth_gauge(&self) {
        match self.store.queued_by_sender_type().await {
            Ok(rows) => {
                for t in NumberType::ALL {
                    let n = rows.iter().find(|(x, _)| *x == t).map_or(0, |(_, n)| *n);
                    metrics::gauge!(SEND_QUEUE_DEPTH, "sender_type" => t.as_str()).set(n as f64);
                }
            }
            Err(e) => tracing::debug!(error = %e, "send queue: cannot read its depth"),
        }
    }
}
