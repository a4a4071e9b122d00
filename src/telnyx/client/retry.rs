//! When to retry a Telnyx request, and how long to wait before the next attempt.
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

/// How a request may be repeated. Every client method states its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Repeating is harmless (GET, PATCH): retry on 429, 5xx, timeouts and transport errors.
    Safe,
    /// A body with a `command_id` (dial, call commands): Telnyx ignores a repeat within
    /// [`COMMAND_ID_WINDOW`], so retried like [`Retry::Safe`] while the next attempt would still
    /// start inside that window (less [`WINDOW_MARGIN`]) of the first; after it, like
    /// [`Retry::IfNotSent`], and any failure once an attempt may have been processed is ambiguous.
    Command,
    /// Repeating could act twice (number orders, messages, creates): retry only when Telnyx
    /// clearly did not process the request — 429, 503 with `Retry-After`, connection never made.
    /// A timeout or another 5xx after the request was sent is reported as ambiguous.
    IfNotSent,
    /// Like [`Retry::IfNotSent`], for a caller with its own queue (the send queue): a 429 is
    /// returned at once ([`TelnyxError::RateLimited`](super::TelnyxError) with its Retry-After),
    /// so the caller slows that sender rather than holding a worker in a backoff.
    Queued,
}

/// How long Telnyx ignores a repeated `command_id` (DOCS voice "receiving webhooks"; spec
/// `CallRequest.command_id`).
pub const COMMAND_ID_WINDOW: Duration = Duration::from_secs(60);
/// Kept free at the end of the window: the request's time in flight, clock differences.
pub const WINDOW_MARGIN: Duration = Duration::from_secs(10);

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A response with a non-success status; `retry_after` is the server's hint, if any.
    Status { status: StatusCode, retry_after: Option<Duration> },
    /// The connection could not be established: the request never left.
    ConnectFailed,
    /// The request (or reading its response) timed out after the connection was made.
    TimedOut,
    /// Any other transport failure after the connection was made.
    Broken,
}

/// What to do after an attempt that did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Try again (if attempts remain).
    Retry,
    /// Stop: the request may have been processed; the caller must reconcile.
    Ambiguous,
    /// Stop: report the failure as it is.
    Fail,
}

/// The decision for one failed attempt, without history ([`Retry::Command`] decides like
/// [`Retry::Safe`] here; [`Attempts`] adds its window).
pub(crate) fn decide(policy: Retry, outcome: Outcome) -> Decision {
    match (policy, outcome) {
        (_, Outcome::ConnectFailed) => Decision::Retry,
        (Retry::Queued, Outcome::Status { status, .. }) if status == StatusCode::TOO_MANY_REQUESTS => Decision::Fail,
        (_, Outcome::Status { status, .. }) if status == StatusCode::TOO_MANY_REQUESTS => Decision::Retry,
        (_, Outcome::Status { status, .. }) if status.is_client_error() => Decision::Fail,
        (Retry::Safe | Retry::Command, Outcome::Status { status, .. }) if status.is_server_error() => Decision::Retry,
        (Retry::Safe | Retry::Command, Outcome::TimedOut | Outcome::Broken) => Decision::Retry,
        (Retry::IfNotSent | Retry::Queued, Outcome::Status { status, retry_after: Some(_) })
            if status == StatusCode::SERVICE_UNAVAILABLE =>
        {
            Decision::Retry
        }
        (Retry::IfNotSent | Retry::Queued, Outcome::Status { status, .. }) if status.is_server_error() => {
            Decision::Ambiguous
        }
        (Retry::IfNotSent | Retry::Queued, Outcome::TimedOut | Outcome::Broken) => Decision::Ambiguous,
        // 1xx/3xx that reqwest did not follow: nothing sensible to retry.
        (_, Outcome::Status { .. }) => Decision::Fail,
    }
}

/// The attempts of one request: decides after each failure with what came before.
#[derive(Debug)]
pub(crate) struct Attempts {
    policy: Retry,
    first: Instant,
    /// An earlier attempt may have been processed (it timed out, broke or got a 5xx after sending).
    maybe_processed: bool,
}

impl Attempts {
    /// Call just before the first attempt.
    pub fn start(policy: Retry) -> Self {
        Self { policy, first: Instant::now(), maybe_processed: false }
    }

    /// The decision after a failed attempt, when the next one would start `delay` from now.
    pub fn after_failure(&mut self, outcome: Outcome, delay: Duration) -> Decision {
        self.after_failure_at(outcome, self.first.elapsed() + delay)
    }

    /// As [`Attempts::after_failure`], with the next attempt's start given relative to the first.
    fn after_failure_at(&mut self, outcome: Outcome, next_start: Duration) -> Decision {
        self.maybe_processed |= decide(Retry::IfNotSent, outcome) == Decision::Ambiguous;
        if self.policy != Retry::Command {
            return decide(self.policy, outcome);
        }
        if next_start + WINDOW_MARGIN <= COMMAND_ID_WINDOW {
            return decide(Retry::Safe, outcome);
        }
        if self.maybe_processed {
            Decision::Ambiguous
        } else {
            decide(Retry::IfNotSent, outcome)
        }
    }

    /// The decision once no attempt is left after a failure that would have been retried: a
    /// [`Retry::Command`] request that may have been processed is ambiguous.
    pub fn exhausted(&self, decision: Decision) -> Decision {
        if self.policy == Retry::Command && self.maybe_processed {
            Decision::Ambiguous
        } else {
            decision
        }
    }
}

