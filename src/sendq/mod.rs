//! The outbound send queue (docs/SENDING.md): POST /v1/companies/{id}/messages stores the message
//! and answers 202; a worker per node sends what the limiters allow (per sender, per 10DLC
//! campaign and brand, per Telnyx account, fairly between companies), records each attempt before
//! calling Telnyx, and ends every message in a visible state: sent and then Telnyx's status,
//! sending_failed with Telnyx's code, expired, or unknown when a worker died mid-send.
//!
//! Layering: above `store` (its SQL is in store/send_queue.rs and store/send_claim.rs) and
//! `telnyx`; the routes and start-up use it.
use std::sync::Arc;

use tokio::sync::Notify;

pub mod clock;
pub mod limits;
pub mod outcome;
pub mod recorder;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use limits::Planner;
pub use worker::SendWorker;

use crate::config::SendingSettings;
use crate::store::send_queue::{NewOutbound, OutboundRecord};
use crate::store::{DynStore, StoreResult};

/// Labels: sender_type (long_code, ten_dlc, toll_free, short_code).
pub const SEND_QUEUE_DEPTH: &str = "switchboard_send_queue_depth";
/// Seconds from due (send_at, or queued) to Telnyx's answer. Labels: sender_type.
pub const SEND_WAIT: &str = "switchboard_send_queue_wait_seconds";
/// Seconds from a send's slot (the time its limiters gave it) to the call to Telnyx: how late a
/// busy node fires. Labels: sender_type.
pub const SEND_LATENESS: &str = "switchboard_send_slot_lateness_seconds";
/// Sends Telnyx rate-limited (429 or 40011): that sender paused. Labels: sender_type.
pub const SEND_THROTTLED: &str = "switchboard_send_throttled_total";
/// Labels: sender_type.
pub const SEND_EXPIRED: &str = "switchboard_send_expired_total";
/// Messages a stopped worker left `sending`, now `unknown`.
pub const SEND_ORPHANS_UNKNOWN: &str = "switchboard_send_orphans_unknown_total";
/// Labels: sender_type, kind (sms, mms), outcome (sent, failed, unknown, throttled, retry,
/// late: its slot passed before the node could send it, queued again unsent).
pub const SEND_OUTCOMES: &str = "switchboard_send_outcomes_total";
/// Status webhooks of a Telnyx id no queued message ever had (within
/// `sending.unmatched_status_secs`): dropped. Messages sent outside the queue, or a status lost.
pub const SEND_STATUS_UNMATCHED: &str = "switchboard_send_status_unmatched_total";
/// Calls refused because the account's calls per second had no slot soon enough.
pub const CALLS_THROTTLED: &str = "switchboard_calls_throttled_total";

/// Describes the send queue's metrics (at start-up).
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!(SEND_QUEUE_DEPTH, "Messages queued to send, over every node, by sender_type.");
    describe_histogram!(SEND_WAIT, Unit::Seconds, "Time from a message being due to Telnyx's answer, by sender_type.");
    describe_histogram!(
        SEND_LATENESS,
        Unit::Seconds,
        "Time from a send's slot to the call to Telnyx (how late a busy node fires), by sender_type."
    );
    describe_counter!(SEND_THROTTLED, "Sends Telnyx rate-limited (429 or 40011); the sender paused. By sender_type.");
    describe_counter!(SEND_EXPIRED, "Messages not sent within their validity (ended expired), by sender_type.");
    describe_counter!(SEND_ORPHANS_UNKNOWN, "Messages a stopped worker left sending, marked unknown (never re-sent).");
    describe_counter!(SEND_OUTCOMES, "Send attempts by sender_type, kind and outcome.");
    describe_counter!(
        SEND_STATUS_UNMATCHED,
        "Status webhooks whose Telnyx id no queued message had within sending.unmatched_status_secs (dropped)."
    );
    describe_counter!(CALLS_THROTTLED, "Calls refused (429) for want of a slot under the account's calls per second.");
}

/// What the HTTP handlers use: queue a message and wake this node's worker.
#[derive(Clone)]
pub struct SendQueue {
    store: DynStore,
    settings: Arc<SendingSettings>,
    clock: Arc<dyn Clock>,
    wake: Arc<Notify>,
}

impl SendQueue {
    pub fn new(store: DynStore, settings: &SendingSettings, clock: Arc<dyn Clock>, wake: Arc<Notify>) -> Self {
        SendQueue { store, settings: Arc::new(settings.clone()), clock, wake }
    }

    pub fn settings(&self) -> &SendingSettings {
        &self.settings
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_us().div_euclid(1000)
    }

    pub async fn enqueue(&self, m: &NewOutbound) -> StoreResult<OutboundRecord> {
        let stored = self.store.enqueue_outbound(m).await?;
        self.wake.notify_one();
        Ok(stored)
    }
}
