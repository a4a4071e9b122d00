//! A number's health, judged from the delivery outcomes of its messages and the outcomes of its
//! calls over a window (pure; the sums come from the daily usage rollups, see `company::health`).
//!
//! Messages: deliverability is the share of finalized recipients (delivered + failed) that got the
//! message; the spam-block share is the share that failed as spam or blocked (Telnyx 40002, 40003,
//! 40015). Calls: the answered share is the share of ended calls that had been answered; the
//! short-call share the share of answered calls shorter than `short_call_secs`. Messages are judged
//! with at least `min_finalized` finalized messages, calls with at least `min_calls` ended calls;
//! the status is the worse of the two judged, `insufficient_data` when neither is (which
//! automatic sender choice treats as healthy). Unhealthy by calls is unhealthy like by messages.
use serde::Serialize;

use crate::config::NumberHealthSettings;

/// What the window holds for one number's messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryTotals {
    pub sent: i64,
    pub delivered: i64,
    pub failed: i64,
    pub failed_spam: i64,
}

/// What the window holds for one number's calls (answered includes short).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallTotals {
    pub ended: i64,
    pub answered: i64,
    pub short: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
    Warning,
    /// Skipped by every automatic sender choice.
    Unhealthy,
    /// Too few finalized messages and too few ended calls in the window to judge.
    InsufficientData,
}

/// A number's health over the window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NumberHealth {
    pub status: HealthStatus,
    /// % of finalized recipients delivered (absent without finalized messages).
    pub deliverability_pct: Option<f64>,
    /// % of finalized recipients that failed as spam or blocked.
    pub spam_block_pct: Option<f64>,
    /// Messages sent (message.sent) in the window.
    pub sent: i64,
    /// Finalized recipients (delivered + failed) in the window.
    pub finalized: i64,
    /// % of ended calls that had been answered (absent without ended calls).
    pub answered_pct: Option<f64>,
    /// % of answered calls shorter than `number_health.short_call_secs` (absent without answered
    /// calls).
    pub short_call_pct: Option<f64>,
    /// The company's calls at this number that ended in the window (the caller's leg of an
    /// inbound call, a call placed from it).
    pub calls_ended: i64,
    /// ...of which had been answered.
    pub calls_answered: i64,
    /// ...of which were short.
    pub calls_short: i64,
    pub window_days: u32,
    /// Why it is not healthy, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl NumberHealth {
    pub fn is_unhealthy(&self) -> bool {
        self.status == HealthStatus::Unhealthy
    }

    /// Records one threshold: passed its unhealthy side (`bad`) or its warning side (`warn`).
    fn note(&mut self, reasons: &mut Vec<String>, bad: bool, warn: bool, what: impl FnOnce() -> String) {
        if bad {
            self.status = HealthStatus::Unhealthy;
            reasons.push(what());
        } else if warn {
            if self.status == HealthStatus::Healthy {
                self.status = HealthStatus::Warning;
            }
            reasons.push(what());
        }
    }
}

/// `part` as a % of `whole` (one decimal), absent when `whole` is 0.
fn pct(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round1(100.0 * part as f64 / whole as f64))
}

