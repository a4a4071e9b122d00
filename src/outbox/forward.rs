//! Delivering one outbox item: a signed forward (Standard Webhooks: an inbound message, or a
//! queued message's status change) or a Telnyx call command. Each returns an [`Attempt`]; the worker turns it into delivered / retry / failed.
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE};
use sha2::Sha256;

use super::guard::{ForwardPolicy, GuardedResolver, Lookup, RefusedTarget};
use crate::domain::PhoneNumber;
use crate::ledger::outbox_item::{OutboxItem, OutboxKind};
use crate::ledger::side_effects::CallCommand;
use crate::telnyx::api::TelnyxApi;
use crate::telnyx::client::{
    AnswerRequest, ClientState, CommandId, HangupRequest, MachineDetection, RecordStartRequest, RingGroupDial,
    RingTimeout, SpeakRequest, TelnyxError, TransferRequest,
};

const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);
/// Standard Webhooks' headers.
const WEBHOOK_ID: HeaderName = HeaderName::from_static("webhook-id");
const WEBHOOK_TIMESTAMP: HeaderName = HeaderName::from_static("webhook-timestamp");
const WEBHOOK_SIGNATURE: HeaderName = HeaderName::from_static("webhook-signature");
/// The longest voicemail recorded.
const VOICEMAIL_SECS: u32 = 300;

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    /// Worth trying again later.
    Retry(String),
    /// The receiver asked to slow down (429, 502, 503, 504): try again later, after
    /// `retry_after` when it said (its `Retry-After`, unbounded here).
    SlowDown {
        error: String,
        retry_after: Option<Duration>,
    },
    /// The receiver answered 410 Gone: it wants no more forwards (Standard Webhooks: disable it).
    Gone(String),
    /// Will never succeed (bad payload, the call is gone): fail now.
    Permanent(String),
}

#[derive(Debug, thiserror::Error)]
#[error("forward secret must be `whsec_` followed by base64")]
pub struct BadSecret;

