//! The `[outbox]` section: how the outbox worker records what it delivered.
use std::time::Duration;

use serde::Deserialize;

/// The longest `delivered_mark_delay_ms`: far below the lease and hold of an item (60 s), after
/// which an unmarked item is delivered again.
pub const MAX_MARK_DELAY_MS: u64 = 10_000;

#[derive(Debug, Clone, Copy, Deserialize)]
pub struct OutboxSettings {
    /// How long a delivered mark waits for others to be written with it (`outbox::marks`).
    pub delivered_mark_delay_ms: u64,
}

impl OutboxSettings {
    pub fn delivered_mark_delay(&self) -> Duration {
        Duration::from_millis(self.delivered_mark_delay_ms)
    }
}
