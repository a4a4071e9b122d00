//! Call Control payloads: `call.initiated`, `call.answered`, `call.bridged`, `call.hangup`.
//!
//! Used (an error when missing or of the wrong type): `call.initiated`'s `call_control_id`, `from`,
//! `to` and `direction`. Of the other events switchboard reads `call_control_id` and
//! `client_state` (its own state tells its legs apart), and of `call.hangup` also `from`, `to`,
//! `hangup_cause` and `start_time` (the call's outcome), all leniently: no field can fail them.
//! `from` / `to` are plain strings (E.164 or SIP URI).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::fields::lenient_text;
use crate::telnyx::client_state::LegState;

/// `payload.direction` of `call.initiated` (the only call event that has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallDirection {
    Incoming,
    Outgoing,
}

/// `call.initiated`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CallInitiated<'a> {
    #[serde(borrow)]
    pub call_control_id: Cow<'a, str>,
    #[serde(borrow)]
    pub from: Cow<'a, str>,
    #[serde(borrow)]
    pub to: Cow<'a, str>,
    pub direction: CallDirection,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_leg_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_session_id: Option<Cow<'a, str>>,
    /// Base64 text set by the command that created this leg (a transfer's
    /// `target_leg_client_state`, a dial's `client_state`); see [`CallInitiated::leg_state`].
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub client_state: Option<Cow<'a, str>>,
}

/// `call.answered` and `call.bridged`: a leg's ids and its `client_state`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CallLeg<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_control_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_leg_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_session_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub client_state: Option<Cow<'a, str>>,
    /// The Call Control application (what a dial for this call needs).
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub connection_id: Option<Cow<'a, str>>,
}

/// `call.answered`.
pub type CallAnswered<'a> = CallLeg<'a>;
/// `call.bridged`.
pub type CallBridged<'a> = CallLeg<'a>;

/// `call.hangup`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CallHangup<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_control_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_leg_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub call_session_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub client_state: Option<Cow<'a, str>>,
    /// normal_clearing, user_busy, timeout, ... (kept as text: the set grows).
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub hangup_cause: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub connection_id: Option<Cow<'a, str>>,
    /// The leg's parties as on its `call.initiated` (E.164 or SIP URI); `call.hangup` carries no
    /// direction.
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub from: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub to: Option<Cow<'a, str>>,
    /// When the call started (RFC 3339); the event's `occurred_at` is when it ended (the payload
    /// has no end or answer time).
    #[serde(borrow, default, deserialize_with = "lenient_text")]
    pub start_time: Option<Cow<'a, str>>,
}

/// Decodes the `client_state` of a call event as switchboard's own, when it is.
fn leg_state(client_state: Option<&Cow<'_, str>>) -> Option<LegState> {
    client_state.and_then(|s| LegState::from_client_state(s))
}

impl CallInitiated<'_> {
    /// What switchboard wrote in this leg's `client_state`: `Some` for a leg switchboard created
    /// (e.g. the new leg of a transfer), `None` for any other call.
    pub fn leg_state(&self) -> Option<LegState> {
        leg_state(self.client_state.as_ref())
    }
}

impl CallLeg<'_> {
    /// See [`CallInitiated::leg_state`].
    pub fn leg_state(&self) -> Option<LegState> {
        leg_state(self.client_state.as_ref())
    }
}

impl CallHangup<'_> {
    /// See [`CallInitiated::leg_state`].
    pub fn leg_state(&self) -> Option<LegState> {
        leg_state(self.client_state.as_ref())
    }

    /// `start_time` as a time, when it is a valid RFC 3339 date-time.
    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        let text = self.start_time.as_deref()?;
        DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.with_timezone(&Utc))
    }
}
