//! Faults a test queues per operation: each matching request takes the next one, in order.
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use super::reply::{self, Reply};

/// What goes wrong with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (a 5xx, usually) with Telnyx's "Unexpected error" body; nothing happens.
    Status(u16),
    /// Answer 429 with `Retry-After: <secs>` and Telnyx's "Too many requests" body; nothing happens.
    RateLimited { retry_after_secs: u64 },
    /// Wait this long, then handle the request normally (a client timeout shorter than this sees
    /// a timeout, while the effect still happens, as with a slow Telnyx).
    Delay(Duration),
    /// Never answer (the connection is held until the simulator stops); nothing happens.
    Hang,
    /// Perform the operation (order placed, message queued, command executed, webhooks sent),
    /// then answer this status anyway.
    FailAfterEffect(u16),
}

impl Fault {
    /// The reply that replaces a normal one, for faults that answer without acting.
    pub fn reply(&self) -> Option<Reply> {
        match self {
            Fault::Status(status) => Some(Reply::error(*status, &reply::UNEXPECTED)),
            Fault::RateLimited { retry_after_secs } => Some(
                Reply::error(429, &reply::TOO_MANY_REQUESTS).with_header("retry-after", &retry_after_secs.to_string()),
            ),
            Fault::Delay(_) | Fault::Hang | Fault::FailAfterEffect(_) => None,
        }
    }
}

/// Queued faults by operation name (`"POST /number_orders"`).
#[derive(Debug, Default)]
pub struct Faults {
    queued: HashMap<String, VecDeque<Fault>>,
}

impl Faults {
    pub fn push(&mut self, operation: &str, fault: Fault) {
        self.queued.entry(normalize(operation)).or_default().push_back(fault);
    }

    /// The next fault for `operation`, if one is queued.
    pub fn take(&mut self, operation: &str) -> Option<Fault> {
        self.queued.get_mut(operation).and_then(VecDeque::pop_front)
    }

    /// Faults not used yet.
    pub fn pending(&self) -> usize {
        self.queued.values().map(VecDeque::len).sum()
    }
}

/// `post /calls` -> `POST /calls`.
fn normalize(operation: &str) -> String {
    match operation.split_once(' ') {
        Some((method, path)) => format!("{} {}", method.to_uppercase(), path.trim()),
        None => operation.to_owned(),
    }
}
