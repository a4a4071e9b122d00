//! What happens to a message forward after an attempt, as a pure function the worker applies:
//! delivered; tried again on the same URL (the schedule's next wait, or the receiver's
//! `Retry-After` when it asks to slow down); moved to its next alternate (when this URL's attempts
//! are exhausted, it answered 410 Gone, or it is a disabled endpoint; disabled alternates are
//! skipped); or given up (exhausted, disabled, permanent) when no alternate is left.
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::forward::Attempt;
use super::schedule::RetrySchedule;
use crate::store::outbox::Failure;

/// Where a forward stands: the URL it is on and its place in the list.
#[derive(Debug, Clone, Copy)]
pub struct Position<'a> {
    /// 0: the primary, n: `alternates[n - 1]`.
    pub hop: i32,
    pub alternates: &'a [String],
}

/// The next state of a forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Attempt the same URL again after this wait.
    RetryIn(Duration),
    /// Go on to alternate `hop` (due now, attempts from zero).
    MoveTo {
        hop: i32,
        url: String,
    },
    GiveUp(Failure),
}

impl Position<'_> {
    /// The first alternate after this one that is not disabled: its hop and URL.
    pub fn next(&self, disabled: &dyn Fn(&str) -> bool) -> Option<(i32, &str)> {
        let from = usize::try_from(self.hop).ok()?;
        self.alternates
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, url)| !disabled(url))
            .map(|(i, url)| (i32::try_from(i + 1).unwrap_or(i32::MAX), url.as_str()))
    }

    /// This URL gives out for `why`: the next alternate, or give up.
    pub fn give_out(&self, why: Failure, disabled: &dyn Fn(&str) -> bool) -> Verdict {
        match self.next(disabled) {
            Some((hop, url)) => Verdict::MoveTo { hop, url: url.to_owned() },
            None => Verdict::GiveUp(why),
        }
    }
}

/// The verdict on a forward after its `attempts`-th attempt on this URL ended with `outcome`.
pub fn judge(
    outcome: &Attempt,
    attempts: i32,
    at: Position<'_>,
    schedule: &RetrySchedule,
    disabled: &dyn Fn(&str) -> bool,
) -> Verdict {
    match outcome {
        Attempt::Delivered => Verdict::Delivered,
        Attempt::Gone(_) => at.give_out(Failure::Disabled, disabled),
        Attempt::Permanent(_) => Verdict::GiveUp(Failure::Permanent),
        Attempt::Retry(_) | Attempt::SlowDown { .. } => {
            let Some(wait) = schedule.wait_after(attempts) else {
                return at.give_out(Failure::Exhausted, disabled);
            };
            match outcome {
                Attempt::SlowDown { retry_after: Some(asked), .. } => {
                    Verdict::RetryIn(schedule.cap_retry_after(*asked))
                }
                _ => Verdict::RetryIn(wait),
            }
        }
    }
}

/// When a retry in `wait` from `now` is due.
pub fn due_at(now: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn schedule() -> RetrySchedule {
        let ms = |n| Duration::from_millis(n);
        RetrySchedule::new(vec![ms(0), ms(10), ms(20)], 0.0, Duration::from_secs(60))
            .with_jitter_source(Arc::new(|| 0.0))
    }

    fn alternates() -> Vec<String> {
        vec!["https://b.example.com/".into(), "https://c.example.com/".into()]
    }

    const NONE_DISABLED: &dyn Fn(&str) -> bool = &|_| false;

    #[test]
    fn failures_follow_the_schedule_then_move_to_the_next_alternate() {
        let alts = alternates();
        let at = Position { hop: 0, alternates: &alts };
        let fail = Attempt::Retry("receiver answered 500".into());
        assert_eq!(judge(&fail, 1, at, &schedule(), NONE_DISABLED), Verdict::RetryIn(Duration::from_millis(10)));
        assert_eq!(judge(&fail, 2, at, &schedule(), NONE_DISABLED), Verdict::RetryIn(Duration::from_millis(20)));
        assert_eq!(
            judge(&fail, 3, at, &schedule(), NONE_DISABLED),
            Verdict::MoveTo { hop: 1, url: "https://b.example.com/".into() }
        );
        let last = Position { hop: 2, alternates: &alts };
        assert_eq!(judge(&fail, 3, last, &schedule(), NONE_DISABLED), Verdict::GiveUp(Failure::Exhausted));
        let single = Position { hop: 0, alternates: &[] };
        assert_eq!(judge(&fail, 3, single, &schedule(), NONE_DISABLED), Verdict::GiveUp(Failure::Exhausted));
    }

    #[test]
    fn gone_moves_on_at_once_and_disabled_alternates_are_skipped() {
        let alts = alternates();
        let at = Position { hop: 0, alternates: &alts };
        let gone = Attempt::Gone("receiver answered 410".into());
        assert_eq!(
            judge(&gone, 1, at, &schedule(), NONE_DISABLED),
            Verdict::MoveTo { hop: 1, url: "https://b.example.com/".into() }
        );
        let b_disabled: &dyn Fn(&str) -> bool = &|u| u == "https://b.example.com/";
        assert_eq!(
            judge(&gone, 1, at, &schedule(), b_disabled),
            Verdict::MoveTo { hop: 2, url: "https://c.example.com/".into() }
        );
        let all_disabled: &dyn Fn(&str) -> bool = &|_| true;
        assert_eq!(judge(&gone, 1, at, &schedule(), all_disabled), Verdict::GiveUp(Failure::Disabled));
        assert_eq!(at.give_out(Failure::Disabled, all_disabled), Verdict::GiveUp(Failure::Disabled));
    }

    #[test]
    fn slow_down_waits_as_asked_and_still_counts_toward_exhaustion() {
        let at = Position { hop: 0, alternates: &[] };
        let asked =
            Attempt::SlowDown { error: "receiver answered 429".into(), retry_after: Some(Duration::from_secs(42)) };
        assert_eq!(judge(&asked, 1, at, &schedule(), NONE_DISABLED), Verdict::RetryIn(Duration::from_secs(42)));
        let unasked = Attempt::SlowDown { error: "receiver answered 503".into(), retry_after: None };
        assert_eq!(judge(&unasked, 2, at, &schedule(), NONE_DISABLED), Verdict::RetryIn(Duration::from_millis(20)));
        assert_eq!(judge(&asked, 3, at, &schedule(), NONE_DISABLED), Verdict::GiveUp(Failure::Exhausted));
        let too_long = Attempt::SlowDown { error: "429".into(), retry_after: Some(Duration::from_secs(86400)) };
        assert_eq!(judge(&too_long, 1, at, &schedule(), NONE_DISABLED), Verdict::RetryIn(Duration::from_secs(60)));
        assert_eq!(
            judge(&Attempt::Permanent("bad secret".into()), 1, at, &schedule(), NONE_DISABLED),
            Verdict::GiveUp(Failure::Permanent)
        );
    }
}
