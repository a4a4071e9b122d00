//! `client_state`: base64 text a call command attaches to a leg, which Telnyx echoes in that leg's
//! later webhooks; and [`LegState`], what switchboard writes in it to recognise its own legs.
use std::fmt;

use base64::Engine as _;
use serde::Serialize;

use crate::domain::{CompanyId, PhoneNumber};

mod chain;
pub use chain::{ChainAt, ChainLeg, FinalPhase, RuleKind, RuleRef};

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Opaque state echoed back in later call events; the spec requires base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ClientState(String);

impl ClientState {
    /// Base64-encodes `bytes` (standard alphabet, padded).
    pub fn encode(bytes: impl AsRef<[u8]>) -> Self {
        Self(BASE64.encode(bytes))
    }

    /// Accepts text that is already valid base64 (as found in a webhook's `client_state`).
    pub fn from_base64(s: &str) -> Result<Self, base64::DecodeError> {
        BASE64.decode(s)?;
        Ok(Self(s.to_owned()))
    }

    pub fn decode(&self) -> Result<Vec<u8>, base64::DecodeError> {
        BASE64.decode(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&LegState> for ClientState {
    fn from(state: &LegState) -> Self {
        ClientState::encode(state.to_string())
    }
}

/// What switchboard writes in a leg's `client_state`, so that the leg's later webhooks (above
/// all the `call.initiated` of a leg it created) can be told from any other call.
///
/// Encoded as compact text, then base64: `sb1|transfer|<company>|<step>|<event id>`,
/// `sb1|dial|<company>` or
/// `sb1|answered|<company>|<number>|<caller>|<destination length>|<destination>|<event id>`.
/// The event id comes last because it may contain `|`; a destination (a SIP URI may contain `|`
/// too) is length-prefixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegState {
    /// An inbound call switchboard answered in order to transfer it: the answer's
    /// `client_state`, echoed by that leg's `call.answered`, which then triggers the transfer.
    Answered(AnsweredCall),
    /// A leg of an inbound call's destination chain: `event_id` is the id of the inbound
    /// `call.initiated` that started the chain, `step` the position in the chain (from 0).
    /// Set as `target_leg_client_state` on the transfer (the new leg) and as `client_state` (the
    /// caller's leg).
    Transfer { company: CompanyId, event_id: String, step: u32 },
    /// A call switchboard dialled for a company (POST /calls).
    Dial { company: CompanyId },
    /// An inbound call walking its destination chain: the caller's leg once answered, and the
    /// legs each step rings (`sb1|chain|...`, see [`ChainLeg`]).
    Chain(ChainLeg),
}

/// What the transfer of an answered inbound call needs, decided when its `call.initiated` was
/// counted and routed, so the transfer goes where the routing log says whatever the clock or the
/// rules say by the time the call is answered, and survives a restart (Telnyx holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredCall {
    pub company: CompanyId,
    /// The id of the inbound `call.initiated` (the chain's id, see [`LegState::Transfer`]).
    pub event_id: String,
    /// The company number the customer called.
    pub number: PhoneNumber,
    /// The customer, when the call came from an E.164 number.
    pub caller: Option<PhoneNumber>,
    /// Where routing sends the call: an E.164 number or a SIP URI.
    pub destination: String,
}

/// Version prefix of every state switchboard writes.
const PREFIX: &str = "sb1";
/// Longest `client_state` read as possibly switchboard's (the longest it writes is ~1,700: a
/// chain leg with a 100-character non-ASCII rule name and a 512-byte call_control_id).
const MAX_LEN: usize = 2048;

impl LegState {
    /// The state as `client_state` for a command.
    pub fn client_state(&self) -> ClientState {
        ClientState::from(self)
    }

    /// Reads a `client_state` from a webhook: `Some` only for a state switchboard wrote (anything
    /// else, including other applications' states and invalid base64, is `None`).
    pub fn from_client_state(text: &str) -> Option<LegState> {
        // Ours are short; do not decode an arbitrarily long foreign state.
        if text.len() > MAX_LEN {
            return None;
        }
        let bytes = BASE64.decode(text).ok()?;
        Self::parse(std::str::from_utf8(&bytes).ok()?)
    }

    fn parse(text: &str) -> Option<LegState> {
        let rest = text.strip_prefix(PREFIX)?.strip_prefix('|')?;
        let (kind, rest) = rest.split_once('|')?;
        match kind {
            "dial" => Some(LegState::Dial { company: rest.parse().ok()? }),
            "chain" => ChainLeg::parse(rest).map(LegState::Chain),
            "transfer" => {
                let (company, rest) = rest.split_once('|')?;
                let (step, event_id) = rest.split_once('|')?;
                Some(LegState::Transfer {
                    company: company.parse().ok()?,
                    event_id: event_id.to_owned(),
                    step: step.parse().ok()?,
                })
            }
            "answered" => {
                let (company, rest) = rest.split_once('|')?;
                let (number, rest) = rest.split_once('|')?;
                let (caller, rest) = rest.split_once('|')?;
                let (len, rest) = rest.split_once('|')?;
                let len: usize = len.parse().ok()?;
                let destination = rest.get(..len)?;
                let event_id = rest.get(len..)?.strip_prefix('|')?;
                Some(LegState::Answered(AnsweredCall {
                    company: company.parse().ok()?,
                    event_id: event_id.to_owned(),
                    number: PhoneNumber::parse(number).ok()?,
                    caller: match caller {
                        "" => None,
                        c => Some(PhoneNumber::parse(c).ok()?),
                    },
                    destination: destination.to_owned(),
                }))
            }
            _ => None,
        }
    }

