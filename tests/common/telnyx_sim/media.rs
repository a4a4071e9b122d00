//! What plays on and records a call: speak (text to speech), record_start / record_stop, and
//! answering machine detection's result.
//!
//! - `speak` on an answered leg: `call.speak.started`, then `call.speak.ended` (`completed`) at
//!   once (the simulator has no audio, so speaking takes no time).
//! - `record_start` on an answered leg starts a recording; `record_stop`, or the leg's hangup
//!   (after its `call.hangup`), saves it: `call.recording.saved` with `recording_urls` in the
//!   requested format, under [`RECORDING_BASE`].
//! - A dial or transfer asking for `answering_machine_detection` (anything but `disabled`) gets,
//!   when its leg is answered, `call.machine.detection.ended` with `result` `human`, or `machine`
//!   for a target scripted so ([`super::scripts`]).
//!
//! Each event carries the leg's current `client_state` (the one the command set, if any).
use serde_json::{json, Value};

use super::calls::{leg_event, Leg};
use super::webhooks::{now_rfc3339, Outgoing};
use super::World;

/// Where the simulated recordings live (never fetched: tests only pass the URL along).
pub const RECORDING_BASE: &str = "https://recordings.telnyx-sim.example/";

/// A recording in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// `mp3` or `wav`.
    pub format: String,
    pub channels: String,
    pub started_at: String,
}

/// Whether a dial or transfer body asks for answering machine detection.
pub fn detection_requested(body: &Value) -> bool {
    body["answering_machine_detection"].as_str().is_some_and(|m| m != "disabled")
}

/// The leg's ids, connection and client_state (what every media event carries), plus `extra`.
fn media_event(l: &Leg, event_type: &str, extra: Value) -> Outgoing {
    let mut payload = json!({
        "call_control_id": l.call_control_id,
        "call_leg_id": l.call_leg_id,
        "call_session_id": l.call_session_id,
        "connection_id": l.connection_id,
    });
    if let Some(cs) = &l.client_state {
        payload["client_state"] = json!(cs);
    }
    if let (Some(p), Some(e)) = (payload.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    Outgoing::new(event_type, payload, l.webhook_url.clone(), l.webhook_failover_url.clone())
}

/// `call.machine.detection.ended` for a leg just answered.
pub fn detection_ended(l: &Leg) -> Outgoing {
    let result = if l.answered_by_machine { "machine" } else { "human" };
    let mut event = leg_event(l, "call.machine.detection.ended", json!({ "result": result }));
    if let Some(p) = event.payload.as_object_mut() {
        p.remove("start_time");
    }
    event
}

/// Ends the leg's recording, if one runs: its `call.recording.saved`.
pub fn stop_recording(l: &mut Leg) -> Option<Outgoing> {
    let rec = l.recording.take()?;
    let url = format!("{RECORDING_BASE}{}.{}", uuid::Uuid::new_v4().simple(), rec.format);
    let (mp3, wav) = if rec.format == "wav" { (Value::Null, json!(url)) } else { (json!(url), Value::Null) };
    Some(media_event(
        l,
        "call.recording.saved",
        json!({
            "channels": rec.channels,
            "recording_started_at": rec.started_at,
            "recording_ended_at": now_rfc3339(),
            "recording_urls": { "mp3": mp3, "wav": wav },
            "public_recording_urls": { "mp3": mp3, "wav": wav },
        }),
    ))
}

impl World {
    /// POST .../actions/speak on an answered leg.
    pub(super) fn speak(&mut self, ccid: &str) -> Vec<Outgoing> {
        let Some(l) = self.calls.get(ccid) else { return Vec::new() };
        vec![
            media_event(l, "call.speak.started", json!({})),
            media_event(l, "call.speak.ended", json!({ "status": "completed" })),
        ]
    }

    /// POST .../actions/record_start on an answered leg (a second start while one runs: ignored).
    pub(super) fn record_start(&mut self, ccid: &str, body: &Value) -> Vec<Outgoing> {
        let Some(l) = self.calls.get_mut(ccid) else { return Vec::new() };
        if l.recording.is_none() {
            l.recording = Some(Recording {
                format: body["format"].as_str().unwrap_or("mp3").to_owned(),
                channels: body["channels"].as_str().unwrap_or("single").to_owned(),
                started_at: now_rfc3339(),
            });
        }
        Vec::new()
    }

    /// POST .../actions/record_stop: the recording is saved.
    pub(super) fn record_stop(&mut self, ccid: &str) -> Vec<Outgoing> {
        self.calls.get_mut(ccid).and_then(stop_recording).into_iter().collect()
    }
}
