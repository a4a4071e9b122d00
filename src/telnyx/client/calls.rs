//! Call Control: dial (POST /calls) and the answer / transfer / hangup commands
//! (POST /calls/{call_control_id}/actions/...).
use std::fmt;
use std::str::FromStr;

use reqwest::Method;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize, Serializer};
use uuid::Uuid;

use super::{ClientState, Endpoint, Retry, TelnyxClient, TelnyxError};
use crate::domain::PhoneNumber;

/// Telnyx ignores a second command with the same `command_id` on the same call, and a second
/// dial with the same `command_id`, within 60 s: what makes retrying them safe ([`Retry::Command`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CommandId(String);

impl CommandId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for CommandId {
    fn default() -> Self {
        Self::new()
    }
}

impl From<Uuid> for CommandId {
    fn from(u: Uuid) -> Self {
        Self(u.to_string())
    }
}

/// A `command_id` must not be empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("command_id cannot be empty")]
pub struct EmptyCommandId;

impl FromStr for CommandId {
    type Err = EmptyCommandId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err(EmptyCommandId);
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for CommandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Body of POST /calls (spec schema `CallRequest`; required: connection_id, to, from).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DialRequest {
    /// The Call Control application id.
    pub connection_id: String,
    pub to: PhoneNumber,
    pub from: PhoneNumber,
    /// `None`: [`TelnyxClient::dial`] makes one, so that its retries cannot ring twice.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<CommandId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
}

/// Body of POST /calls that rings several targets together (`to` as an array, E.164 numbers or
/// SIP URIs) and bridges the first that answers to the call `link_to` (a call chain's ring group).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RingGroupDial {
    pub connection_id: String,
    pub to: Vec<String>,
    pub from: PhoneNumber,
    pub link_to: String,
    pub bridge_on_answer: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<RingTimeout>,
    pub command_id: CommandId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
    /// `detect`: each leg's `call.machine.detection.ended` says whether a person answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answering_machine_detection: Option<MachineDetection>,
}

/// Answering machine detection, as a dial or transfer asks for it (Telnyx's standard detection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MachineDetection {
    Detect,
}

/// The ids of a dialled call (`data` of the 200, schema `CallWithRecordingId`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Call {
    /// Path key for commands on this call.
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
}

/// How long a transfer rings its destination before giving up (`timeout_secs`: 5 to 600 s;
/// Telnyx's default is 30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RingTimeout(u16);

/// A ring timeout outside 5..=600 seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a ring timeout must be between 5 and 600 seconds, got {0}")]
pub struct RingTimeoutError(pub u64);

impl RingTimeout {
    pub const MIN_SECS: u16 = 5;
    pub const MAX_SECS: u16 = 600;

    pub fn from_secs(secs: u64) -> Result<Self, RingTimeoutError> {
        match u16::try_from(secs) {
            Ok(s) if (Self::MIN_SECS..=Self::MAX_SECS).contains(&s) => Ok(Self(s)),
            _ => Err(RingTimeoutError(secs)),
        }
    }

    pub fn as_secs(self) -> u16 {
        self.0
    }
}

impl Serialize for RingTimeout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.0)
    }
}

/// Body of POST /calls/{id}/actions/transfer (spec schema `TransferCallRequest`; required: to).
/// Build with [`TransferRequest::new`], then set what applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferRequest {
    /// An E.164 number or a `sip:` URI (both accepted by Telnyx; validated as a routing
    /// `CallDestination` before it gets here).
    pub to: String,
    /// Caller ID shown to the destination; `None`: Telnyx shows the `to` number of the original
    /// call (the company number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<PhoneNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<RingTimeout>,
    pub command_id: CommandId,
    /// State for the transferred (caller's) leg's later webhooks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
    /// State for the new leg's webhooks, its `call.initiated` first (see
    /// [`LegState`](crate::telnyx::client_state::LegState)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_leg_client_state: Option<ClientState>,
    /// Detection on the new leg (its `call.machine.detection.ended`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answering_machine_detection: Option<MachineDetection>,
}

impl TransferRequest {
    /// A transfer to `to` with nothing else set.
    pub fn new(to: impl Into<String>, command_id: CommandId) -> Self {
        Self {
            to: to.into(),
            from: None,
            timeout_secs: None,
            command_id,
            client_state: None,
            target_leg_client_state: None,
            answering_machine_detection: None,
        }
    }
}

