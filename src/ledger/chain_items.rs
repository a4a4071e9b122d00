//! The outbox items of a call chain's walk. Unlike other side effects, their ids and command ids
//! derive from (chain, step) and not from the event that queued them: however many events try
//! to start the same step (a redelivered hangup, the hangups of every target of a ring group,
//! events of one call reaching two nodes), the outbox holds one item for it and Telnyx gets one
//! command id, which it ignores when repeated within 60 s.
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::outbox_item::{OutboxItem, OutboxKind};
use super::side_effects::{item_id, CallCommand, NAMESPACE};
use crate::domain::{CompanyId, PhoneNumber};
use crate::routing::MessageDestination;
use crate::telnyx::client_state::LegState;

/// Where in its chain a command takes a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainMove {
    /// Ring step `n` (from 0).
    Step(u32),
    /// Hang up the leg that a machine answered in step `n`.
    MachineHangup(u32),
    /// Every step failed: the final action's first command (speak, hangup or record_start).
    Final,
    /// The announcement ended: hang up.
    FinalHangup,
    /// The voicemail greeting ended: record.
    Record,
    /// The voicemail was saved: forward its URL.
    Voicemail,
}

impl ChainMove {
    fn key(self) -> String {
        match self {
            ChainMove::Step(n) => format!("step:{n}"),
            ChainMove::MachineHangup(n) => format!("machine:{n}"),
            ChainMove::Final => "final".to_owned(),
            ChainMove::FinalHangup => "final:hangup".to_owned(),
            ChainMove::Record => "final:record".to_owned(),
            ChainMove::Voicemail => "final:voicemail".to_owned(),
        }
    }
}

/// The command_id of a chain's move: the same for every event that asks for it.
pub fn chain_command_id(chain_id: &str, to: ChainMove) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("chain:{}:{chain_id}:{}", chain_id.len(), to.key()).as_bytes())
}

/// What ringing one step takes.
#[derive(Debug, Clone, Copy)]
pub struct StepCommand<'a> {
    /// The inbound `call.initiated`'s id.
    pub chain_id: &'a str,
    pub step: u32,
    /// The caller's leg.
    pub caller_leg: &'a str,
    /// E.164 numbers or SIP URIs; one: a transfer; several: a dial bridged on answer.
    pub targets: &'a [&'a str],
    pub from: &'a PhoneNumber,
    pub timeout_secs: u16,
    /// The state of the step's legs (and of the caller's leg, on a transfer).
    pub leg_state: &'a LegState,
    /// Needed by a dial; without it, a ring group rings its first target only.
    pub connection_id: Option<&'a str>,
    /// Answering machine detection on the step's legs.
    pub machine_detection: bool,
}

/// Which call a chain command is for, and the move it makes.
#[derive(Debug, Clone, Copy)]
pub struct ChainCall<'a> {
    pub company: CompanyId,
    /// The event that moved the chain (its dedupe key queues the item).
    pub event_id: &'a str,
    /// The inbound `call.initiated`'s id.
    pub chain_id: &'a str,
    /// The caller's leg.
    pub caller_leg: &'a str,
    pub to: ChainMove,
}

/// What the product receives when a caller left a voicemail (signed like a message forward;
/// `event_id` is the `call.recording.saved`'s, the `webhook-id` header).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VoicemailBody<'a> {
    pub event_id: &'a str,
    /// `call.voicemail`.
    pub event_type: &'static str,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    pub occurred_at: DateTime<Utc>,
    pub voicemail: Voicemail<'a>,
}

/// The voicemail itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Voicemail<'a> {
    /// Where to fetch the recording (Telnyx's URL; the 10-minute one unless the account has
    /// public recording URLs).
    pub recording_url: &'a str,
    /// The caller ID the chain showed its targets (the caller's number unless the operator shows
    /// the company number).
    pub caller_id: &'a str,
    /// The company number the customer called.
    pub number: &'a str,
    /// The id of the call (its `call.initiated` event).
    pub call_id: &'a str,
}

impl OutboxItem {
    /// Ring a chain step; `event_id` is the event that moved the chain (its dedupe key queues it).
    pub fn chain_step(company: CompanyId, event_id: &str, s: &StepCommand<'_>) -> OutboxItem {
        let state = s.leg_state.client_state().as_str().to_owned();
        let mut command = CallCommand {
            command_id: chain_command_id(s.chain_id, ChainMove::Step(s.step)).to_string(),
            from: Some(s.from.as_str().to_owned()),
            timeout_secs: Some(s.timeout_secs),
            machine_detection: s.machine_detection,
            ..CallCommand::default()
        };
        let kind = match (s.targets, s.connection_id) {
            ([_, _, ..], Some(connection_id)) => {
                command.targets = Some(s.targets.iter().map(|t| (*t).to_owned()).collect());
                command.connection_id = Some(connection_id.to_owned());
                command.link_to = Some(s.caller_leg.to_owned());
                command.client_state = Some(state);
                OutboxKind::CallDial
            }
            _ => {
                command.to = s.targets.first().map(|t| (*t).to_owned());
                command.client_state = Some(state.clone());
                command.target_leg_client_state = Some(state);
                OutboxKind::CallTransfer
            }
        };
        Self::chain_item(company, event_id, s.chain_id, ChainMove::Step(s.step), s.caller_leg, kind, &command)
    }

    /// Hang `leg` up (the caller's, or a leg a machine answered).
    pub fn chain_hangup(c: &ChainCall<'_>, leg: &str) -> OutboxItem {
        let command =
            CallCommand { command_id: chain_command_id(c.chain_id, c.to).to_string(), ..CallCommand::default() };
        let mut item =
            Self::chain_item(c.company, c.event_id, c.chain_id, c.to, c.caller_leg, OutboxKind::CallHangup, &command);
        item.destination = leg.to_owned();
        item
    }

