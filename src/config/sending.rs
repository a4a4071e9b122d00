//! The `[sending]` section: the outbound send queue (docs/SENDING.md). Rates are what carriers and
//! Telnyx allow; the queue never sends faster, summed over every node.
use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SendingSettings {
    /// A plain long code (no 10DLC campaign), messages per minute (0.1/s: Telnyx's non-US rate).
    pub long_code_per_minute: f64,
    /// A 10DLC campaign's messages per minute (AT&T's tier; per number when it has no campaign).
    pub ten_dlc_per_minute: f64,
    /// Per-campaign overrides of `ten_dlc_per_minute`, by campaign id.
    #[serde(default)]
    pub campaign_per_minute: BTreeMap<String, f64>,
    pub toll_free_per_second: f64,
    pub short_code_per_second: f64,
    /// The Telnyx account's SMS per second, over every sender.
    pub account_sms_per_second: f64,
    /// The Telnyx account's MMS per second, over every sender.
    pub account_mms_per_second: f64,
    /// The Telnyx account's outbound calls per second (POST /v1/companies/{id}/calls).
    pub account_calls_per_second: f64,
    /// How long a call request may wait for its slot before it is refused (429).
    pub call_max_wait_ms: u64,
    /// Every rate limiter runs this many percent below its configured rate. A send that leaves
    /// late (a busy node) followed by one that leaves on time would otherwise put more than the
    /// rate into one window as Telnyx counts arrivals; the headroom absorbs that much jitter
    /// (5% of a second's window: 50 ms).
    pub limit_headroom_percent: f64,
    /// The latest a send may leave after its slot. A send later than that (a node too busy to keep
    /// its slots) is queued again for a new slot instead: sent late, it and the sends on time after
    /// it could exceed the rate in one window. Keep it under the headroom's slack (5% of 1 s).
    pub max_slot_lateness_ms: u64,
    /// Messages one 10DLC brand may send per day (T-Mobile style; the day is Pacific time).
    pub brand_daily_messages: u64,
    /// A message's validity when the request gives none: not sent by then, it ends `expired`.
    pub default_validity_secs: u64,
    /// The validity a request may ask for: at least this...
    pub min_validity_secs: u64,
    /// ...and at most this.
    pub max_validity_secs: u64,
    /// How far ahead one claim schedules sends: the limiters' slots within this are claimed.
    pub claim_horizon_ms: u64,
    /// Candidates one claim reads, at most.
    pub claim_batch: u32,
    /// How long a claimed message stays leased to its worker. Left `sending` past it (the worker
    /// died), it ends `unknown`, never sent again. Must exceed a Telnyx call with its retries.
    pub lease_secs: u64,
    /// How often the worker looks for due messages when nothing woke it.
    pub poll_interval_ms: u64,
    /// Sends in flight at once on this node.
    pub max_in_flight: u32,
    /// How long a status webhook whose Telnyx id matches no queued message is kept, to be applied
    /// when a worker records that id (or never: Telnyx ids of messages sent outside the queue).
    pub unmatched_status_secs: u64,
}

impl Default for SendingSettings {
    /// As config/default.toml has them.
    fn default() -> Self {
        SendingSettings {
            long_code_per_minute: 6.0,
            ten_dlc_per_minute: 240.0,
            campaign_per_minute: BTreeMap::new(),
            toll_free_per_second: 20.0,
            short_code_per_second: 1000.0,
            account_sms_per_second: 50.0,
            account_mms_per_second: 15.0,
            account_calls_per_second: 10.0,
            call_max_wait_ms: 2000,
            limit_headroom_percent: 5.0,
            max_slot_lateness_ms: 25,
            brand_daily_messages: 2000,
            default_validity_secs: 14_400,
            min_validity_secs: 60,
            max_validity_secs: 86_400,
            claim_horizon_ms: 500,
            claim_batch: 1000,
            lease_secs: 120,
            poll_interval_ms: 100,
            max_in_flight: 512,
            unmatched_status_secs: 3600,
        }
    }
}

/// The largest rate any key may set, per second.
const MAX_RATE_PER_SECOND: f64 = 1_000_000.0;

impl SendingSettings {
    pub(super) fn validate(&self, bad: &mut impl FnMut(&str, String)) {
        let rates = [
            ("sending.long_code_per_minute", self.long_code_per_minute / 60.0),
            ("sending.ten_dlc_per_minute", self.ten_dlc_per_minute / 60.0),
            ("sending.toll_free_per_second", self.toll_free_per_second),
            ("sending.short_code_per_second", self.short_code_per_second),
            ("sending.account_sms_per_second", self.account_sms_per_second),
            ("sending.account_mms_per_second", self.account_mms_per_second),
            ("sending.account_calls_per_second", self.account_calls_per_second),
        ];
        for (key, per_second) in rates {
            check_rate(bad, key, per_second);
        }
        for (campaign, per_minute) in &self.campaign_per_minute {
            check_rate(bad, &format!("sending.campaign_per_minute.{campaign}"), per_minute / 60.0);
        }
        if !(0.0..=50.0).contains(&self.limit_headroom_percent) {
            bad("sending.limit_headroom_percent", "must be between 0 and 50".into());
        }
        if self.max_slot_lateness_ms > 60_000 {
            bad("sending.max_slot_lateness_ms", "must be at most 60000".into());
        }
        if self.brand_daily_messages == 0 {
            bad("sending.brand_daily_messages", "must be at least 1".into());
        }
        if self.min_validity_secs == 0 {
            bad("sending.min_validity_secs", "must be at least 1".into());
        }
        if self.max_validity_secs < self.min_validity_secs {
            bad("sending.max_validity_secs", "must be at least sending.min_validity_secs".into());
        }
        if !(self.min_validity_secs..=self.max_validity_secs).contains(&self.default_validity_secs) {
            bad(
                "sending.default_validity_secs",
                "must be between sending.min_validity_secs and sending.max_validity_secs".into(),
            );
        }
        if !(10..=10_000).contains(&self.claim_horizon_ms) {
            bad("sending.claim_horizon_ms", "must be between 10 and 10000".into());
        }
        if self.claim_batch == 0 {
            bad("sending.claim_batch", "must be at least 1".into());
        }
        if self.lease_secs < 10 {
            bad("sending.lease_secs", "must be at least 10 (longer than a Telnyx call with its retries)".into());
        }
        if self.poll_interval_ms == 0 {
            bad("sending.poll_interval_ms", "must be at least 1".into());
        }
        if self.max_in_flight == 0 {
            bad("sending.max_in_flight", "must be at least 1".into());
        }
        if self.unmatched_status_secs < self.lease_secs {
            bad("sending.unmatched_status_secs", "must be at least sending.lease_secs".into());
        }
    }
}

fn check_rate(bad: &mut impl FnMut(&str, String), key: &str, per_second: f64) {
    if !(per_second.is_finite() && per_second > 0.0 && per_second <= MAX_RATE_PER_SECOND) {
        bad(key, "must be a rate above 0 (and at most 1,000,000 per second)".into());
    }
}
