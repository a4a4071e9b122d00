//! Call Control payloads of what plays on and records a call, and of answering machine detection:
//! `call.speak.ended`, `call.machine.detection.ended`, `call.recording.saved`. Read leniently (no
//! field can fail them): switchboard acts on them only for its own legs, known by `client_state`.
use std::borrow::Cow;

use serde::Deserialize;

use super::fields::lenient_text;
use crate::telnyx::client_state::LegState;

/// `call.speak.ended`: the leg, its `client_state`, and how the speech ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CallSpeakEnded<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_control_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub client_state: Option<Cow<'a, str>>,
    /// completed, call_hangup, cancelled_amd.
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub status: Option<Cow<'a, str>>,
}

/// `call.machine.detection.ended`: who answered a leg.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CallMachineDetection<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_control_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub client_state: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub connection_id: Option<Cow<'a, str>>,
    /// human, machine, not_sure.
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub result: Option<Cow<'a, str>>,
}

/// `call.recording.saved`: where a leg's recording is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CallRecordingSaved<'a> {
    /// Not in the spec's schema of this event, but sent by Telnyx [guess]; not relied on.
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_control_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub client_state: Option<Cow<'a, str>>,
    /// Valid for 10 minutes.
    #[serde(borrow, default)]
    pub recording_urls: Option<RecordingUrls<'a>>,
    /// Valid as long as the file exists (when the account has them).
    #[serde(borrow, default)]
    pub public_recording_urls: Option<RecordingUrls<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub recording_started_at: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub recording_ended_at: Option<Cow<'a, str>>,
}

/// A recording's URLs by format (either may be null).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RecordingUrls<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub mp3: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub wav: Option<Cow<'a, str>>,
}

impl RecordingUrls<'_> {
    /// The first URL there is (mp3 first).
    pub fn any(&self) -> Option<&str> {
        self.mp3.as_deref().or(self.wav.as_deref()).filter(|u| !u.is_empty())
    }
}

impl CallRecordingSaved<'_> {
    /// The URL to hand on: the public one when there is one (it lasts), else the 10-minute one.
    pub fn url(&self) -> Option<&str> {
        self.public_recording_urls
            .as_ref()
            .and_then(RecordingUrls::any)
            .or(self.recording_urls.as_ref().and_then(RecordingUrls::any))
    }
}

/// Decodes a `client_state` as switchboard's own, when it is.
fn leg_state(client_state: Option<&Cow<'_, str>>) -> Option<LegState> {
    client_state.and_then(|s| LegState::from_client_state(s))
}

impl CallSpeakEnded<'_> {
    pub fn leg_state(&self) -> Option<LegState> {
        leg_state(self.client_state.as_ref())
    }
}

impl CallMachineDetection<'_> {
    pub fn leg_state(&self) -> Option<LegState> {
        leg_state(self.client_state.as_ref())
    }
}

impl CallRecordingSaved<'_> {
    pub fn leg_state(&self) -> Option<LegState> {
        leg_state(self.client_state.as_ref())
    }
}
