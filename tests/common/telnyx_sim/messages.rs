//! Messages: POST /messages (answered `queued`), then `message.sent` and `message.finalized` with
//! per-recipient statuses and error codes when the test triggers them (or automatically, see
//! [`super::TelnyxSim::set_message_outcome`]); inbound `message.received` injection.
//!
//! An account rate limit ([`RateLimit`]) answers 429 with error 40011 past its rate; every
//! accepted message keeps the time it arrived (`Message::arrived`), the send log a test checks
//! rates against.
//!
//! A slow Telnyx: the answer to POST /messages can be delayed or held while the message is taken
//! at once ([`super::TelnyxSim::set_message_answer_delay`], [`super::TelnyxSim::hold_message_answers`]).
//!
//! Event URL: the message's `webhook_url`, else its messaging profile's (`use_profile_webhooks`
//! true by default), else the simulator's default URL (real Telnyx would send nothing then).
use std::time::Instant;

use serde_json::{json, Value};

use super::reply::{self, Reply, TelnyxError};
use super::webhooks::{now_rfc3339, Outgoing};
use super::World;

/// How a message ends, for every recipient (`to[].status` of `message.finalized`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageOutcome {
    Delivered,
    /// Carrier reported failure; `errors[]` carries this code (e.g. 40003, 40011).
    DeliveryFailed(u32),
    /// Telnyx could not hand it to the carrier; `errors[]` carries this code.
    SendingFailed(u32),
    DeliveryUnconfirmed,
    Expired,
}

impl MessageOutcome {
    fn status(self) -> &'static str {
        match self {
            MessageOutcome::Delivered => "delivered",
            MessageOutcome::DeliveryFailed(_) => "delivery_failed",
            MessageOutcome::SendingFailed(_) => "sending_failed",
            MessageOutcome::DeliveryUnconfirmed => "delivery_unconfirmed",
            MessageOutcome::Expired => "expired",
        }
    }

    fn error(self) -> Option<Value> {
        let code = match self {
            MessageOutcome::DeliveryFailed(c) | MessageOutcome::SendingFailed(c) => c,
            MessageOutcome::Expired => 40005,
            _ => return None,
        };
        Some(json!({ "code": code.to_string(), "title": error_title(code), "detail": error_title(code) }))
    }
}

/// Titles of Telnyx's messaging delivery errors (developers.telnyx.com messaging error codes).
fn error_title(code: u32) -> &'static str {
    match code {
        40001 => "Not routable",
        40002 => "Blocked as spam (temporary)",
        40003 => "Blocked as spam (permanent)",
        40004 => "Rejected by destination",
        40005 => "Message expired",
        40006 => "Recipient unavailable",
        40008 => "Undeliverable",
        40009 => "Invalid message body",
        40011 => "Rate limit exceeded",
        _ => "Delivery failed",
    }
}

/// A message sent through POST /messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub text: Option<String>,
    pub media_urls: Vec<String>,
    pub messaging_profile_id: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_failover_url: Option<String>,
    /// The latest status of its recipients (`queued`, `sent`, then a final one).
    pub status: String,
    pub received_at: String,
    /// The request body as sent.
    pub request: Value,
    /// When the simulator accepted it (the send log's clock).
    pub arrived: Instant,
}

/// A message rate limit of the simulated account: Telnyx's 429 with error 40011.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Accepted messages per sliding second, over the account (or per sender).
    pub per_second: usize,
    /// Count per sending number instead of over the account.
    pub per_sender: bool,
    /// The `Retry-After` answered, in seconds.
    pub retry_after_secs: u32,
}

const RATE_LIMITED: TelnyxError = TelnyxError {
    code: "40011",
    title: "Too many requests",
    detail: "Message rate limit exceeded: slow down and retry after the Retry-After delay.",
    pointer: None,
};

const MISSING_FROM: TelnyxError = TelnyxError { pointer: Some("/from"), ..reply::MISSING_PARAMETER };
const MISSING_CONTENT: TelnyxError = TelnyxError { pointer: Some("/text"), ..reply::MISSING_PARAMETER };

/// Waits for what the test set before POST /messages answers: the answer delay, then the hold.
pub(super) async fn answer_when_let(sim: &super::Inner) {
    let delay = sim.world().config.message_answer_delay;
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut held = sim.answers_held.subscribe();
    let _ = held.wait_for(|held| !*held).await;
}