/// Backoff settings (from `TelnyxClientConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first retry). A server hint is honoured as
    /// given (capped by `max`); otherwise full jitter: uniform in `[0, min(max, initial * 2^retry)]`.
    pub fn delay(&self, retry: u32, server_hint: Option<Duration>) -> Duration {
        if let Some(hint) = server_hint {
            return hint.min(self.max);
        }
        let ceiling = self.ceiling(retry);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        if ceiling_ms == 0 {
            return Duration::ZERO;
        }
        Duration::from_millis(rand::thread_rng().gen_range(0..=ceiling_ms))
    }

    /// `min(max, initial * 2^retry)`, without overflow.
    pub fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// The server's wait hint: `retry-after-ms` (milliseconds) first, then `Retry-After` (seconds or
/// an HTTP date). Unparsable or negative values are ignored.
pub(crate) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn status(code: u16, hint: Option<u64>) -> Outcome {
        Outcome::Status {
            status: StatusCode::from_u16(code).expect("valid status"),
            retry_after: hint.map(Duration::from_secs),
        }
    }

    #[test]
    fn telnyx_retry_decisions_table() {
        use Decision::{Ambiguous, Fail, Retry as Again};
        use Retry::{IfNotSent, Safe};
        let cases = [
            (Safe, status(429, None), Again),
            (Safe, status(500, None), Again),
            (Safe, status(502, None), Again),
            (Safe, status(503, None), Again),
            (Safe, status(400, None), Fail),
            (Safe, status(404, None), Fail),
            (Safe, status(422, None), Fail),
            (Safe, Outcome::TimedOut, Again),
            (Safe, Outcome::Broken, Again),
            (Safe, Outcome::ConnectFailed, Again),
            (IfNotSent, status(429, None), Again),
            (IfNotSent, status(503, Some(2)), Again),
            (IfNotSent, status(503, None), Ambiguous),
            (IfNotSent, status(500, None), Ambiguous),
            (IfNotSent, status(504, Some(1)), Ambiguous),
            (IfNotSent, status(422, None), Fail),
            (IfNotSent, Outcome::TimedOut, Ambiguous),
            (IfNotSent, Outcome::Broken, Ambiguous),
            (IfNotSent, Outcome::ConnectFailed, Again),
            (Retry::Queued, status(429, Some(1)), Fail),
            (Retry::Queued, status(500, None), Ambiguous),
            (Retry::Queued, Outcome::ConnectFailed, Again),
        ];
        for (policy, outcome, want) in cases {
            assert_eq!(decide(policy, outcome), want, "{policy:?} {outcome:?}");
        }
    }

    #[test]
    fn telnyx_command_retries_stay_inside_the_command_id_window() {
        use Decision::{Ambiguous, Fail, Retry as Again};
        let s = Duration::from_secs;
        let last_start = COMMAND_ID_WINDOW - WINDOW_MARGIN;
        // Inside the window: as Safe.
        let mut a = Attempts::start(Retry::Command);
        assert_eq!(a.after_failure_at(Outcome::TimedOut, s(1)), Again);
        assert_eq!(a.after_failure_at(status(502, None), last_start), Again);
        assert_eq!(a.after_failure_at(status(422, None), s(2)), Fail);
        // Past it: nothing is retried once an attempt may have been processed.
        assert_eq!(a.after_failure_at(status(429, None), last_start + s(1)), Ambiguous);
        assert_eq!(a.exhausted(Again), Ambiguous);
        // Past it, nothing sent so far: only what IfNotSent retries.
        let mut b = Attempts::start(Retry::Command);
        assert_eq!(b.after_failure_at(Outcome::ConnectFailed, s(70)), Again);
        assert_eq!(b.after_failure_at(status(429, None), s(70)), Again);
        assert_eq!(b.exhausted(Again), Again);
        assert_eq!(b.after_failure_at(Outcome::TimedOut, s(70)), Ambiguous);
        // Other policies ignore the window.
        let mut c = Attempts::start(Retry::Safe);
        assert_eq!(c.after_failure_at(Outcome::TimedOut, s(3600)), Again);
        assert_eq!(c.exhausted(Again), Again);
    }

    #[test]
    fn telnyx_backoff_is_exponential_jittered_and_capped() {
        let b = Backoff { initial: Duration::from_millis(100), max: Duration::from_secs(1) };
        assert_eq!(b.ceiling(0), Duration::from_millis(100));
        assert_eq!(b.ceiling(3), Duration::from_millis(800));
        assert_eq!(b.ceiling(4), Duration::from_secs(1));
        assert_eq!(b.ceiling(u32::MAX), Duration::from_secs(1));
        for retry in 0..10 {
            assert!(b.delay(retry, None) <= b.ceiling(retry));
        }
        assert_eq!(b.delay(0, Some(Duration::from_millis(700))), Duration::from_millis(700));
        assert_eq!(b.delay(0, Some(Duration::from_secs(30))), Duration::from_secs(1));
    }

    #[test]
    fn telnyx_retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:27:50Z").expect("date").to_utc();
        let hint = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_static(v));
            }
            retry_after(&h, now)
        };
        assert_eq!(hint(&[("retry-after", "3")]), Some(Duration::from_secs(3)));
        assert_eq!(hint(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]), Some(Duration::from_secs(10)));
        assert_eq!(hint(&[("retry-after", "Wed, 21 Oct 2015 07:00:00 GMT")]), Some(Duration::ZERO));
        assert_eq!(hint(&[("retry-after-ms", "250"), ("retry-after", "9")]), Some(Duration::from_millis(250)));
        assert_eq!(hint(&[("retry-after", "soon")]), None);
        assert_eq!(hint(&[("retry-after", "-1")]), None);
        assert_eq!(hint(&[]), None);
    }
}