/// `v1,` + base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}")), the Standard Webhooks signature.
/// `secret` is `whsec_<base64>`; the key is the decoded bytes.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, BadSecret> {
    let key = secret.strip_prefix("whsec_").ok_or(BadSecret)?;
    let key = base64::engine::general_purpose::STANDARD.decode(key).map_err(|_| BadSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// Delivers side effects: forwards over HTTP, call commands through the Telnyx client.
#[derive(Clone)]
pub struct Deliverer {
    http: reqwest::Client,
    telnyx: TelnyxApi,
    policy: Arc<ForwardPolicy>,
}

impl Deliverer {
    /// Forwards go only where `policy` allows, with names resolved by `lookup` (the system's
    /// resolver in production) and filtered by the policy at every connection; redirects are
    /// never followed (a 3xx is a failed attempt, as Standard Webhooks says).
    pub fn new(telnyx: TelnyxApi, policy: Arc<ForwardPolicy>, lookup: Arc<dyn Lookup>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(FORWARD_TIMEOUT)
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver::new(policy.clone(), lookup)))
            .build()
            .expect("a reqwest client with a timeout builds");
        Deliverer { http, telnyx, policy }
    }

    /// `secrets` are the company's forward secrets to sign with (forwards only: messages and status
    /// changes): the current
    /// one, and the previous one during its grace period after a rotation.
    pub async fn deliver(&self, item: &OutboxItem, secrets: &[&str]) -> Attempt {
        match item.kind {
            k if k.is_forward() => self.forward(item, secrets).await,
            _ => self.call_command(item).await,
        }
    }

    async fn forward(&self, item: &OutboxItem, secrets: &[&str]) -> Attempt {
        // Checked here too: an IP-literal host never reaches the resolver, and a destination
        // stored before the policy changed must meet it now.
        let url = match url::Url::parse(&item.destination) {
            Ok(u) => u,
            Err(_) => return Attempt::Permanent("the destination is not a URL".into()),
        };
        if let Err(refused) = self.policy.check_url(&url) {
            return Attempt::Retry(format!("refused: the destination {refused}"));
        }
        let timestamp = chrono::Utc::now().timestamp();
        // One signature per secret, space separated, as Standard Webhooks allows during a rotation.
        let signed: Result<Vec<String>, BadSecret> =
            secrets.iter().map(|s| sign(s, &item.event_id, timestamp, item.payload.as_bytes())).collect();
        let signature = match signed {
            Ok(s) => s.join(" "),
            Err(e) => return Attempt::Permanent(e.to_string()),
        };
        // The URL as parsed above (not parsed again), and header names made once.
        let sent = self
            .http
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(WEBHOOK_ID, &item.event_id)
            .header(WEBHOOK_TIMESTAMP, timestamp)
            .header(WEBHOOK_SIGNATURE, signature)
            .body(item.payload.clone())
            .send()
            .await;
        // What the tenant sees: the status code, never the receiver's body or reason text, nor
        // the driver's (it would tell an internal service's answers to whoever set the URL).
        match sent {
            Ok(res) => judge_answer(res.status().as_u16(), res.headers().get(reqwest::header::RETRY_AFTER)),
            Err(e) => Attempt::Retry(unreachable(&e).into()),
        }
    }

    async fn call_command(&self, item: &OutboxItem) -> Attempt {
        let client = match self.telnyx.client() {
            Ok(c) => c,
            Err(why) => return Attempt::Retry(why.to_owned()),
        };
        let command: CallCommand = match serde_json::from_str(&item.payload) {
            Ok(c) => c,
            Err(e) => return Attempt::Permanent(format!("bad call command payload: {e}")),
        };
        let Ok(command_id) = command.command_id.parse::<CommandId>() else {
            return Attempt::Permanent("empty command_id".into());
        };
        let state = |s: &Option<String>| s.as_deref().map(ClientState::from_base64).transpose();
        let (Ok(client_state), Ok(target_leg_client_state)) =
            (state(&command.client_state), state(&command.target_leg_client_state))
        else {
            return Attempt::Permanent("a client_state is not base64".into());
        };
        let ccid = item.destination.as_str();
        let result = match item.kind {
            OutboxKind::CallAnswer => client.answer(ccid, &AnswerRequest { command_id, client_state }).await,
            OutboxKind::CallTransfer => match transfer_request(&command, command_id) {
                Ok(req) => {
                    client.transfer(ccid, &TransferRequest { client_state, target_leg_client_state, ..req }).await
                }
                Err(why) => return Attempt::Permanent(why),
            },
            OutboxKind::CallDial => match dial_request(&command, command_id, client_state) {
                Ok(req) => client.dial_group(&req).await.map(|_| ()),
                Err(why) => return Attempt::Permanent(why),
            },
            OutboxKind::CallSpeak => {
                let Some(text) = command.text.as_deref() else {
                    return Attempt::Permanent("speak without text".into());
                };
                client.speak(ccid, &SpeakRequest { client_state, ..SpeakRequest::new(text, command_id) }).await
            }
            OutboxKind::CallRecordStart => {
                let req =
                    RecordStartRequest { client_state, ..RecordStartRequest::voicemail(VOICEMAIL_SECS, command_id) };
                client.record_start(ccid, &req).await
            }
            _ => client.hangup(ccid, &HangupRequest { command_id, client_state }).await,
        };
        match result {
            Ok(()) => Attempt::Delivered,
            Err(e) => classify(e),
        }
    }
}

/// A receiver's answer as an attempt: 2xx delivered, 410 gone, 429/502/503/504 slow down (with
/// its `Retry-After`), anything else (3xx included: redirects are not followed) a failure.
fn judge_answer(status: u16, retry_after: Option<&reqwest::header::HeaderValue>) -> Attempt {
    let error = format!("receiver answered {status}");
    match status {
        200..=299 => Attempt::Delivered,
        410 => Attempt::Gone(error),
        429 | 502 | 503 | 504 => {
            let retry_after = retry_after
                .and_then(|v| v.to_str().ok())
                .and_then(|v| super::schedule::parse_retry_after(v, chrono::Utc::now()));
            Attempt::SlowDown { error, retry_after }
        }
        _ => Attempt::Retry(error),
    }
}

