//! Call Control: dial (POST /calls), the answer / transfer / hangup commands
//! (POST /calls/{call_control_id}/actions/...), and creating a Call Control application.
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use reqwest::Method;
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use url::Url;
use uuid::Uuid;

use super::{Endpoint, Retry, TelnyxClient, TelnyxError};
use crate::domain::PhoneNumber;

/// Telnyx ignores a second command with the same `command_id` on the same call (within 60 s),
/// which is what makes retrying call commands safe.
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

/// Opaque state echoed back in later call events; the spec requires base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ClientState(String);

impl ClientState {
    /// Base64-encodes `bytes` (standard alphabet, padded).
    pub fn encode(bytes: impl AsRef<[u8]>) -> Self {
        Self(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// Accepts text that is already valid base64 (as found in a webhook's `client_state`).
    pub fn from_base64(s: &str) -> Result<Self, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(s)?;
        Ok(Self(s.to_owned()))
    }

    pub fn decode(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Body of POST /calls (spec schema `CallRequest`; required: connection_id, to, from).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DialRequest {
    /// The Call Control application id.
    pub connection_id: String,
    pub to: PhoneNumber,
    pub from: PhoneNumber,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_id: Option<CommandId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
}

/// The ids of a dialled call (`data` of the 200, schema `CallWithRecordingId`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Call {
    /// Path key for commands on this call.
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
}

/// Body of POST /calls/{id}/actions/transfer (spec schema `TransferCallRequest`; required: to).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TransferRequest {
    /// An E.164 number or a `sip:` URI (both accepted by Telnyx; validated as a routing
    /// `CallDestination` before it gets here).
    pub to: String,
    pub command_id: CommandId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_state: Option<ClientState>,
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

/// Body of POST /call_control_applications (spec schema `CreateCallControlApplicationRequest`);
/// `webhook_api_version` is always sent as `"2"` (the spec's default is `"1"`, another format).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewCallControlApplication {
    pub application_name: String,
    pub webhook_event_url: Url,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_event_failover_url: Option<Url>,
}

#[derive(Serialize)]
struct ApplicationBody<'a> {
    #[serde(flatten)]
    app: &'a NewCallControlApplication,
    webhook_api_version: &'static str,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

impl TelnyxClient {
    /// POST /calls. Retry policy [`Retry::IfNotSent`]: dialling twice rings twice, so a timeout
    /// after sending gives [`TelnyxError::Ambiguous`].
    pub async fn dial(&self, req: &DialRequest) -> Result<Call, TelnyxError> {
        let url = self.url(&["calls"])?;
        self.request(Endpoint::Dial, Method::POST, url, Some(req), Retry::IfNotSent).await
    }

    /// POST /calls/{call_control_id}/actions/answer. [`Retry::Safe`] thanks to the command id.
    pub async fn answer(&self, call_control_id: &str, req: &AnswerRequest) -> Result<(), TelnyxError> {
        self.command(Endpoint::Answer, call_control_id, "answer", req).await
    }

    /// POST /calls/{call_control_id}/actions/transfer. [`Retry::Safe`] thanks to the command id.
    pub async fn transfer(&self, call_control_id: &str, req: &TransferRequest) -> Result<(), TelnyxError> {
        self.command(Endpoint::Transfer, call_control_id, "transfer", req).await
    }

    /// POST /calls/{call_control_id}/actions/hangup. [`Retry::Safe`] thanks to the command id.
    pub async fn hangup(&self, call_control_id: &str, req: &HangupRequest) -> Result<(), TelnyxError> {
        self.command(Endpoint::Hangup, call_control_id, "hangup", req).await
    }

    /// POST /call_control_applications; returns the application id (the `connection_id` used to
    /// dial and to attach numbers). Telnyx answers 201. Retry policy [`Retry::IfNotSent`].
    pub async fn create_call_control_application(
        &self,
        app: &NewCallControlApplication,
    ) -> Result<String, TelnyxError> {
        let url = self.url(&["call_control_applications"])?;
        let body = ApplicationBody { app, webhook_api_version: "2" };
        let endpoint = Endpoint::CreateCallControlApplication;
        let created: Created = self.request(endpoint, Method::POST, url, Some(&body), Retry::IfNotSent).await?;
        Ok(created.id)
    }

    async fn command<B: Serialize>(
        &self,
        endpoint: Endpoint,
        call_control_id: &str,
        action: &str,
        body: &B,
    ) -> Result<(), TelnyxError> {
        let url = self.url(&["calls", call_control_id, "actions", action])?;
        let _: IgnoredAny = self.request(endpoint, Method::POST, url, Some(body), Retry::Safe).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn telnyx_client_state_is_base64() {
        let s = ClientState::encode(b"company=1;dir=out");
        assert_eq!(s.decode().ok(), Some(b"company=1;dir=out".to_vec()));
        assert!(ClientState::from_base64("not base64!").is_err());
        assert!("".parse::<CommandId>().is_err());
    }

    #[test]
    fn telnyx_call_control_app_body_forces_api_v2() {
        let app = NewCallControlApplication {
            application_name: "acme".into(),
            webhook_event_url: Url::parse("https://sb.example.com/webhooks/telnyx").expect("url"),
            webhook_event_failover_url: None,
        };
        let body = ApplicationBody { app: &app, webhook_api_version: "2" };
        assert_eq!(
            serde_json::to_value(&body).expect("json"),
            json!({
                "application_name": "acme",
                "webhook_event_url": "https://sb.example.com/webhooks/telnyx",
                "webhook_api_version": "2"
            })
        );
    }
}
