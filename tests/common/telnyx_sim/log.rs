//! Everything the simulator saw and did: requests (with the status answered), spec violations,
//! webhook deliveries. Tests read it through [`super::TelnyxSim`]; waiting for a delivery awaits
//! a change signal instead of sleeping.
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use super::webhooks::Delivery;

/// One request the simulator answered.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub method: String,
    /// The path as requested (no query).
    pub path: String,
    /// The operation, `METHOD /template` (`POST /calls/{call_control_id}/actions/answer`), when
    /// the path is one the simulator knows.
    pub operation: Option<String>,
    /// Query pairs, percent-decoded, in order.
    pub query: Vec<(String, String)>,
    /// The body as JSON (`None` when empty or not JSON).
    pub body: Option<Value>,
    /// The status answered.
    pub status: u16,
    /// The fault injected into this request, if any (`Debug` of [`super::Fault`]).
    pub fault: Option<String>,
}

impl RequestRecord {
    /// The value of query parameter `name` (first occurrence).
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// True when the request was to `operation` (`"POST /number_orders"`).
    pub fn is(&self, operation: &str) -> bool {
        self.operation.as_deref() == Some(operation)
    }
}

/// What kind of check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// A request the spec does not allow (the client's fault).
    Request,
    /// A request to an operation the spec has but the simulator does not implement.
    Unsimulated,
    /// A response of the simulator that does not match the spec (the simulator's fault).
    Response,
    /// A webhook body the simulator sent that does not match the spec (the simulator's fault).
    Webhook,
}

/// One failed check.
#[derive(Debug, Clone)]
pub struct Violation {
    pub kind: ViolationKind,
    /// `METHOD /template`, or the event type for webhooks.
    pub operation: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {}: {}", self.kind, self.operation, self.message)
    }
}

/// The simulator's records, shared between its server thread and the test.
pub struct Log {
    requests: Mutex<Vec<RequestRecord>>,
    violations: Mutex<Vec<Violation>>,
    deliveries: Mutex<Vec<Delivery>>,
    /// Bumped on every new request and delivery.
    changed: watch::Sender<u64>,
}

impl Log {
    pub fn new() -> Log {
        Log {
            requests: Mutex::default(),
            violations: Mutex::default(),
            deliveries: Mutex::default(),
            changed: watch::channel(0).0,
        }
    }

    pub fn request(&self, record: RequestRecord) {
        lock(&self.requests).push(record);
        self.changed.send_modify(|n| *n += 1);
    }

    pub fn violation(&self, kind: ViolationKind, operation: &str, message: &str) {
        eprintln!("telnyx_sim: spec violation: {kind:?} {operation}: {message}");
        lock(&self.violations).push(Violation { kind, operation: operation.to_owned(), message: message.to_owned() });
    }

    pub fn delivered(&self, delivery: Delivery) {
        lock(&self.deliveries).push(delivery);
        self.changed.send_modify(|n| *n += 1);
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.requests).clone()
    }

    pub fn violations(&self) -> Vec<Violation> {
        lock(&self.violations).clone()
    }

    pub fn take_violations(&self) -> Vec<Violation> {
        std::mem::take(&mut *lock(&self.violations))
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.deliveries).clone()
    }

    /// The first delivery (in order) that `pred` accepts, awaiting new ones until `limit`;
    /// `None` after the limit.
    pub async fn wait_delivery(&self, limit: Duration, pred: impl Fn(&Delivery) -> bool) -> Option<Delivery> {
        self.wait(limit, || lock(&self.deliveries).iter().find(|d| pred(d)).cloned()).await
    }

    /// The first request (in order) that `pred` accepts, awaiting new ones until `limit`.
    pub async fn wait_request(&self, limit: Duration, pred: impl Fn(&RequestRecord) -> bool) -> Option<RequestRecord> {
        self.wait(limit, || lock(&self.requests).iter().find(|r| pred(r)).cloned()).await
    }

    async fn wait<T>(&self, limit: Duration, find: impl Fn() -> Option<T>) -> Option<T> {
        let mut rx = self.changed.subscribe();
        let wait = async {
            loop {
                if let Some(found) = find() {
                    return found;
                }
                if rx.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(limit, wait).await.ok()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
