//! Signed webhook delivery to the daemon, as Telnyx does it (see ../shared/telnyx/NOTES.md §1-3).
//!
//! Envelope: `{"data": {"event_type", "id", "occurred_at", "payload", "record_type": "event"},
//! "meta": {"attempt", "delivered_to"}}`; headers `telnyx-timestamp` (Unix seconds) and
//! `telnyx-signature-ed25519` (standard base64 of the Ed25519 signature over
//! `timestamp|raw body`). A delivery answered with a non-2xx status (or not at all) is tried again
//! `retries` more times when the test asked for retries, then at the failover URL if one is set;
//! every attempt keeps the event id and increments `meta.attempt`.
use std::time::Duration;

use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{json, Value};

use super::Inner;

/// A webhook to send: the event and where it goes.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub event_type: String,
    pub payload: Value,
    /// The primary URL (a profile's or application's, a command's `webhook_url`), else the
    /// simulator's default URL ([`super::TelnyxSim::set_webhook_url`]).
    pub url: Option<String>,
    pub failover_url: Option<String>,
}

impl Outgoing {
    pub fn new(event_type: &str, payload: Value, url: Option<String>, failover_url: Option<String>) -> Outgoing {
        Outgoing { event_type: event_type.to_owned(), payload, url, failover_url }
    }
}

/// One delivery attempt, as recorded by the simulator.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `data.id` of the event (the same on every attempt).
    pub event_id: String,
    pub event_type: String,
    pub url: String,
    /// `meta.attempt`, from 1.
    pub attempt: u32,
    /// What the receiver answered; `None` when it could not be reached (see `error`).
    pub status: Option<u16>,
    pub error: Option<String>,
    /// The exact body sent (the signed bytes).
    pub body: String,
    pub timestamp: String,
    pub signature: String,
}

impl Delivery {
    /// The envelope as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// `data.payload` of the envelope.
    pub fn payload(&self) -> Value {
        self.json()["data"]["payload"].clone()
    }

    /// True when the receiver answered 2xx.
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// How deliveries are retried (off by default: one attempt, so a test sees the first answer).
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryPolicy {
    /// Further attempts per URL after a failed one.
    pub retries: u32,
    /// Wait between attempts (none by default; tests must not depend on time).
    pub delay: Duration,
}

/// Signs `timestamp|body` with `key`: standard padded base64 of the 64-byte signature.
pub fn sign(key: &SigningKey, timestamp: &str, body: &str) -> String {
    let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'|');
    message.extend_from_slice(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(key.sign(&message).to_bytes())
}

/// RFC 3339 with microseconds and `Z`, as call-control events carry it.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl super::World {
    /// [`now_rfc3339`] on the simulator's clock ([`super::TelnyxSim::advance_clock`] moves it):
    /// the `start_time` of call legs and the `occurred_at` of events follow it, so that a test can
    /// let a call last without waiting.
    pub fn clock_rfc3339(&self) -> String {
        let offset = chrono::Duration::from_std(self.config.clock_offset).unwrap_or_default();
        (chrono::Utc::now() + offset).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }
}

/// Delivers `out` with retries and failover; returns every attempt made (the last one last).
pub async fn deliver(inner: &Inner, out: Outgoing) -> Vec<Delivery> {
    let event_id = uuid::Uuid::new_v4().to_string();
    let occurred_at = inner.world().clock_rfc3339();
    let policy = inner.world().config.retry;
    let primary = out.url.clone().or_else(|| inner.world().config.webhook_url.clone());
    let mut attempts = Vec::new();
    let mut attempt = 0u32;
    for url in [primary, out.failover_url.clone()].into_iter().flatten() {
        for _ in 0..=policy.retries {
            if attempt > 0 && !policy.delay.is_zero() {
                tokio::time::sleep(policy.delay).await;
            }
            attempt += 1;
            let envelope = json!({
                "data": {
                    "event_type": out.event_type,
                    "id": event_id,
                    "occurred_at": occurred_at,
                    "payload": out.payload,
                    "record_type": "event",
                },
                "meta": { "attempt": attempt, "delivered_to": url },
            });
            if let Some(spec) = inner.spec {
                for problem in spec.check_webhook(&out.event_type, &envelope) {
                    inner.log.violation(super::log::ViolationKind::Webhook, &out.event_type, &problem);
                }
            }
            let delivery = post(inner, &event_id, &out.event_type, &url, attempt, envelope.to_string()).await;
            let done = delivery.accepted();
            inner.log.delivered(delivery.clone());
            attempts.push(delivery);
            if done {
                return attempts;
            }
        }
    }
    if attempts.is_empty() {
        let delivery = Delivery {
            event_id,
            event_type: out.event_type.clone(),
            url: String::new(),
            attempt: 0,
            status: None,
            error: Some("no webhook URL: call TelnyxSim::set_webhook_url".into()),
            body: String::new(),
            timestamp: String::new(),
            signature: String::new(),
        };
        inner.log.delivered(delivery.clone());
        attempts.push(delivery);
    }
    attempts
}

/// The event of `previous` once more, as Telnyx delivers an event twice (a retry after a slow
/// answer, a duplicate): same id and payload, `meta.attempt` + 1, signed anew, to the same URL.
pub async fn redeliver(inner: &Inner, previous: &Delivery) -> Delivery {
    let mut envelope = previous.json();
    let attempt = previous.attempt + 1;
    envelope["meta"]["attempt"] = json!(attempt);
    let body = envelope.to_string();
    let delivery = post(inner, &previous.event_id, &previous.event_type, &previous.url, attempt, body).await;
    inner.log.delivered(delivery.clone());
    delivery
}

async fn post(inner: &Inner, event_id: &str, event_type: &str, url: &str, attempt: u32, body: String) -> Delivery {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = sign(&inner.key, &timestamp, &body);
    let sent = inner
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("telnyx-timestamp", &timestamp)
        .header("telnyx-signature-ed25519", &signature)
        .body(body.clone())
        .send()
        .await;
    let (status, error) = match sent {
        Ok(resp) => (Some(resp.status().as_u16()), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Delivery {
        event_id: event_id.to_owned(),
        event_type: event_type.to_owned(),
        url: url.to_owned(),
        attempt,
        status,
        error,
        body,
        timestamp,
        signature,
    }
}
