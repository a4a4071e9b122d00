//! The owned facts of one webhook event that company actors need (the parsed envelope borrows
//! from the request body, which stays with the HTTP worker).
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::PhoneNumber;
use crate::ledger::Counter;
use crate::telnyx::client_state::LegState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    MessageReceived,
    MessageSent,
    CallIncoming,
    CallOutgoing,
    /// The `call.answered` of an inbound call switchboard answered to transfer it
    /// ([`LegState::Answered`] in `leg_state`): counted nothing, it queues the transfer.
    CallAnswered,
    /// The `call.hangup` of a leg a chain step rang ([`LegState::Chain`] in `leg_state`,
    /// `hangup_cause` set): counted nothing, it may queue the next step or the final action.
    ChainLegEnded,
    /// A `message.finalized`: the delivery outcome per recipient, counted at the sending number.
    MessageFinalized,
    /// The `call.hangup` of one of the company's own calls (the caller's leg of an inbound call, or
    /// a call placed from its number): counts the call's outcome (ended, answered, short) at the
    /// number, nothing else.
    CallEnded,
    /// A `call.machine.detection.ended` `machine` of a chain step's leg: counted nothing, it
    /// hangs that leg up and rings the next step.
    ChainMachine,
    /// A `call.speak.ended` (completed) of a caller's leg in a chain's final action: counted
    /// nothing, it hangs up or starts the voicemail recording.
    ChainSpoken,
    /// A `call.recording.saved` of a caller's voicemail (URL in `media_urls`): counted nothing,
    /// it forwards the recording.
    ChainRecordingSaved,
}

#[derive(Debug, Clone)]
pub struct EventFacts {
    pub event_id: Arc<str>,
    pub event_type: &'static str,
    pub kind: FactKind,
    pub occurred_at: Option<DateTime<Utc>>,
    /// The other party (the customer for inbound events), as Telnyx sent it.
    pub from: String,
    /// Every number the event reached (recipients of a message, the called number).
    pub to: Vec<String>,
    pub text: Option<String>,
    pub media_count: usize,
    /// A message's media, or the recording of a `call.recording.saved`.
    pub media_urls: Vec<String>,
    pub call_control_id: Option<String>,
    /// What switchboard wrote in the leg's `client_state`, when the event carries it.
    pub leg_state: Option<LegState>,
    /// `call.hangup`: why the leg ended (timeout, user_busy, normal_clearing, ...).
    pub hangup_cause: Option<String>,
    /// Call events: the Call Control application of the call.
    pub connection_id: Option<String>,
    /// `message.sent` / `message.finalized`: Telnyx's message id, the queue status it reports
    /// and Telnyx's error code (the send queue records them in the event's commit).
    pub delivery: Option<Delivery>,
}

/// What a status webhook says of one sent message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub telnyx_id: String,
    pub status: &'static str,
    pub error_code: Option<String>,
    /// Telnyx's words for that error (`detail`, else `title`).
    pub error_detail: Option<String>,
}

/// One of a company's numbers an event touches, and the counter it adds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub number: PhoneNumber,
    pub counter: Counter,
    /// The recipient a `message.finalized` outcome is about: the event counts once per recipient.
    pub recipient: Option<PhoneNumber>,
}

impl Target {
    pub fn new(number: PhoneNumber, counter: Counter) -> Self {
        Self { number, counter, recipient: None }
    }
}