impl World {
    /// POST /messages at `now`.
    pub fn send_message(&mut self, body: &Value, now: Instant) -> Reply {
        let text = |k: &str| body[k].as_str().map(str::to_owned);
        let media_urls: Vec<String> =
            body["media_urls"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect();
        let Some(from) = text("from") else { return Reply::error(400, &MISSING_FROM) };
        if text("text").is_none() && media_urls.is_empty() {
            return Reply::error(400, &MISSING_CONTENT);
        }
        if let Some(limit) = self.config.message_rate_limit {
            let second_ago = now.checked_sub(std::time::Duration::from_secs(1));
            // Messages are pushed in arrival order (under the world's lock), so the window is a
            // suffix: walk back only through it (the benchmark keeps 100,000 messages).
            let in_window = self
                .messages
                .iter()
                .rev()
                .take_while(|m| second_ago.is_none_or(|t| m.arrived > t))
                .filter(|m| !limit.per_sender || m.from == from)
                .count();
            if in_window >= limit.per_second {
                return Reply::error(429, &RATE_LIMITED)
                    .with_header("Retry-After", &limit.retry_after_secs.to_string());
            }
        }
        let owned_profile =
            self.numbers.owned.iter().find(|n| n.phone_number == from).and_then(|n| n.messaging_profile_id.clone());
        let profile = text("messaging_profile_id").or(owned_profile);
        let use_profile = body["use_profile_webhooks"].as_bool().unwrap_or(true);
        let (profile_url, profile_failover) = match (&profile, use_profile) {
            (Some(p), true) => self.profiles.message_webhooks(p),
            _ => (None, None),
        };
        let message = Message {
            id: uuid::Uuid::new_v4().to_string(),
            from,
            to: text("to").into_iter().collect(),
            text: text("text"),
            media_urls,
            messaging_profile_id: profile,
            webhook_url: text("webhook_url").or(profile_url),
            webhook_failover_url: text("webhook_failover_url").or(profile_failover),
            status: "queued".into(),
            received_at: now_rfc3339(),
            request: body.clone(),
            arrived: now,
        };
        let reply = Reply::data(outbound_payload(&message, "queued", None));
        let id = message.id.clone();
        self.messages.push(message);
        match self.config.message_outcome {
            Some(outcome) => {
                let events = [self.message_event(&id, None), self.message_event(&id, Some(outcome))];
                reply.with_webhooks(events.into_iter().flatten().collect())
            }
            None => reply,
        }
    }

    /// `message.sent` (`outcome` None) or `message.finalized` for a sent message.
    pub fn message_event(&mut self, id: &str, outcome: Option<MessageOutcome>) -> Option<Outgoing> {
        let m = self.messages.iter_mut().find(|m| m.id == id)?;
        let (event_type, status) = match outcome {
            None => ("message.sent", "sent"),
            Some(o) => ("message.finalized", o.status()),
        };
        m.status = status.to_owned();
        let payload = outbound_payload(m, status, outcome);
        Some(Outgoing::new(event_type, payload, m.webhook_url.clone(), m.webhook_failover_url.clone()))
    }

    /// A `message.received` from `from` to the account's number `to`.
    pub fn inbound_message(&self, from: &str, to: &str, text: &str, media_urls: &[&str]) -> Outgoing {
        let profile =
            self.numbers.owned.iter().find(|n| n.phone_number == to).and_then(|n| n.messaging_profile_id.clone());
        let (url, failover) = profile.as_deref().map(|p| self.profiles.message_webhooks(p)).unwrap_or_default();
        let media: Vec<Value> =
            media_urls.iter().map(|u| json!({ "url": u, "content_type": "image/jpeg", "size": 1024 })).collect();
        let mut payload = json!({
            "record_type": "message",
            "direction": "inbound",
            "id": uuid::Uuid::new_v4().to_string(),
            "type": if media.is_empty() { "SMS" } else { "MMS" },
            "from": { "phone_number": from, "carrier": "T-Mobile USA", "line_type": "Wireless" },
            "to": [{ "phone_number": to, "status": "webhook_delivered", "carrier": "Telnyx", "line_type": "Wireless" }],
            "cc": [],
            "text": text,
            "media": media,
            "encoding": "GSM-7",
            "parts": 1,
            "errors": [],
            "tags": [],
            "cost": null,
            "received_at": now_rfc3339(),
            "webhook_url": url,
            "webhook_failover_url": failover,
        });
        if let Some(p) = &profile {
            payload["messaging_profile_id"] = json!(p);
        }
        Outgoing::new("message.received", payload, url, failover)
    }
}

/// Schema `OutboundMessagePayload`, every recipient at `status`.
fn outbound_payload(m: &Message, status: &str, outcome: Option<MessageOutcome>) -> Value {
    let text_len = m.text.as_deref().map_or(0, |t| t.chars().count());
    let to: Vec<Value> =
        m.to.iter()
            .map(|t| json!({ "phone_number": t, "status": status, "carrier": "T-Mobile USA", "line_type": "Wireless" }))
            .collect();
    let finished = outcome.is_some();
    let mut v = json!({
        "record_type": "message",
        "direction": "outbound",
        "id": m.id,
        "type": if m.media_urls.is_empty() { "SMS" } else { "MMS" },
        "from": { "phone_number": m.from, "carrier": "Telnyx", "line_type": "VoIP" },
        "to": to,
        "cc": [],
        "text": m.text.clone().unwrap_or_default(),
        "subject": null,
        "media": m.media_urls.iter().map(|u| json!({ "url": u })).collect::<Vec<_>>(),
        "encoding": "GSM-7",
        "parts": text_len.div_ceil(160).max(1),
        "tags": [],
        "errors": outcome.and_then(MessageOutcome::error).into_iter().collect::<Vec<_>>(),
        "cost": if finished { json!({ "amount": "0.0040", "currency": "USD" }) } else { Value::Null },
        "received_at": m.received_at,
        "sent_at": if status == "queued" { Value::Null } else { json!(now_rfc3339()) },
        "completed_at": if finished { json!(now_rfc3339()) } else { Value::Null },
        "valid_until": null,
        "webhook_url": m.webhook_url,
        "webhook_failover_url": m.webhook_failover_url,
    });
    if let Some(p) = &m.messaging_profile_id {
        v["messaging_profile_id"] = json!(p);
    }
    v
}
