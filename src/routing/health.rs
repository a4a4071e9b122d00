//! A number's health, judged from the delivery outcomes of its messages over a window (pure; the
//! sums come from the daily usage rollups, see `company::health`).
//!
//! Deliverability is the share of finalized recipients (delivered + failed) that got the message;
//! the spam-block share is the share that failed as spam or blocked (Telnyx 40002, 40003, 40015).
//! With fewer finalized messages than `min_finalized` nothing is judged (`insufficient_data`,
//! which automatic sender choice treats as healthy).
use serde::Serialize;

use crate::config::NumberHealthSettings;

/// What the window holds for one number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryTotals {
    pub sent: i64,
    pub delivered: i64,
    pub failed: i64,
    pub failed_spam: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Healthy,
    Warning,
    /// Skipped by every automatic sender choice.
    Unhealthy,
    /// Too few finalized messages in the window to judge.
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
    pub window_days: u32,
    /// Why it is not healthy, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl NumberHealth {
    pub fn is_unhealthy(&self) -> bool {
        self.status == HealthStatus::Unhealthy
    }
}

/// Judges one number's totals against the thresholds.
pub fn judge(t: DeliveryTotals, s: &NumberHealthSettings) -> NumberHealth {
    let finalized = t.delivered + t.failed;
    let pct = |part: i64| (finalized > 0).then(|| round1(100.0 * part as f64 / finalized as f64));
    let (deliverability_pct, spam_block_pct) = (pct(t.delivered), pct(t.failed_spam));
    let mut health = NumberHealth {
        status: HealthStatus::Healthy,
        deliverability_pct,
        spam_block_pct,
        sent: t.sent,
        finalized,
        window_days: s.window_days,
        reason: None,
    };
    if finalized < i64::from(s.min_finalized) {
        health.status = HealthStatus::InsufficientData;
        return health;
    }
    let (d, spam) = (deliverability_pct.unwrap_or(100.0), spam_block_pct.unwrap_or(0.0));
    let mut reasons = Vec::new();
    let mut judge_one = |bad: bool, warn: bool, what: String| {
        if bad {
            health.status = HealthStatus::Unhealthy;
            reasons.push(what);
        } else if warn {
            if health.status == HealthStatus::Healthy {
                health.status = HealthStatus::Warning;
            }
            reasons.push(what);
        }
    };
    judge_one(
        d < s.unhealthy_deliverability_pct,
        d < s.warn_deliverability_pct,
        format!("deliverability {d}% of {finalized} finalized"),
    );
    judge_one(
        spam > s.unhealthy_spam_block_pct,
        spam > s.warn_spam_block_pct,
        format!("spam blocks {spam}% of {finalized} finalized"),
    );
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
        judge(t, &NumberHealthSettings::default()).status
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
            &NumberHealthSettings::default(),
        );
        assert_eq!((h.deliverability_pct, h.spam_block_pct, h.finalized, h.sent), (Some(40.0), Some(60.0), 20, 30));
        assert!(h.reason.unwrap().contains("spam blocks 60%"));
        let none = judge(DeliveryTotals::default(), &NumberHealthSettings::default());
        assert_eq!((none.deliverability_pct, none.status), (None, HealthStatus::InsufficientData));
    }
}