/// Judges one number's totals against the thresholds.
pub fn judge(t: DeliveryTotals, c: CallTotals, s: &NumberHealthSettings) -> NumberHealth {
    let finalized = t.delivered + t.failed;
    let (deliverability_pct, spam_block_pct) = (pct(t.delivered, finalized), pct(t.failed_spam, finalized));
    let (answered_pct, short_call_pct) = (pct(c.answered, c.ended), pct(c.short, c.answered));
    let mut health = NumberHealth {
        status: HealthStatus::Healthy,
        deliverability_pct,
        spam_block_pct,
        sent: t.sent,
        finalized,
        answered_pct,
        short_call_pct,
        calls_ended: c.ended,
        calls_answered: c.answered,
        calls_short: c.short,
        window_days: s.window_days,
        reason: None,
    };
    let messages_judged = finalized >= i64::from(s.min_finalized);
    let calls_judged = c.ended > 0 && c.ended >= i64::from(s.min_calls);
    if !messages_judged && !calls_judged {
        health.status = HealthStatus::InsufficientData;
        return health;
    }
    let mut reasons = Vec::new();
    if messages_judged {
        let (d, spam) = (deliverability_pct.unwrap_or(100.0), spam_block_pct.unwrap_or(0.0));
        health.note(&mut reasons, d < s.unhealthy_deliverability_pct, d < s.warn_deliverability_pct, || {
            format!("deliverability {d}% of {finalized} finalized")
        });
        health.note(&mut reasons, spam > s.unhealthy_spam_block_pct, spam > s.warn_spam_block_pct, || {
            format!("spam blocks {spam}% of {finalized} finalized")
        });
    }
    if calls_judged {
        let answered = answered_pct.unwrap_or(100.0);
        health.note(&mut reasons, answered < s.unhealthy_answered_pct, answered < s.warn_answered_pct, || {
            format!("answered {answered}% of {} calls", c.ended)
        });
        if let Some(short) = short_call_pct {
            health.note(&mut reasons, short > s.unhealthy_short_call_pct, short > s.warn_short_call_pct, || {
                format!("short calls (under {} s) {short}% of {} answered", s.short_call_secs, c.answered)
            });
        }
    }
    if !reasons.is_empty() {
        health.reason = Some(reasons.join(", "));
    }
    health
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(delivered: i64, failed: i64, failed_spam: i64) -> HealthStatus {
        let t = DeliveryTotals { sent: delivered + failed, delivered, failed, failed_spam };
        judge(t, CallTotals::default(), &NumberHealthSettings::default()).status
    }

    fn calls(ended: i64, answered: i64, short: i64) -> NumberHealth {
        judge(DeliveryTotals::default(), CallTotals { ended, answered, short }, &NumberHealthSettings::default())
    }

    #[test]
    fn thresholds_and_the_minimum_volume() {
        // Fewer than 20 finalized: not judged, however bad.
        assert_eq!(status(0, 19, 19), HealthStatus::InsufficientData);
        assert_eq!(status(20, 0, 0), HealthStatus::Healthy);
        // Deliverability: under 50% warns, under 25% is unhealthy.
        assert_eq!(status(10, 10, 0), HealthStatus::Healthy);
        assert_eq!(status(9, 11, 0), HealthStatus::Warning);
        assert_eq!(status(4, 16, 0), HealthStatus::Unhealthy);
        // Spam blocks: above 20% warns, above 50% is unhealthy (whatever deliverability says).
        assert_eq!(status(16, 4, 4), HealthStatus::Healthy, "exactly 20% is not above it");
        assert_eq!(status(14, 6, 6), HealthStatus::Warning);
        assert_eq!(status(8, 12, 12), HealthStatus::Unhealthy, "60% spam blocks, 40% delivered");
        assert_eq!(status(10, 10, 10), HealthStatus::Warning, "exactly 50% is not above it");
    }

    #[test]
    fn shares_are_percentages_of_finalized() {
        let h = judge(
            DeliveryTotals { sent: 30, delivered: 8, failed: 12, failed_spam: 12 },
            CallTotals::default(),
            &NumberHealthSettings::default(),
        );
        assert_eq!((h.deliverability_pct, h.spam_block_pct, h.finalized, h.sent), (Some(40.0), Some(60.0), 20, 30));
        assert!(h.reason.unwrap().contains("spam blocks 60%"));
        let none = judge(DeliveryTotals::default(), CallTotals::default(), &NumberHealthSettings::default());
        assert_eq!((none.deliverability_pct, none.status), (None, HealthStatus::InsufficientData));
        assert_eq!((none.answered_pct, none.short_call_pct, none.calls_ended), (None, None, 0));
    }

    #[test]
    fn calls_are_judged_by_answered_and_short_shares() {
        // Fewer than 20 ended calls: not judged, however bad.
        assert_eq!(calls(19, 0, 0).status, HealthStatus::InsufficientData);
        assert_eq!(calls(20, 20, 0).status, HealthStatus::Healthy);
        // Answered: under 30% warns, under 10% is unhealthy.
        assert_eq!(calls(20, 6, 0).status, HealthStatus::Healthy, "exactly 30% is not under it");
        assert_eq!(calls(20, 5, 0).status, HealthStatus::Warning);
        assert_eq!(calls(20, 1, 0).status, HealthStatus::Unhealthy);
        // Short calls (of answered): above 50% warns, above 75% is unhealthy.
        assert_eq!(calls(20, 20, 10).status, HealthStatus::Healthy, "exactly 50% is not above it");
        assert_eq!(calls(20, 20, 11).status, HealthStatus::Warning);
        assert_eq!(calls(20, 20, 16).status, HealthStatus::Unhealthy);
        let h = calls(20, 16, 16);
        assert_eq!((h.answered_pct, h.short_call_pct, h.calls_ended), (Some(80.0), Some(100.0), 20));
        assert_eq!(h.reason.as_deref(), Some("short calls (under 10 s) 100% of 16 answered"));
        let never = calls(20, 0, 0);
        assert_eq!((never.status, never.short_call_pct), (HealthStatus::Unhealthy, None));
        assert_eq!(never.reason.as_deref(), Some("answered 0% of 20 calls"));
    }

    #[test]
    fn the_worse_of_messages_and_calls_wins() {
        let s = NumberHealthSettings::default();
        let good_messages = DeliveryTotals { sent: 20, delivered: 20, failed: 0, failed_spam: 0 };
        let bad_calls = CallTotals { ended: 20, answered: 20, short: 18 };
        let h = judge(good_messages, bad_calls, &s);
        assert_eq!(h.status, HealthStatus::Unhealthy, "unhealthy by calls alone");
        // Calls judged, messages too few: the calls decide.
        let few = DeliveryTotals { sent: 3, delivered: 0, failed: 3, failed_spam: 3 };
        assert_eq!(judge(few, CallTotals { ended: 20, answered: 20, short: 0 }, &s).status, HealthStatus::Healthy);
        // Messages unhealthy, calls fine: still unhealthy, and both reasons are listed.
        let spam = DeliveryTotals { sent: 20, delivered: 8, failed: 12, failed_spam: 12 };
        let h = judge(spam, CallTotals { ended: 20, answered: 5, short: 0 }, &s);
        assert_eq!(h.status, HealthStatus::Unhealthy);
        let reason = h.reason.unwrap();
        assert!(reason.contains("spam blocks 60%") && reason.contains("answered 25% of 20 calls"), "{reason}");
    }
}
