//! Call Control commands that play on and record a call: speak (text to speech) and
//! record_start (POST /calls/{call_control_id}/actions/...).
use serde::Serialize;

use super::{ClientState, CommandId, Endpoint, TelnyxClient, TelnyxError};

/// Body of POST /calls/{id}/actions/speak (spec schema `SpeakRequest`; required: payload, voice).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpeakRequest {
    /// The text spoken.
    pub payload: String,
    /// `female` or `male` at the basic service level.
    pub voice: &'static str,
    pub language: &'static str,
    pub service_level: &'static str,
    pub command_id: CommandId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
}

impl SpeakRequest {
    /// `text` in a basic female en-US voice.
    pub fn new(text: impl Into<String>, command_id: CommandId) -> Self {
        Self {
            payload: text.into(),
            voice: "female",
            language: "en-US",
            service_level: "basic",
            command_id,
            client_state: None,
        }
    }
}

/// Body of POST /calls/{id}/actions/record_start (spec schema `StartRecordingRequest`; required:
/// format, channels).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordStartRequest {
    pub format: &'static str,
    pub channels: &'static str,
    pub play_beep: bool,
    /// Seconds; the recording stops there (0 would be unlimited).
    pub max_length: u32,
    pub command_id: CommandId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
}

impl RecordStartRequest {
    /// A voicemail: mono mp3 after a beep, at most `max_length` seconds.
    pub fn voicemail(max_length: u32, command_id: CommandId) -> Self {
        Self { format: "mp3", channels: "single", play_beep: true, max_length, command_id, client_state: None }
    }
}

impl TelnyxClient {
    /// POST /calls/{call_control_id}/actions/speak. [`super::Retry::Command`].
    pub async fn speak(&self, call_control_id: &str, req: &SpeakRequest) -> Result<(), TelnyxError> {
        self.command(Endpoint::Speak, call_control_id, "speak", req).await
    }

    /// POST /calls/{call_control_id}/actions/record_start. [`super::Retry::Command`].
    pub async fn record_start(&self, call_control_id: &str, req: &RecordStartRequest) -> Result<(), TelnyxError> {
        self.command(Endpoint::RecordStart, call_control_id, "record_start", req).await
    }
}