/// Why a forward got no answer, in words that reveal nothing about the network behind it.
fn unreachable(e: &reqwest::Error) -> &'static str {
    let refused = std::iter::successors(Some(e as &dyn std::error::Error), |e| e.source())
        .any(|s| s.downcast_ref::<RefusedTarget>().is_some());
    if refused {
        "refused: the destination resolves to no public address"
    } else if e.is_timeout() {
        "the receiver did not answer in time"
    } else {
        "cannot reach the receiver"
    }
}

/// The transfer a stored command describes (its states apart).
fn transfer_request(command: &CallCommand, command_id: CommandId) -> Result<TransferRequest, String> {
    let to = command.to.as_deref().ok_or("transfer without `to`")?;
    let mut req = TransferRequest::new(to, command_id);
    req.from =
        command.from.as_deref().map(PhoneNumber::parse).transpose().map_err(|e| format!("transfer `from`: {e}"))?;
    req.timeout_secs =
        command.timeout_secs.map(|s| RingTimeout::from_secs(s.into())).transpose().map_err(|e| e.to_string())?;
    req.answering_machine_detection = command.machine_detection.then_some(MachineDetection::Detect);
    Ok(req)
}

/// The ring group dial a stored command describes.
fn dial_request(
    command: &CallCommand,
    command_id: CommandId,
    client_state: Option<ClientState>,
) -> Result<RingGroupDial, String> {
    let from = command.from.as_deref().ok_or("dial without `from`")?;
    Ok(RingGroupDial {
        connection_id: command.connection_id.clone().ok_or("dial without `connection_id`")?,
        to: command.targets.clone().filter(|t| !t.is_empty()).ok_or("dial without targets")?,
        from: PhoneNumber::parse(from).map_err(|e| format!("dial `from`: {e}"))?,
        link_to: command.link_to.clone().ok_or("dial without `link_to`")?,
        bridge_on_answer: true,
        timeout_secs: command
            .timeout_secs
            .map(|s| RingTimeout::from_secs(s.into()))
            .transpose()
            .map_err(|e| e.to_string())?,
        command_id,
        client_state,
        answering_machine_detection: command.machine_detection.then_some(MachineDetection::Detect),
    })
}

/// A 4xx other than 408/429 from Telnyx means the command cannot succeed (the call ended, ...).
fn classify(e: TelnyxError) -> Attempt {
    match e.status() {
        Some(s) if (400..500).contains(&s) && s != 408 && s != 429 => Attempt::Permanent(e.to_string()),
        _ => Attempt::Retry(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_standard_webhooks_reference() {
        // Test vector from the Standard Webhooks specification's reference libraries.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(sign("nope", "a", 1, b"").is_err());
    }

    #[test]
    fn answers_are_judged_by_status() {
        let header = reqwest::header::HeaderValue::from_static("120");
        assert_eq!(judge_answer(204, None), Attempt::Delivered);
        assert_eq!(judge_answer(410, None), Attempt::Gone("receiver answered 410".into()));
        assert_eq!(
            judge_answer(429, Some(&header)),
            Attempt::SlowDown { error: "receiver answered 429".into(), retry_after: Some(Duration::from_secs(120)) }
        );
        for status in [502, 503, 504] {
            assert!(matches!(judge_answer(status, None), Attempt::SlowDown { retry_after: None, .. }), "{status}");
        }
        // Retry-After is read only from an answer that asks to slow down.
        assert_eq!(judge_answer(500, Some(&header)), Attempt::Retry("receiver answered 500".into()));
        assert_eq!(judge_answer(301, None), Attempt::Retry("receiver answered 301".into()));
    }
}
