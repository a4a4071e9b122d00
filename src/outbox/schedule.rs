//! When a message forward is attempted again: a fixed schedule like Svix's (immediately, 5 s,
//! 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; `forwards.retry_schedule`), each wait spread by a jitter
//! (+-10 % by default) so that the forwards of one outage do not all return at once, and a
//! receiver's `Retry-After` (seconds or an HTTP date, bounded) honoured when it asks to slow down.
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::ForwardSettings;

/// A jitter sample in [-1, 1] (scaled by the schedule's jitter fraction); tests inject a fixed one.
pub type JitterSource = Arc<dyn Fn() -> f64 + Send + Sync>;

/// The waits of a forward's attempts on one URL.
#[derive(Clone)]
pub struct RetrySchedule {
    /// `steps[0]` is the wait before the first attempt (the outbox makes it at once), `steps[k]`
    /// the wait after the k-th failed attempt; its length is the number of attempts per URL.
    steps: Vec<Duration>,
    /// The largest share of a wait added or taken away at random (0.1: +-10 %).
    jitter: f64,
    /// The longest `Retry-After` honoured.
    retry_after_max: Duration,
    source: JitterSource,
}

impl std::fmt::Debug for RetrySchedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetrySchedule")
            .field("steps", &self.steps)
            .field("jitter", &self.jitter)
            .field("retry_after_max", &self.retry_after_max)
            .finish()
    }
}

/// Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const SVIX_STEPS_SECS: [u64; 8] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule::new(SVIX_STEPS_SECS.iter().map(|s| Duration::from_secs(*s)).collect(), 0.1, HOURS_10)
    }
}

const HOURS_10: Duration = Duration::from_secs(36000);

impl RetrySchedule {
    /// `steps` as in [`RetrySchedule`] (at least one), jitter as a fraction (clamped to 0..=0.5),
    /// random jitter.
    pub fn new(steps: Vec<Duration>, jitter: f64, retry_after_max: Duration) -> Self {
        let steps = if steps.is_empty() { vec![Duration::ZERO] } else { steps };
        let jitter = if jitter.is_finite() { jitter.clamp(0.0, 0.5) } else { 0.0 };
        RetrySchedule { steps, jitter, retry_after_max, source: Arc::new(|| rand::random::<f64>() * 2.0 - 1.0) }
    }

    /// The operator's `[forwards]` schedule.
    pub fn from_settings(s: &ForwardSettings) -> Self {
        RetrySchedule::new(
            s.retry_schedule.clone(),
            f64::from(s.retry_jitter_percent) / 100.0,
            Duration::from_secs(s.retry_after_max_secs),
        )
    }

    /// The same schedule with jitter samples from `source` (tests: a constant).
    pub fn with_jitter_source(mut self, source: JitterSource) -> Self {
        self.source = source;
        self
    }

    /// Attempts made on one URL before it counts as exhausted.
    pub fn attempts_per_url(&self) -> i32 {
        i32::try_from(self.steps.len()).unwrap_or(i32::MAX)
    }

    /// The wait after `attempts` failed attempts, jittered; `None` when they were the last.
    pub fn wait_after(&self, attempts: i32) -> Option<Duration> {
        let step = self.steps.get(usize::try_from(attempts).ok()?)?;
        Some(jittered(*step, self.jitter, (self.source)()))
    }

    /// The wait a receiver asked for with `Retry-After`, at most `forwards.retry_after_max_secs`.
    pub fn cap_retry_after(&self, asked: Duration) -> Duration {
        asked.min(self.retry_after_max)
    }
}

/// `wait` moved by `fraction * sample` of itself (`sample` in [-1, 1]).
pub fn jittered(wait: Duration, fraction: f64, sample: f64) -> Duration {
    let factor = 1.0 + fraction * sample.clamp(-1.0, 1.0);
    Duration::try_from_secs_f64(wait.as_secs_f64() * factor).unwrap_or(wait)
}

/// `Retry-After` as a delay from `now`: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`; one in the past is no delay).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds: as long as can be (the caller bounds it).
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(sample: f64) -> JitterSource {
        Arc::new(move || sample)
    }

    #[test]
    fn the_default_is_svix_s_schedule_and_ends_after_its_last_step() {
        let s = RetrySchedule::default().with_jitter_source(fixed(0.0));
        assert_eq!(s.attempts_per_url(), 8);
        let waits: Vec<u64> = (1..8).map(|n| s.wait_after(n).unwrap().as_secs()).collect();
        assert_eq!(waits, [5, 300, 1800, 7200, 18000, 36000, 36000]);
        assert_eq!(s.wait_after(8), None, "the 8th failed attempt was the last");
        assert_eq!(s.wait_after(-1), None);
    }

    #[test]
    fn jitter_stays_within_its_fraction() {
        let ten_s = Duration::from_secs(10);
        assert_eq!(jittered(ten_s, 0.1, 1.0), Duration::from_secs(11));
        assert_eq!(jittered(ten_s, 0.1, -1.0), Duration::from_secs(9));
        assert_eq!(jittered(ten_s, 0.1, 7.0), Duration::from_secs(11), "samples are clamped");
        assert_eq!(jittered(Duration::ZERO, 0.1, 1.0), Duration::ZERO, "immediately stays immediately");
        let s = RetrySchedule::new(vec![Duration::ZERO, ten_s], 0.1, HOURS_10).with_jitter_source(fixed(-0.5));
        assert_eq!(s.wait_after(1), Some(Duration::from_millis(9500)));
        let random = RetrySchedule::new(vec![Duration::ZERO, ten_s], 0.1, HOURS_10);
        for _ in 0..100 {
            let w = random.wait_after(1).unwrap();
            assert!((Duration::from_secs(9)..=Duration::from_secs(11)).contains(&w), "{w:?}");
        }
        let wild = RetrySchedule::new(vec![ten_s], 7.0, HOURS_10).with_jitter_source(fixed(-1.0));
        assert_eq!(wild.wait_after(0), Some(Duration::from_secs(5)), "jitter is at most 50 %");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates_and_is_bounded() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:20:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(480)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO), "in the past");
        for bad in ["", "-5", "1.5", "soon", "2015-10-21T07:28:00Z"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        let huge = parse_retry_after("99999999999999999999999", now).unwrap();
        let s = RetrySchedule::new(vec![Duration::ZERO], 0.1, Duration::from_secs(3600));
        assert_eq!(s.cap_retry_after(huge), Duration::from_secs(3600));
        assert_eq!(s.cap_retry_after(Duration::from_secs(60)), Duration::from_secs(60));
    }
}
