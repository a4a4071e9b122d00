//! The `[ledger]` section (group commit and dedupe retention) and the `[retention]` section
//! (how long what operators act on is kept).
use serde::Deserialize;

/// Group commit: how batches form, how many commits run at once, how long dedupe keys are kept.
#[derive(Debug, Clone, Deserialize)]
pub struct LedgerSettings {
    pub flush_interval_ms: u64,
    pub batch_size: usize,
    /// Commits in flight at once (PostgreSQL); a company's entries always use the same lane.
    pub commit_lanes: usize,
    /// Commits in flight at once per lane (PostgreSQL): counter deltas are additive and dedupe
    /// is the unique key, so concurrent batches of one company commit in any order.
    pub commits_in_flight: usize,
    pub commit_deadline_ms: u64,
    pub dedupe_retention_hours: u64,
    pub purge_interval_secs: u64,
}

/// How long what is kept for operators stays before the background purge deletes it (days; 0:
/// forever). Purged every `ledger.purge_interval_secs`, with the dedupe keys.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct RetentionSettings {
    pub dead_letters_days: u32,
    pub outbox_delivered_days: u32,
    pub outbox_failed_days: u32,
    pub jobs_done_days: u32,
}
