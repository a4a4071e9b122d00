//! Outbox metric names (described once by [`describe`]).
use metrics::{describe_counter, describe_gauge};

pub const OUTBOX_PENDING: &str = "switchboard_outbox_pending";
pub const OUTBOX_DELIVERED: &str = "switchboard_outbox_delivered_total";
pub const OUTBOX_FAILED: &str = "switchboard_outbox_failed_total";
/// Labels: kind (forward_message, call_transfer, call_hangup), outcome (delivered, retry, failed).
pub const OUTBOX_ATTEMPTS: &str = "switchboard_outbox_attempts_total";

pub fn describe() {
    describe_gauge!(OUTBOX_PENDING, "Outbox side effects waiting for delivery.");
    describe_counter!(OUTBOX_DELIVERED, "Outbox side effects delivered.");
    describe_counter!(OUTBOX_FAILED, "Outbox side effects given up after the last attempt.");
    describe_counter!(OUTBOX_ATTEMPTS, "Outbox delivery attempts, by kind and outcome.");
}
