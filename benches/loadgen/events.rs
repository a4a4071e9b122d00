//! Pre-signed webhook requests. The spread shape: every event counts one counter of one of the
//! spread companies' numbers (a message received, a message sent, an inbound call).
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};

use crate::seed::number;
use crate::Args;

/// The spread shape's events, every one counted once.
pub fn requests(a: &Args, key: &SigningKey, port: u16) -> Vec<Vec<u8>> {
    let signer = WebhookSigner::new(key, port);
    (0..a.events)
        .map(|i| {
            let (event_type, payload) = spread_event(a, i);
            signer.request(&format!("{}-{i}", uuid::Uuid::new_v4()), event_type, payload)
        })
        .collect()
}

/// Event `i` of the spread shape: its type and payload.
pub fn spread_event(a: &Args, i: usize) -> (&'static str, Value) {
    let n = number(i % a.companies, (i / a.companies) % a.numbers);
    let payload = match i % 3 {
        0 => {
            json!({"id": "m", "direction": "inbound", "type": "SMS", "text": "Hello, I would like to know more about the plan we talked about yesterday.",
            "from": {"phone_number": "+12065550100", "carrier": "T-Mobile USA", "line_type": "Wireless"},
            "to": [{"phone_number": n, "status": "webhook_delivered", "carrier": "Telnyx", "line_type": "Wireline"}],
            "cc": [], "media": [], "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
            "organization_id": "b448f9cc-a842-4784-98e9-03c1a5872950", "parts": 1, "encoding": "GSM-7", "tags": [],
            "received_at": "2026-11-25T10:00:00.000+00:00", "webhook_url": "https://example.com/webhooks/telnyx"})
        }
        1 => json!({"id": "m", "direction": "outbound", "type": "SMS", "text": "Thanks, we will call you back.",
            "from": {"phone_number": n, "carrier": "Telnyx", "line_type": "Wireline"},
            "to": [{"phone_number": "+12065550100", "status": "sent", "carrier": "T-Mobile USA", "line_type": "Wireless"}],
            "cost": {"amount": "0.0040", "currency": "USD"}, "parts": 1, "encoding": "GSM-7",
            "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809"}),
        _ => json!({"call_control_id": "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
            "call_leg_id": "428c31b6-7af4-4bcb-b7f5-5013ef9657c1", "call_session_id": "428c31b6-abf3-4bcb-b7f5-5013ef9657c1",
            "client_state": "aGF2ZSBhIG5pY2UgZGF5ID1d", "connection_id": "7267xxxxxxxxxxxxxx",
            "from": "+12065550100", "to": n, "direction": "incoming", "state": "parked",
            "start_time": "2026-11-25T10:00:00.000000Z", "caller_id_name": "Customer"}),
    };
    (["message.received", "message.sent", "call.initiated"][i % 3], payload)
}

/// Signs events as Telnyx does, each as a whole HTTP/1.1 request to the daemon.
pub struct WebhookSigner<'k> {
    key: &'k SigningKey,
    port: u16,
    ts: u64,
    /// Telnyx's `occurred_at` of the next event: now when signing starts, then 1 us later per
    /// event, so events occur in the order they are sent, as in production. The keys go to
    /// today's dedupe partition, and every copy of a request carries the same time.
    next_at: std::cell::Cell<chrono::DateTime<chrono::Utc>>,
}

impl<'k> WebhookSigner<'k> {
    pub fn new(key: &'k SigningKey, port: u16) -> Self {
        let now = chrono::Utc::now();
        let ts = now.timestamp() as u64;
        WebhookSigner { key, port, ts, next_at: std::cell::Cell::new(now) }
    }

    /// The request delivering event `id` of `event_type` with `payload`.
    pub fn request(&self, id: &str, event_type: &str, payload: Value) -> Vec<u8> {
        let (ts, port) = (self.ts, self.port);
        let at = self.next_at.get();
        self.next_at.set(at + chrono::Duration::microseconds(1));
        let occurred_at = at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let body = serde_json::to_vec(&json!({"data": {"event_type": event_type, "id": id,
            "occurred_at": occurred_at, "payload": payload, "record_type": "event"},
            "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks/telnyx"}}))
        .unwrap();
        let mut msg = format!("{ts}|").into_bytes();
        msg.extend_from_slice(&body);
        let sig = base64::engine::general_purpose::STANDARD.encode(self.key.sign(&msg).to_bytes());
        let mut req = format!(
            "POST /webhooks/telnyx HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n\
             telnyx-signature-ed25519: {sig}\r\ntelnyx-timestamp: {ts}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(&body);
        req
    }
}
