//! The `[number_health]` section: how a number's health is judged from its daily usage rollups
//! (deliverability and spam blocks of its finalized messages, the answered and short shares of its
//! ended calls, over a rolling window), and how fresh the judgement a sender choice reads must be.
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct NumberHealthSettings {
    /// UTC days the window covers, today included.
    pub window_days: u32,
    /// Finalized messages (delivered + failed) a number needs in the window to be judged at all.
    pub min_finalized: u32,
    /// Below this deliverability (% delivered of finalized) a number is in warning...
    pub warn_deliverability_pct: f64,
    /// ...and below this one unhealthy.
    pub unhealthy_deliverability_pct: f64,
    /// Above this share of spam/blocked failures (% of finalized) a number is in warning...
    pub warn_spam_block_pct: f64,
    /// ...and above this one unhealthy.
    pub unhealthy_spam_block_pct: f64,
    /// An answered call that ends less than this many seconds after it started is a short call
    /// (decided when its `call.hangup` is committed).
    pub short_call_secs: u32,
    /// Ended calls a number needs in the window for its calls to be judged at all.
    pub min_calls: u32,
    /// Below this answered share (% answered of ended calls) a number is in warning...
    pub warn_answered_pct: f64,
    /// ...and below this one unhealthy.
    pub unhealthy_answered_pct: f64,
    /// Above this share of short calls (% of answered calls) a number is in warning...
    pub warn_short_call_pct: f64,
    /// ...and above this one unhealthy.
    pub unhealthy_short_call_pct: f64,
    /// Every number's health is read again from the database at least this often (changes
    /// committed by other nodes show within it).
    pub refresh_secs: u64,
    /// After this node committed a delivery outcome for a company, its health is read again at the
    /// next use, but not more often than this (bounds the reads of a busy company).
    pub refresh_min_ms: u64,
}

impl Default for NumberHealthSettings {
    /// As config/default.toml has them.
    fn default() -> Self {
        NumberHealthSettings {
            window_days: 7,
            min_finalized: 20,
            warn_deliverability_pct: 50.0,
            unhealthy_deliverability_pct: 25.0,
            warn_spam_block_pct: 20.0,
            unhealthy_spam_block_pct: 50.0,
            short_call_secs: 10,
            min_calls: 20,
            warn_answered_pct: 30.0,
            unhealthy_answered_pct: 10.0,
            warn_short_call_pct: 50.0,
            unhealthy_short_call_pct: 75.0,
            refresh_secs: 60,
            refresh_min_ms: 1000,
        }
    }
}

impl NumberHealthSettings {
    pub(super) fn validate(&self, bad: &mut impl FnMut(&str, String)) {
        if !(1..=366).contains(&self.window_days) {
            bad("number_health.window_days", "must be between 1 and 366".into());
        }
        let pct = [
            ("number_health.warn_deliverability_pct", self.warn_deliverability_pct),
            ("number_health.unhealthy_deliverability_pct", self.unhealthy_deliverability_pct),
            ("number_health.warn_spam_block_pct", self.warn_spam_block_pct),
            ("number_health.unhealthy_spam_block_pct", self.unhealthy_spam_block_pct),
            ("number_health.warn_answered_pct", self.warn_answered_pct),
            ("number_health.unhealthy_answered_pct", self.unhealthy_answered_pct),
            ("number_health.warn_short_call_pct", self.warn_short_call_pct),
            ("number_health.unhealthy_short_call_pct", self.unhealthy_short_call_pct),
        ];
        for (field, v) in pct {
            if !(0.0..=100.0).contains(&v) {
                bad(field, "must be a percentage between 0 and 100".into());
            }
        }
        if self.unhealthy_deliverability_pct > self.warn_deliverability_pct {
            bad("number_health.unhealthy_deliverability_pct", "must not be above warn_deliverability_pct".into());
        }
        if self.unhealthy_spam_block_pct < self.warn_spam_block_pct {
            bad("number_health.unhealthy_spam_block_pct", "must not be below warn_spam_block_pct".into());
        }
        if self.unhealthy_answered_pct > self.warn_answered_pct {
            bad("number_health.unhealthy_answered_pct", "must not be above warn_answered_pct".into());
        }
        if self.unhealthy_short_call_pct < self.warn_short_call_pct {
            bad("number_health.unhealthy_short_call_pct", "must not be below warn_short_call_pct".into());
        }
        if !(1..=3600).contains(&self.short_call_secs) {
            bad("number_health.short_call_secs", "must be between 1 and 3600".into());
        }
        if self.min_calls == 0 {
            bad("number_health.min_calls", "must be at least 1".into());
        }
        if self.refresh_secs == 0 || self.refresh_secs > 86_400 {
            bad("number_health.refresh_secs", "must be between 1 and 86400".into());
        }
    }
}
