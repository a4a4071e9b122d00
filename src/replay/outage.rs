//! Outages of the ledger as Telnyx sees them: webhooks answered 503 because their commit failed or
//! missed its deadline, until a commit succeeds again. Telnyx retries each webhook a few times,
//! then gives up; so once commits succeed again, the window from a margin before the first
//! failure to now is replayed from Telnyx's delivery log, once per outage, in the background.
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::replayer::{Replayer, Trigger};
use super::window::ReplayWindow;
use crate::config::ReplaySettings;
use crate::ingress::{CommitObserver, Outcome};
use crate::metrics::WEBHOOK_OUTAGES;

/// An outage that ended: the first failed commit, and the first success after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Fed with each webhook's outcome by the ingress. Cheap on the hot path: one atomic load per
/// webhook while commits succeed; a state change costs one compare-and-swap.
#[derive(Clone)]
pub struct OutageTracker {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    /// Unix milliseconds of the first failure of the current outage; 0 while healthy.
    since_ms: AtomicI64,
    ended: mpsc::UnboundedSender<Outage>,
}

impl OutageTracker {
    /// A tracker that tracks nothing (`replay.after_outage = false`).
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// A tracker, and where the outages it sees end up once they are over.
    pub fn new() -> (Self, mpsc::UnboundedReceiver<Outage>) {
        let (ended, rx) = mpsc::unbounded_channel();
        (Self { inner: Some(Arc::new(Inner { since_ms: AtomicI64::new(0), ended })) }, rx)
    }

    /// Whether an outage is going on (the last commits failed).
    pub fn in_outage(&self) -> bool {
        self.inner.as_ref().is_some_and(|i| i.since_ms.load(Ordering::Relaxed) != 0)
    }
}

impl CommitObserver for OutageTracker {
    /// One webhook's outcome after its signature check.
    fn observe(&self, outcome: &Outcome) {
        let Some(inner) = &self.inner else { return };
        match outcome {
            Outcome::Accepted { how, .. } if how.committed() => inner.committed(),
            Outcome::Unavailable { why, .. } if why.commit_failed() => inner.failed(),
            _ => {}
        }
    }
}

impl Inner {
    fn failed(&self) {
        if self.since_ms.load(Ordering::Relaxed) != 0 {
            return;
        }
        let now = Utc::now().timestamp_millis().max(1);
        if self.since_ms.compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            metrics::counter!(WEBHOOK_OUTAGES).increment(1);
            tracing::warn!(
                "webhook commits are failing (answered 503); once they succeed again, what Telnyx gave up on is \
                 replayed from its webhook delivery log"
            );
        }
    }

    fn committed(&self) {
        if self.since_ms.load(Ordering::Relaxed) == 0 {
            return;
        }
        // Exactly one webhook takes the outage over: the swap hands it to one caller.
        let since_ms = self.since_ms.swap(0, Ordering::AcqRel);
        let Some(since) = DateTime::from_timestamp_millis(since_ms).filter(|_| since_ms != 0) else { return };
        let until = Utc::now();
        tracing::info!(since = %since, seconds = (until - since).num_seconds(), "webhook commits succeed again");
        let _ = self.ended.send(Outage { since, until });
    }
}

/// Replays each ended outage in the background: waits `replay.delay_secs` (Telnyx marks its last
/// attempts failed), merges outages that ended meanwhile, then replays from `replay.margin_secs`
/// before the first failure to now. Spawn it on an actix arbiter (the ingress starts company actors).
pub async fn replay_after_outages(
    mut ended: mpsc::UnboundedReceiver<Outage>,
    replayer: Arc<Replayer>,
    settings: ReplaySettings,
) {
    // At most a day (the configuration checks it too).
    let margin = chrono::Duration::seconds(settings.margin_secs.min(86_400) as i64);
    while let Some(first) = ended.recv().await {
        tokio::time::sleep(Duration::from_secs(settings.delay_secs)).await;
        let mut since = first.since;
        while let Ok(more) = ended.try_recv() {
            since = since.min(more.since);
        }
        let now = Utc::now();
        let Some(window) = ReplayWindow::clamped(since - margin, now, now, replayer.retention()) else { continue };
        match replayer.replay(window, Trigger::Outage).await {
            Ok(s) => tracing::info!(
                window = %window,
                pages = s.pages,
                records = s.records,
                counted = s.counted,
                duplicates = s.duplicates,
                acknowledged = s.acknowledged,
                dead_letters = s.dead_letters,
                failed = s.failed,
                complete = s.complete,
                "replayed Telnyx's failed webhook deliveries after an outage"
            ),
            Err(e) => tracing::warn!(
                window = %window,
                error = %e,
                "could not replay Telnyx's failed webhook deliveries after an outage; run `switchboard replay` for \
                 this window"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingress::{Accepted, Rejection, Unavailability};

    fn counted() -> Outcome {
        Outcome::Accepted { event_type: "message.received", how: Accepted::Counted }
    }

    fn timed_out() -> Outcome {
        Outcome::unavailable("commit deadline passed; retry", Unavailability::Timeout)
    }

    #[test]
    fn outage_tracker_reports_each_outage_once_when_commits_recover() {
        let (tracker, mut ended) = OutageTracker::new();
        tracker.observe(&counted());
        assert!(ended.try_recv().is_err(), "no outage yet");
        for _ in 0..3 {
            tracker.observe(&timed_out());
            tracker.observe(&Outcome::unavailable("db", Unavailability::Unavailable));
        }
        assert!(tracker.in_outage());
        // Refusals that say nothing about commits neither start nor end an outage.
        tracker.observe(&Outcome::Accepted { event_type: "call.hangup", how: Accepted::Acknowledged });
        tracker.observe(&Outcome::Rejected { reason: "bad".into(), why: Rejection::BadRequest });
        assert!(tracker.in_outage());

        tracker.observe(&Outcome::Accepted { event_type: "call.initiated", how: Accepted::DeadLetter });
        tracker.observe(&counted());

        let outage = ended.try_recv().expect("the outage ended");
        assert!(outage.since <= outage.until);
        assert!(ended.try_recv().is_err(), "reported once");
        assert!(!tracker.in_outage());
        tracker.observe(&timed_out());
        tracker.observe(&counted());
        assert!(ended.try_recv().is_ok(), "a second outage is a second report");
    }

    #[test]
    fn disabled_outage_tracker_tracks_nothing() {
        let tracker = OutageTracker::disabled();
        tracker.observe(&timed_out());
        assert!(!tracker.in_outage());
    }
}