/// Body of POST /calls/{id}/actions/answer (spec schema `AnswerRequest`, no required field).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnswerRequest {
    pub command_id: CommandId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
}

/// Body of POST /calls/{id}/actions/hangup (spec schema `HangupRequest`, no required field).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HangupRequest {
    pub command_id: CommandId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
}

impl TelnyxClient {
    /// POST /calls. [`Retry::Command`]: retried with the same `command_id` (one is made when the
    /// request has none) while Telnyx still ignores a repeat; past that window, or when every
    /// attempt failed after one may have been processed, [`TelnyxError::Ambiguous`].
    pub async fn dial(&self, req: &DialRequest) -> Result<Call, TelnyxError> {
        let url = self.url(&["calls"])?;
        let with_id;
        let req = if req.command_id.is_some() {
            req
        } else {
            with_id = DialRequest { command_id: Some(CommandId::new()), ..req.clone() };
            &with_id
        };
        self.request(Endpoint::Dial, Method::POST, url, Some(req), Retry::Command).await
    }

    /// POST /calls ringing a group ([`RingGroupDial`]). [`Retry::Command`] with its `command_id`.
    pub async fn dial_group(&self, req: &RingGroupDial) -> Result<Call, TelnyxError> {
        let url = self.url(&["calls"])?;
        self.request(Endpoint::Dial, Method::POST, url, Some(req), Retry::Command).await
    }

    /// POST /calls/{call_control_id}/actions/answer. [`Retry::Command`].
    pub async fn answer(&self, call_control_id: &str, req: &AnswerRequest) -> Result<(), TelnyxError> {
        self.command(Endpoint::Answer, call_control_id, "answer", req).await
    }

    /// POST /calls/{call_control_id}/actions/transfer. [`Retry::Command`].
    pub async fn transfer(&self, call_control_id: &str, req: &TransferRequest) -> Result<(), TelnyxError> {
        self.command(Endpoint::Transfer, call_control_id, "transfer", req).await
    }

    /// POST /calls/{call_control_id}/actions/hangup. [`Retry::Command`].
    pub async fn hangup(&self, call_control_id: &str, req: &HangupRequest) -> Result<(), TelnyxError> {
        self.command(Endpoint::Hangup, call_control_id, "hangup", req).await
    }

    pub(super) async fn command<B: Serialize>(
        &self,
        endpoint: Endpoint,
        call_control_id: &str,
        action: &str,
        body: &B,
    ) -> Result<(), TelnyxError> {
        let url = self.url(&["calls", call_control_id, "actions", action])?;
        let _: IgnoredAny = self.request(endpoint, Method::POST, url, Some(body), Retry::Command).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn telnyx_command_id_cannot_be_empty() {
        assert!("".parse::<CommandId>().is_err());
        assert!(" ".parse::<CommandId>().is_err());
        assert_eq!("c-1".parse::<CommandId>().map(|c| c.to_string()), Ok("c-1".to_owned()));
    }

    #[test]
    fn telnyx_ring_timeout_is_5_to_600_seconds() {
        for ok in [5, 30, 600] {
            assert_eq!(RingTimeout::from_secs(ok).map(|t| u64::from(t.as_secs())), Ok(ok));
        }
        for bad in [0, 4, 601, 70_000, u64::MAX] {
            assert_eq!(RingTimeout::from_secs(bad), Err(RingTimeoutError(bad)));
        }
    }

    #[test]
    fn telnyx_transfer_body_sends_only_what_is_set() {
        let mut t = TransferRequest::new("sip:desk@acme.sip.telnyx.com", "cmd-1".parse().expect("id"));
        assert_eq!(
            serde_json::to_value(&t).expect("json"),
            json!({"to": "sip:desk@acme.sip.telnyx.com", "command_id": "cmd-1"})
        );
        t.from = Some(PhoneNumber::parse("+14155550100").expect("e164"));
        t.timeout_secs = Some(RingTimeout::from_secs(25).expect("timeout"));
        t.client_state = Some(ClientState::encode("a"));
        t.target_leg_client_state = Some(ClientState::encode("b"));
        assert_eq!(
            serde_json::to_value(&t).expect("json"),
            json!({"to": "sip:desk@acme.sip.telnyx.com", "from": "+14155550100", "timeout_secs": 25,
                "command_id": "cmd-1", "client_state": "YQ==", "target_leg_client_state": "Yg=="})
        );
    }
}
