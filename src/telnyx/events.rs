//! Telnyx API v2 webhook envelope, parsed straight from the raw (verified) body.
//!
//! `{"data": {"id", "event_type", "occurred_at", "payload": {...}}, "meta": {"attempt"}}`
//!
//! Each event type requires only the fields switchboard acts on; everything else may be absent
//! or `null` (`fields` says how each kind of field is read). Nothing undeclared is materialised, so a
//! changed unused field cannot break ingestion. A used field with the wrong type is an error with
//! a one-line reason for the 400 body. Types that are only acknowledged (`call.answered`,
//! `call.bridged`, `call.hangup`, `message.finalized`) never fail on their payload.
//! Hostile input: unused values (however deeply nested) are skipped by
//! serde_json's iterative `ignore_value`, so they cannot overflow the stack;
//! used values are bounded by the recursion limit (128). Invalid UTF-8, raw
//! control characters, a non-object body and duplicate used keys are rejected;
//! unused numbers of any size are skipped without conversion.

mod calls;
mod fields;
mod media;
mod messages;
mod orders;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;

pub use calls::{CallAnswered, CallBridged, CallDirection, CallHangup, CallInitiated, CallLeg};
pub use media::{CallMachineDetection, CallRecordingSaved, CallSpeakEnded, RecordingUrls};
pub use messages::{
    DeliveryRecipient, Media, MessageError, MessageFinalized, MessageParty, MessageReceived, MessageSent, MessageType,
};
pub use orders::{NumberOrderComplete, OrderStatus, OrderedNumber};

/// Longest accepted `data.id` (Telnyx sends 36-character UUIDs).
pub const MAX_EVENT_ID_LEN: usize = 128;
/// Longest error detail copied from serde into a reason.
const MAX_DETAIL_LEN: usize = 160;

/// One webhook delivery. Borrows from the request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// `data.id`: the event id, the dedupe key (same on every redelivery).
    pub id: Cow<'a, str>,
    /// `data.event_type`, verbatim (for `Other` events too).
    pub event_type: Cow<'a, str>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub payload: EventPayload<'a>,
    /// `meta.attempt`: delivery attempt, starting at 1 (`None` when absent or not a small
    /// non-negative integer).
    pub attempt: Option<u32>,
}

