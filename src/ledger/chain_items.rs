//! The outbox items of a call chain's walk. Unlike other side effects, their ids and command ids
//! derive from (chain, step) and not from the event that queued them: however many events try
//! to start the same step (a redelivered hangup, the hangups of every target of a ring group,
//! events of one call reaching two nodes), the outbox holds one item for it and Telnyx gets one
//! command id, which it ignores when repeated within 60 s.
use uuid::Uuid;

use super::outbox_item::{OutboxItem, OutboxKind};
use super::side_effects::{item_id, CallCommand, NAMESPACE};
use crate::domain::{CompanyId, PhoneNumber};
use crate::telnyx::client_state::LegState;

/// Where in its chain a command takes a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainMove {
    /// Ring step `n` (from 0).
    Step(u32),
    /// Every step failed: the final action.
    Final,
}

impl ChainMove {
    fn key(self) -> String {
        match self {
            ChainMove::Step(n) => format!("step:{n}"),
            ChainMove::Final => "final".to_owned(),
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
}

impl OutboxItem {
    /// Ring a chain step; `event_id` is the event that moved the chain (its dedupe key queues it).
    pub fn chain_step(company: CompanyId, event_id: &str, s: &StepCommand<'_>) -> OutboxItem {
        let state = s.leg_state.client_state().as_str().to_owned();
        let mut command = CallCommand {
            command_id: chain_command_id(s.chain_id, ChainMove::Step(s.step)).to_string(),
            from: Some(s.from.as_str().to_owned()),
            timeout_secs: Some(s.timeout_secs),
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

    /// The final action of a chain whose every step failed: hang the caller up.
    pub fn chain_final_hangup(company: CompanyId, event_id: &str, chain_id: &str, caller_leg: &str) -> OutboxItem {
        let command = CallCommand {
            command_id: chain_command_id(chain_id, ChainMove::Final).to_string(),
            ..CallCommand::default()
        };
        Self::chain_item(company, event_id, chain_id, ChainMove::Final, caller_leg, OutboxKind::CallHangup, &command)
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
            }
        }
        let a = OutboxItem::chain_step(co, "hangup-1", &step(1, &["+16505550100"], &st, &from));
        let b = OutboxItem::chain_step(co, "hangup-2", &step(1, &["+16505550100"], &st, &from));
        assert_eq!(a.id, b.id);
        assert_ne!(a.event_id, b.event_id, "each is queued with its own event's key");
        assert_ne!(a.id, OutboxItem::chain_step(co, "hangup-1", &step(2, &["+16505550100"], &st, &from)).id);
        assert_ne!(a.id, OutboxItem::chain_final_hangup(co, "hangup-1", "chain-1", "v3:a").id);
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
