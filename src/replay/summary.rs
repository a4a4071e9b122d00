//! What a replay did, record by record and in total.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::metrics::REPLAY_RECORDS;

/// Failures listed in a summary (the count covers them all).
pub const MAX_LISTED_FAILURES: usize = 100;

/// The answer of a replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReplaySummary {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Pages of GET /webhook_deliveries read.
    pub pages: u32,
    /// Delivery records seen.
    pub records: u64,
    /// Events counted by this replay (their counters moved now).
    pub counted: u64,
    /// Events that were already counted (delivered after all, or replayed before): no change.
    pub duplicates: u64,
    /// Events with nothing to count (other event types), acknowledged.
    pub acknowledged: u64,
    /// Events no company owns a number of, stored as dead letters.
    pub dead_letters: u64,
    /// Records that could not be ingested (unreadable, or the database refused); see `failures`.
    pub failed: u64,
    /// The first failures, with their reasons.
    pub failures: Vec<ReplayFailure>,
    /// False when the listing stopped at the page limit: replay the rest of the window again.
    pub complete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReplayFailure {
    /// The `webhook_delivery` record's id, when it had one.
    pub delivery_id: Option<String>,
    /// The original webhook's event id, when it could be read.
    pub event_id: Option<String>,
    pub reason: String,
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    Counted,
    Duplicate,
    Acknowledged,
    DeadLetter,
    Failed(ReplayFailure),
}

impl RecordOutcome {
    pub fn metric_label(&self) -> &'static str {
        match self {
            RecordOutcome::Counted => "counted",
            RecordOutcome::Duplicate => "duplicate",
            RecordOutcome::Acknowledged => "acknowledged",
            RecordOutcome::DeadLetter => "dead_letter",
            RecordOutcome::Failed(_) => "failed",
        }
    }
}

impl ReplaySummary {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self {
            from,
            to,
            pages: 0,
            records: 0,
            counted: 0,
            duplicates: 0,
            acknowledged: 0,
            dead_letters: 0,
            failed: 0,
            failures: Vec::new(),
            complete: true,
        }
    }

    /// Adds one record's outcome (and its metric).
    pub fn add(&mut self, outcome: RecordOutcome) {
        metrics::counter!(REPLAY_RECORDS, "outcome" => outcome.metric_label()).increment(1);
        self.records += 1;
        match outcome {
            RecordOutcome::Counted => self.counted += 1,
            RecordOutcome::Duplicate => self.duplicates += 1,
            RecordOutcome::Acknowledged => self.acknowledged += 1,
            RecordOutcome::DeadLetter => self.dead_letters += 1,
            RecordOutcome::Failed(f) => {
                self.failed += 1;
                if self.failures.len() < MAX_LISTED_FAILURES {
                    self.failures.push(f);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_summary_adds_up_and_bounds_the_failure_list() {
        let now = Utc::now();
        let mut s = ReplaySummary::new(now, now);
        for o in
            [RecordOutcome::Counted, RecordOutcome::Duplicate, RecordOutcome::Acknowledged, RecordOutcome::DeadLetter]
        {
            s.add(o);
        }
        for i in 0..MAX_LISTED_FAILURES + 5 {
            s.add(RecordOutcome::Failed(ReplayFailure {
                delivery_id: Some(format!("d{i}")),
                event_id: None,
                reason: "x".into(),
            }));
        }
        assert_eq!((s.records, s.counted, s.duplicates, s.acknowledged, s.dead_letters), (109, 1, 1, 1, 1));
        assert_eq!((s.failed, s.failures.len()), (105, MAX_LISTED_FAILURES));
    }
}