    /// The company the leg was created for.
    pub fn company(&self) -> CompanyId {
        match self {
            LegState::Transfer { company, .. } | LegState::Dial { company } => *company,
            LegState::Answered(call) => call.company,
            LegState::Chain(leg) => leg.company,
        }
    }
}

impl fmt::Display for LegState {
    /// The text before base64 (for logs: it holds no secret).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LegState::Transfer { company, event_id, step } => {
                write!(f, "{PREFIX}|transfer|{company}|{step}|{event_id}")
            }
            LegState::Dial { company } => write!(f, "{PREFIX}|dial|{company}"),
            LegState::Chain(leg) => write!(f, "{PREFIX}|chain|{leg}"),
            LegState::Answered(AnsweredCall { company, event_id, number, caller, destination }) => {
                let caller = caller.as_ref().map_or("", PhoneNumber::as_str);
                let len = destination.len();
                write!(f, "{PREFIX}|answered|{company}|{number}|{caller}|{len}|{destination}|{event_id}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company() -> CompanyId {
        "5b3c1d2e-0000-4000-8000-000000000001".parse().expect("company id")
    }

    #[test]
    fn telnyx_client_state_is_base64() {
        let s = ClientState::encode(b"company=1;dir=out");
        assert_eq!(s.decode().ok(), Some(b"company=1;dir=out".to_vec()));
        assert!(ClientState::from_base64("not base64!").is_err());
        assert_eq!(
            ClientState::from_base64("aGF2ZSBhIG5pY2UgZGF5ID1d").map(|s| s.as_str().to_owned()).ok().as_deref(),
            Some("aGF2ZSBhIG5pY2UgZGF5ID1d")
        );
    }

    #[test]
    fn telnyx_leg_states_round_trip_through_base64() {
        for state in [
            LegState::Transfer { company: company(), event_id: "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0".into(), step: 2 },
            LegState::Transfer { company: company(), event_id: "odd|id with spaces|é".into(), step: 0 },
            LegState::Dial { company: company() },
            answered("0ccc7b54-4df3-4bca-a65a-3da1ecc777f0", Some("+13035550100"), "sip:support@pbx.example.com"),
            answered("odd|id", None, "sip:a|b@pbx.example.com;x=|"),
            answered("", None, "+14155550002"),
        ] {
            let wire = state.client_state();
            assert!(ClientState::from_base64(wire.as_str()).is_ok(), "valid base64");
            assert_eq!(LegState::from_client_state(wire.as_str()), Some(state.clone()), "{wire:?}");
            assert_eq!(state.company(), company());
        }
        let wire = LegState::Dial { company: company() }.client_state();
        assert_eq!(wire.decode().ok(), Some(b"sb1|dial|5b3c1d2e-0000-4000-8000-000000000001".to_vec()));
    }

    fn answered(event_id: &str, caller: Option<&str>, destination: &str) -> LegState {
        LegState::Answered(AnsweredCall {
            company: company(),
            event_id: event_id.into(),
            number: PhoneNumber::parse("+14155550002").expect("e164"),
            caller: caller.map(|c| PhoneNumber::parse(c).expect("e164")),
            destination: destination.into(),
        })
    }

    #[test]
    fn telnyx_the_longest_answered_state_is_read_back() {
        // The longest event id the envelope accepts and the longest SIP URI a rule accepts.
        let state = answered(&"e".repeat(128), Some("+123456789012345"), &format!("sip:{}@h", "u".repeat(250)));
        let wire = state.client_state();
        assert!(wire.as_str().len() <= MAX_LEN, "{}", wire.as_str().len());
        assert_eq!(LegState::from_client_state(wire.as_str()), Some(state));
    }

    #[test]
    fn telnyx_foreign_client_states_are_not_ours() {
        let b64 = |s: &str| BASE64.encode(s);
        for foreign in [
            "aGF2ZSBhIG5pY2UgZGF5ID1d".to_owned(), // "have a nice day =]" (the spec's example)
            "not base64!".to_owned(),
            String::new(),
            b64("sb2|dial|5b3c1d2e-0000-4000-8000-000000000001"),
            b64("sb1|dial|not-a-uuid"),
            b64("sb1|dial|5b3c1d2e-0000-4000-8000-000000000001|extra"),
            b64("sb1|transfer|5b3c1d2e-0000-4000-8000-000000000001|x|ev"),
            b64("sb1|transfer|5b3c1d2e-0000-4000-8000-000000000001|1"),
            b64("sb1|hold|5b3c1d2e-0000-4000-8000-000000000001"),
            b64("sb1|answered|5b3c1d2e-0000-4000-8000-000000000001|+14155550002||99|sip:a@b|ev"),
            b64("sb1|answered|5b3c1d2e-0000-4000-8000-000000000001|+14155550002||7|sip:a@bXev"),
            b64("sb1|answered|5b3c1d2e-0000-4000-8000-000000000001|4155550002||7|sip:a@b|ev"),
            b64("sb1|answered|5b3c1d2e-0000-4000-8000-000000000001|+14155550002|anonymous|7|sip:a@b|ev"),
            b64("sb1|answered|5b3c1d2e-0000-4000-8000-000000000001|+14155550002|"),
            BASE64.encode([0xff, 0xfe]),
            "A".repeat(2000),
        ] {
            assert_eq!(LegState::from_client_state(&foreign), None, "{foreign}");
        }
    }
}
