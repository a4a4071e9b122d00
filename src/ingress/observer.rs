//! Who is told how each verified webhook was answered: the replay's outage tracker watches for
//! commits that fail and then succeed again. A trait, so the ingress does not depend on replay.
use super::Outcome;

pub trait CommitObserver: Send + Sync {
    /// One verified webhook's outcome. Called on the hot path: keep it to a few atomics.
    fn observe(&self, outcome: &Outcome);
}

/// Observes nothing (tools and tests without a replay).
pub struct Unobserved;

impl CommitObserver for Unobserved {
    fn observe(&self, _: &Outcome) {}
}
