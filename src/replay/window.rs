//! The time window of a replay: Telnyx deliveries whose first attempt started within it.
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde::Serialize;

/// The longest window one replay covers.
pub const MAX_WINDOW_HOURS: i64 = 7 * 24;

/// `[from, to]`, `from < to`, at most [`MAX_WINDOW_HOURS`] long, and not older than the dedupe
/// retention: past it the keys that make a replay count once are purged, so an event counted
/// back then could count again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReplayWindow {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("{value:?} is not an RFC 3339 time like 2026-11-25T10:00:00Z")]
    NotRfc3339 { field: &'static str, value: String },
    #[error("from must be before to")]
    NotOrdered,
    #[error("the window is {hours} hours long; one replay covers at most {MAX_WINDOW_HOURS} hours (7 days)")]
    TooLong { hours: i64 },
    #[error(
        "from is more than {retention_hours} hours ago (ledger.dedupe_retention_hours): the dedupe keys of older \
         events are purged, so replaying them could count them twice"
    )]
    BeyondRetention { retention_hours: i64 },
}

impl WindowError {
    /// The request field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            WindowError::NotRfc3339 { field, .. } => field,
            WindowError::NotOrdered | WindowError::TooLong { .. } => "to",
            WindowError::BeyondRetention { .. } => "from",
        }
    }
}

/// Parses an RFC 3339 time of the request field `field`.
pub fn parse_time(field: &'static str, value: &str) -> Result<DateTime<Utc>, WindowError> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.to_utc())
        .map_err(|_| WindowError::NotRfc3339 { field, value: value.chars().take(64).collect() })
}

impl ReplayWindow {
    /// A window an operator asked for, checked against `now` and the dedupe `retention`.
    pub fn new(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
        retention: Duration,
    ) -> Result<Self, WindowError> {
        if from >= to {
            return Err(WindowError::NotOrdered);
        }
        if to - from > Duration::hours(MAX_WINDOW_HOURS) {
            return Err(WindowError::TooLong { hours: (to - from).num_hours() });
        }
        if now.checked_sub_signed(retention).is_some_and(|oldest| from < oldest) {
            return Err(WindowError::BeyondRetention { retention_hours: retention.num_hours() });
        }
        Ok(Self { from, to })
    }

    /// The window after an outage: `from` moved forward as far as the limits require (a longer
    /// outage is replayed for its most recent part; the operator can replay the rest by hand while
    /// its keys are kept). `None` when nothing is left.
    pub fn clamped(from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>, retention: Duration) -> Option<Self> {
        // A minute inside the retention, so that the purge does not race the replay.
        let kept = now.checked_sub_signed(retention - Duration::minutes(1)).unwrap_or(DateTime::<Utc>::MIN_UTC);
        let from = from.max(kept).max(to - Duration::hours(MAX_WINDOW_HOURS));
        (from < to).then_some(Self { from, to })
    }

    pub fn from(&self) -> DateTime<Utc> {
        self.from
    }

    pub fn to(&self) -> DateTime<Utc> {
        self.to
    }
}

impl std::fmt::Display for ReplayWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        write!(f, "{} .. {}", t(self.from), t(self.to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        parse_time("t", s).expect("time")
    }

    const NOW: &str = "2026-11-25T12:00:00Z";

    #[test]
    fn replay_window_accepts_an_ordered_recent_window() {
        let w = ReplayWindow::new(t("2026-11-25T10:00:00Z"), t(NOW), t(NOW), Duration::hours(168)).expect("ok");
        assert_eq!(w.to_string(), "2026-11-25T10:00:00Z .. 2026-11-25T12:00:00Z");
    }

    #[test]
    fn replay_window_refuses_disorder_length_and_age() {
        let week = Duration::hours(168);
        let new = |from: &str, to: &str, retention| ReplayWindow::new(t(from), t(to), t(NOW), retention);
        assert_eq!(new(NOW, NOW, week), Err(WindowError::NotOrdered));
        assert_eq!(new("2026-11-25T12:00:01Z", NOW, week), Err(WindowError::NotOrdered));
        assert_eq!(
            new("2026-11-10T00:00:00Z", "2026-11-20T00:00:00Z", Duration::hours(10_000)),
            Err(WindowError::TooLong { hours: 240 })
        );
        let old = new("2026-11-25T01:00:00Z", NOW, Duration::hours(10));
        assert_eq!(old, Err(WindowError::BeyondRetention { retention_hours: 10 }));
        assert_eq!(old.unwrap_err().field(), "from");
        let bad = parse_time("from", "yesterday").unwrap_err();
        assert_eq!((bad.field(), bad.to_string().contains("RFC 3339")), ("from", true));
    }

    #[test]
    fn replay_window_after_a_long_outage_keeps_its_recent_part() {
        let w = ReplayWindow::clamped(t("2026-11-01T00:00:00Z"), t(NOW), t(NOW), Duration::hours(24)).expect("w");
        assert_eq!(w.from(), t("2026-11-24T12:01:00Z"));
        assert_eq!(ReplayWindow::clamped(t(NOW), t(NOW), t(NOW), Duration::hours(24)), None);
    }
}