    /// Speak `text` to the caller; `leg_state` (the final action's phase) comes back on its
    /// `call.speak.ended`.
    pub fn chain_speak(c: &ChainCall<'_>, text: &str, leg_state: &LegState) -> OutboxItem {
        let command = CallCommand {
            command_id: chain_command_id(c.chain_id, c.to).to_string(),
            text: Some(text.to_owned()),
            client_state: Some(leg_state.client_state().as_str().to_owned()),
            ..CallCommand::default()
        };
        Self::chain_item(c.company, c.event_id, c.chain_id, c.to, c.caller_leg, OutboxKind::CallSpeak, &command)
    }

    /// Record the caller (voicemail); `leg_state` comes back on its `call.recording.saved`.
    pub fn chain_record(c: &ChainCall<'_>, leg_state: &LegState) -> OutboxItem {
        let command = CallCommand {
            command_id: chain_command_id(c.chain_id, c.to).to_string(),
            client_state: Some(leg_state.client_state().as_str().to_owned()),
            ..CallCommand::default()
        };
        Self::chain_item(c.company, c.event_id, c.chain_id, c.to, c.caller_leg, OutboxKind::CallRecordStart, &command)
    }

    /// Forward a saved voicemail to `url`, once per call whatever event asks for it.
    pub fn chain_voicemail(c: &ChainCall<'_>, url: &MessageDestination, body: &VoicemailBody<'_>) -> OutboxItem {
        OutboxItem {
            id: item_id(c.company, c.chain_id, OutboxKind::CallTransfer, &format!("{}#{}", c.caller_leg, c.to.key())),
            company_id: c.company,
            event_id: c.event_id.to_owned(),
            kind: OutboxKind::ForwardMessage,
            destination: url.as_str().to_owned(),
            payload: serde_json::to_string(body).expect("a voicemail body serializes"),
            alternates: Vec::new(),
        }
    }

    fn chain_item(
        company: CompanyId,
        event_id: &str,
        chain_id: &str,
        to: ChainMove,
        caller_leg: &str,
        kind: OutboxKind,
        command: &CallCommand,
    ) -> OutboxItem {
        let mut item = Self::call_command(company, event_id, caller_leg, kind, command);
        // Keyed by the chain's move, whatever event queued it (one kind per move).
        item.id = item_id(company, chain_id, OutboxKind::CallTransfer, &format!("{caller_leg}#{}", to.key()));
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telnyx::client_state::{ChainAt, ChainLeg, RuleKind, RuleRef};

    fn state(co: CompanyId) -> LegState {
        LegState::Chain(ChainLeg {
            company: co,
            event_id: "chain-1".into(),
            number: PhoneNumber::parse("+14155550002").unwrap(),
            from: PhoneNumber::parse("+13035550100").unwrap(),
            rule: RuleRef { kind: RuleKind::Department, name: "Sales".into(), after_hours: false },
            at: ChainAt::Step { step: 1, caller_leg: "v3:a".into() },
        })
    }

    #[test]
    fn one_item_per_move_whatever_event_queues_it() {
        let co = CompanyId::new();
        let (st, from) = (state(co), PhoneNumber::parse("+13035550100").unwrap());
        fn step<'a>(step: u32, targets: &'a [&'a str], st: &'a LegState, from: &'a PhoneNumber) -> StepCommand<'a> {
            StepCommand {
                chain_id: "chain-1",
                step,
                caller_leg: "v3:a",
                targets,
                from,
                timeout_secs: 15,
                leg_state: st,
                connection_id: Some("app-1"),
                machine_detection: false,
            }
        }
        let a = OutboxItem::chain_step(co, "hangup-1", &step(1, &["+16505550100"], &st, &from));
        let b = OutboxItem::chain_step(co, "hangup-2", &step(1, &["+16505550100"], &st, &from));
        assert_eq!(a.id, b.id);
        assert_ne!(a.event_id, b.event_id, "each is queued with its own event's key");
        assert_ne!(a.id, OutboxItem::chain_step(co, "hangup-1", &step(2, &["+16505550100"], &st, &from)).id);
        let last = ChainCall {
            company: co,
            event_id: "hangup-1",
            chain_id: "chain-1",
            caller_leg: "v3:a",
            to: ChainMove::Final,
        };
        assert_ne!(a.id, OutboxItem::chain_hangup(&last, "v3:a").id);
        let machine = ChainCall { to: ChainMove::MachineHangup(1), ..last };
        let hangup = OutboxItem::chain_hangup(&machine, "v3:b");
        assert_eq!((hangup.kind, hangup.destination.as_str()), (OutboxKind::CallHangup, "v3:b"));
        assert_eq!(hangup.id, OutboxItem::chain_hangup(&ChainCall { event_id: "amd-2", ..machine }, "v3:b").id);
        assert_ne!(hangup.id, OutboxItem::chain_hangup(&last, "v3:a").id);
        assert_eq!(a.kind, OutboxKind::CallTransfer);
        let dial =
            OutboxItem::chain_step(co, "hangup-1", &step(2, &["+16505550100", "sip:a@b.example.com"], &st, &from));
        assert_eq!(dial.kind, OutboxKind::CallDial);
        let cmd: CallCommand = serde_json::from_str(&dial.payload).unwrap();
        assert_eq!(cmd.link_to.as_deref(), Some("v3:a"));
        assert_eq!(cmd.command_id, chain_command_id("chain-1", ChainMove::Step(2)).to_string());
        assert_eq!(cmd.targets.map(|t| t.len()), Some(2));
    }
}
