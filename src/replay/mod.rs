//! Webhook replay: events Telnyx gave up delivering (its retries ran out during an outage) are read
//! back from Telnyx's webhook delivery log (GET /webhook_deliveries, failed, by time window) and
//! ingested through the normal path, counted once thanks to the ledger's dedupe. On an operator's
//! command (POST /v1/webhook-replays, `switchboard replay`) and automatically after an outage.
pub mod cli;
pub mod dead_letter_cli;
pub mod outage;
pub mod redrive;
pub mod replayer;
pub mod summary;
pub mod window;

pub use outage::{replay_after_outages, Outage, OutageTracker};
pub use redrive::{RedriveError, Redriven};
pub use replayer::{ReplayError, Replayer, Trigger};
pub use summary::{RecordOutcome, ReplayFailure, ReplaySummary};
pub use window::{ReplayWindow, WindowError};
