//! Building and signing Telnyx-shaped webhooks the way Telnyx does (Ed25519 over "timestamp|body").
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};

pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[7u8; 32])
}

/// The public key as the Telnyx portal shows it.
pub fn public_key_b64() -> String {
    base64::engine::general_purpose::STANDARD.encode(signing_key().verifying_key().to_bytes())
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

pub fn sign_with(key: &SigningKey, ts: i64, body: &[u8]) -> String {
    let mut msg = format!("{ts}|").into_bytes();
    msg.extend_from_slice(body);
    base64::engine::general_purpose::STANDARD.encode(key.sign(&msg).to_bytes())
}

fn envelope(id: &str, event_type: &str, payload: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "data": {"event_type": event_type, "id": id, "occurred_at": "2026-11-25T10:00:00.000+00:00",
                 "payload": payload, "record_type": "event"},
        "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks/telnyx"}
    }))
    .unwrap()
}

pub fn message_received(id: &str, from: &str, to: &[&str], cc: &[&str], text: &str) -> Vec<u8> {
    let party = |n: &&str| json!({"phone_number": n, "status": "webhook_delivered", "carrier": "T-Mobile USA", "line_type": "Wireless"});
    envelope(
        id,
        "message.received",
        json!({
            "id": "msg-1", "record_type": "message", "direction": "inbound", "type": "SMS",
            "from": {"phone_number": from, "carrier": "T-Mobile USA", "line_type": "Wireless"},
            "to": to.iter().map(party).collect::<Vec<_>>(), "cc": cc.iter().map(party).collect::<Vec<_>>(),
            "text": text, "media": [], "messaging_profile_id": "mp-1"
        }),
    )
}

pub fn message_sent(id: &str, from: &str, to: &str) -> Vec<u8> {
    envelope(
        id,
        "message.sent",
        json!({
            "id": "msg-2", "record_type": "message", "direction": "outbound", "type": "SMS",
            "from": {"phone_number": from, "carrier": "Telnyx", "line_type": "Wireline"},
            "to": [{"phone_number": to, "status": "sent", "carrier": "T-Mobile USA", "line_type": "Wireless"}],
            "text": "hello", "cost": {"amount": "0.0040", "currency": "USD"}
        }),
    )
}

/// A `message.finalized` from `from`: each recipient with its status, the message's error codes.
pub fn message_finalized(id: &str, from: &str, to: &[(&str, &str)], error_codes: &[&str]) -> Vec<u8> {
    envelope(
        id,
        "message.finalized",
        json!({
            "id": format!("msg-{id}"), "record_type": "message", "direction": "outbound", "type": "SMS",
            "from": {"phone_number": from, "carrier": "Telnyx", "line_type": "Wireline"},
            "to": to.iter().map(|(n, s)| json!({"phone_number": n, "status": s})).collect::<Vec<_>>(),
            "errors": error_codes.iter().map(|c| json!({"code": c, "title": "failed"})).collect::<Vec<_>>(),
            "text": "hello"
        }),
    )
}

pub fn call_initiated(id: &str, from: &str, to: &str, direction: &str) -> Vec<u8> {
    call_event(id, "call.initiated", from, to, direction)
}

/// A call control event; `direction` is only sent on call.initiated, as Telnyx does.
pub fn call_event(id: &str, event_type: &str, from: &str, to: &str, direction: &str) -> Vec<u8> {
    let mut payload = json!({
        "call_control_id": format!("v3:{id}"), "call_leg_id": "leg-1", "call_session_id": "sess-1",
        "connection_id": "1234", "from": from, "to": to, "direction": direction, "state": "parked",
        "start_time": "2026-11-25T10:00:00.000000Z"
    });
    if event_type != "call.initiated" {
        payload.as_object_mut().unwrap().remove("direction");
    }
    envelope(id, event_type, payload)
}

pub fn event_of_type(id: &str, event_type: &str) -> Vec<u8> {
    envelope(id, event_type, json!({"anything": [1, 2, 3]}))
}

/// A call event of the leg `call_control_id` carrying `client_state` (as Telnyx echoes the state
/// of the leg's last command); `direction` only on call.initiated.
pub fn call_event_with_state(
    id: &str,
    event_type: &str,
    call_control_id: &str,
    (from, to, direction): (&str, &str, &str),
    client_state: &str,
) -> Vec<u8> {
    let mut payload = json!({
        "call_control_id": call_control_id, "call_leg_id": "leg-2", "call_session_id": "sess-1",
        "connection_id": "1234", "from": from, "to": to, "client_state": client_state,
        "start_time": "2026-11-25T10:00:00.000000Z"
    });
    if event_type == "call.initiated" {
        payload["direction"] = direction.into();
        payload["state"] = if direction == "incoming" { "parked" } else { "bridging" }.into();
    }
    envelope(id, event_type, payload)
}

/// A `call.hangup` of leg `v3:<id>` from `from` to `to` with `cause`, carrying `client_state`
/// when given, whose call started `lasted_secs` before the event (`occurred_at`).
pub fn call_hangup(
    id: &str,
    (from, to): (&str, &str),
    cause: &str,
    client_state: Option<&str>,
    lasted_secs: i64,
) -> Vec<u8> {
    let ended: chrono::DateTime<chrono::Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
    let started = ended - chrono::Duration::seconds(lasted_secs);
    let mut payload = json!({
        "call_control_id": format!("v3:{id}"), "call_leg_id": format!("leg-{id}"), "call_session_id": "sess-1",
        "connection_id": "1234", "from": from, "to": to, "state": "hangup", "hangup_cause": cause,
        "hangup_source": "caller", "sip_hangup_cause": "unspecified",
        "start_time": started.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    });
    if let Some(state) = client_state {
        payload["client_state"] = state.into();
    }
    envelope(id, "call.hangup", payload)
}