/// The payload of the event types switchboard acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventPayload<'a> {
    MessageReceived(MessageReceived<'a>),
    MessageSent(MessageSent<'a>),
    MessageFinalized(MessageFinalized<'a>),
    CallInitiated(CallInitiated<'a>),
    CallAnswered(CallAnswered<'a>),
    CallBridged(CallBridged<'a>),
    CallHangup(CallHangup<'a>),
    CallSpeakEnded(CallSpeakEnded<'a>),
    CallMachineDetectionEnded(CallMachineDetection<'a>),
    CallRecordingSaved(CallRecordingSaved<'a>),
    NumberOrderComplete(NumberOrderComplete<'a>),
    /// Any other event type: acknowledged and counted, payload not read.
    Other,
}

impl EventPayload<'_> {
    /// Metric label from a fixed set: the event type, or "other".
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::MessageReceived(_) => "message.received",
            Self::MessageSent(_) => "message.sent",
            Self::MessageFinalized(_) => "message.finalized",
            Self::CallInitiated(_) => "call.initiated",
            Self::CallAnswered(_) => "call.answered",
            Self::CallBridged(_) => "call.bridged",
            Self::CallHangup(_) => "call.hangup",
            Self::CallSpeakEnded(_) => "call.speak.ended",
            Self::CallMachineDetectionEnded(_) => "call.machine.detection.ended",
            Self::CallRecordingSaved(_) => "call.recording.saved",
            Self::NumberOrderComplete(_) => "number_order.complete",
            Self::Other => "other",
        }
    }

    /// Every value `metric_label` can return.
    pub const METRIC_LABELS: [&'static str; 12] = [
        "message.received",
        "message.sent",
        "message.finalized",
        "call.initiated",
        "call.answered",
        "call.bridged",
        "call.hangup",
        "call.speak.ended",
        "call.machine.detection.ended",
        "call.recording.saved",
        "number_order.complete",
        "other",
    ];
}

/// Why a body is not a usable v2 envelope (answered 400 with `to_string()`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("malformed JSON: {detail} at line {line} column {column}")]
    Json { detail: String, line: usize, column: usize },
    #[error("missing data")]
    MissingData,
    #[error("missing data.id")]
    MissingId,
    #[error("invalid data.id: {0}")]
    BadId(&'static str),
    #[error("missing data.event_type")]
    MissingEventType,
    #[error("invalid data.occurred_at: not an RFC 3339 date-time")]
    BadOccurredAt,
    #[error("missing data.payload for {0}")]
    MissingPayload(&'static str),
    #[error("invalid data.payload for {event_type}: {detail} at line {line} column {column}")]
    Payload { event_type: &'static str, detail: String, line: usize, column: usize },
}

impl EnvelopeError {
    /// Metric label from a fixed set.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::Json { .. } => "malformed_json",
            Self::MissingData => "missing_data",
            Self::MissingId => "missing_id",
            Self::BadId(_) => "bad_id",
            Self::MissingEventType => "missing_event_type",
            Self::BadOccurredAt => "bad_occurred_at",
            Self::MissingPayload(_) => "missing_payload",
            Self::Payload { .. } => "bad_payload",
        }
    }
}

#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(borrow, default)]
    data: Option<RawData<'a>>,
    #[serde(default, deserialize_with = "fields::lenient_object")]
    meta: Option<RawMeta>,
}

#[derive(Deserialize)]
struct RawData<'a> {
    #[serde(borrow, default, deserialize_with = "fields::borrowed_opt")]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "fields::borrowed_opt")]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "fields::borrowed_opt")]
    occurred_at: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    payload: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawMeta {
    #[serde(default, deserialize_with = "fields::lenient")]
    attempt: Option<u32>,
}

/// Parses a v2 webhook body. Call only after the signature was verified.
pub fn parse_envelope(body: &[u8]) -> Result<Envelope<'_>, EnvelopeError> {
    // serde accepts a JSON array for a struct (fields by position); refuse it.
    if let Some(pos) = body.iter().position(|b| !b" \t\r\n".contains(b)) {
        if body[pos] != b'{' {
            let (newlines, column) = position_at(body, pos);
            return Err(EnvelopeError::Json {
                detail: "expected a JSON object".to_owned(),
                line: newlines + 1,
                column: column + 1,
            });
        }
    }
    let raw: RawEnvelope<'_> = serde_json::from_slice(body).map_err(|e| {
        let (detail, line, column) = split_error(&e, 0, 0);
        EnvelopeError::Json { detail, line, column }
    })?;
    let data = raw.data.ok_or(EnvelopeError::MissingData)?;
    let id = data.id.ok_or(EnvelopeError::MissingId)?;
    check_id(&id)?;
    let event_type = data.event_type.ok_or(EnvelopeError::MissingEventType)?;
    let occurred_at = match data.occurred_at {
        Some(text) => {
            Some(DateTime::parse_from_rfc3339(&text).map_err(|_| EnvelopeError::BadOccurredAt)?.with_timezone(&Utc))
        }
        None => None,
    };
    let payload = parse_payload(body, &event_type, data.payload)?;
    Ok(Envelope { id, event_type, occurred_at, payload, attempt: raw.meta.and_then(|m| m.attempt) })
}

fn check_id(id: &str) -> Result<(), EnvelopeError> {
    if id.is_empty() {
        Err(EnvelopeError::BadId("empty"))
    } else if id.chars().count() > MAX_EVENT_ID_LEN {
        Err(EnvelopeError::BadId("longer than 128 characters"))
    } else if id.chars().any(char::is_control) {
        Err(EnvelopeError::BadId("contains control characters"))
    } else {
        Ok(())
    }
}

fn parse_payload<'a>(
    body: &'a [u8],
    event_type: &str,
    raw: Option<&'a RawValue>,
) -> Result<EventPayload<'a>, EnvelopeError> {
    use EventPayload as P;
    match event_type {
        "message.received" => typed(body, "message.received", raw).map(P::MessageReceived),
        "message.sent" => typed(body, "message.sent", raw).map(P::MessageSent),
        "message.finalized" => Ok(P::MessageFinalized(acknowledged(raw))),
        "call.initiated" => typed(body, "call.initiated", raw).map(P::CallInitiated),
        "call.answered" => Ok(P::CallAnswered(acknowledged(raw))),
        "call.bridged" => Ok(P::CallBridged(acknowledged(raw))),
        "call.hangup" => Ok(P::CallHangup(acknowledged(raw))),
        "call.speak.ended" => Ok(P::CallSpeakEnded(acknowledged(raw))),
        "call.machine.detection.ended" => Ok(P::CallMachineDetectionEnded(acknowledged(raw))),
        "call.recording.saved" => Ok(P::CallRecordingSaved(acknowledged(raw))),
        "number_order.complete" => typed(body, "number_order.complete", raw).map(P::NumberOrderComplete),
        _ => Ok(P::Other),
    }
}

fn typed<'a, T: Deserialize<'a>>(
    body: &'a [u8],
    event_type: &'static str,
    raw: Option<&'a RawValue>,
) -> Result<T, EnvelopeError> {
    let raw = raw.ok_or(EnvelopeError::MissingPayload(event_type))?;
    let text = raw.get();
    serde_json::from_str(text).map_err(|e| {
        let (line0, col0) = position_of(body, text);
        let (detail, line, column) = split_error(&e, line0, col0);
        EnvelopeError::Payload { event_type, detail, line, column }
    })
}

/// The payload of a type that is only acknowledged: read what is readable, never an error.
fn acknowledged<'a, T: Deserialize<'a> + Default>(raw: Option<&'a RawValue>) -> T {
    raw.and_then(fields::object).unwrap_or_default()
}

/// Line (0-based count of newlines before) and column (1-based) at which the
/// payload text starts inside the body; only computed on the error path.
fn position_of(body: &[u8], inner: &str) -> (usize, usize) {
    let offset =
        (inner.as_ptr() as usize).checked_sub(body.as_ptr() as usize).filter(|&o| o <= body.len()).unwrap_or(0);
    position_at(body, offset)
}

/// Newlines before `offset` and the 0-based column of `offset` in its line.
fn position_at(body: &[u8], offset: usize) -> (usize, usize) {
    let before = &body[..offset];
    let newlines = before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    (newlines, offset - line_start)
}

/// serde's message without its position suffix, made one short line, and the
/// position translated into the whole body.
fn split_error(e: &serde_json::Error, line0: usize, col0: usize) -> (String, usize, usize) {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    let mut detail: String = msg.chars().map(|c| if c.is_control() { ' ' } else { c }).take(MAX_DETAIL_LEN).collect();
    if msg.chars().count() > MAX_DETAIL_LEN {
        detail.push_str("...");
    }
    let line = e.line() + line0;
    let column = if e.line() <= 1 { e.column() + col0 } else { e.column() };
    (detail, line, column)
}

#[cfg(test)]
mod tests;
