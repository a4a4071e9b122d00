//! Where a live call stands in its chain, read back from the outbox: each move of a chain is an
//! item queued in the commit that acknowledged the event that made it, addressed to the caller's
//! leg and carrying the state its leg will report ([`ChainAt`]). The newest such item is the
//! call's position (what `/routing/explain` shows for a `call_control_id`).
use serde::Serialize;

use super::outbox_item::{OutboxItem, OutboxKind};
use super::side_effects::CallCommand;
use crate::telnyx::client_state::{ChainAt, FinalPhase, LegState};

/// A call's position in its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "position", rename_all = "snake_case")]
pub enum ChainPosition {
    /// Answered; step 0 rings when the answer is confirmed.
    Answered,
    /// Ringing step `step` (from 0), or talking to whoever answered it.
    Step { step: u32 },
    /// Every step failed: in the final action, at `phase` (announcement, greeting, recording,
    /// hangup).
    Final { phase: &'static str },
}

impl ChainPosition {
    /// The position an outbox item addressed to the caller's leg puts the call at, if it is a
    /// chain's (or the answer that starts one).
    pub fn of(item: &OutboxItem) -> Option<ChainPosition> {
        let command: CallCommand = serde_json::from_str(&item.payload).ok()?;
        let state = command.client_state.as_deref().and_then(LegState::from_client_state);
        let at = match state {
            Some(LegState::Chain(leg)) => leg.at,
            // The final hangup carries no state; the chain's hangups are the only ones whose
            // command id is not the event's (see `chain_items`).
            None if item.kind == OutboxKind::CallHangup
                && command.command_id != super::side_effects::command_id_for(&item.event_id).to_string() =>
            {
                return Some(ChainPosition::Final { phase: "hangup" })
            }
            _ => return None,
        };
        Some(match at {
            ChainAt::Answered => ChainPosition::Answered,
            ChainAt::Step { step, .. } => ChainPosition::Step { step },
            ChainAt::Final { phase, .. } => ChainPosition::Final {
                phase: match phase {
                    FinalPhase::Announcement => "announcement",
                    FinalPhase::Greeting => "greeting",
                    FinalPhase::Recording => "recording",
                },
            },
        })
    }

    /// The position given the caller leg's items, newest first: the first that is a chain's.
    pub fn latest<'a>(newest_first: impl IntoIterator<Item = &'a OutboxItem>) -> Option<ChainPosition> {
        newest_first.into_iter().find_map(ChainPosition::of)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CompanyId, PhoneNumber};
    use crate::ledger::chain_items::{ChainCall, ChainMove, StepCommand};
    use crate::telnyx::client_state::{ChainLeg, RuleKind, RuleRef};

    #[test]
    fn the_newest_chain_item_is_the_position() {
        let co = CompanyId::new();
        let leg = ChainLeg {
            company: co,
            event_id: "chain-1".into(),
            number: PhoneNumber::parse("+14155550002").unwrap(),
            from: PhoneNumber::parse("+13035550100").unwrap(),
            rule: RuleRef { kind: RuleKind::Department, name: "Sales".into(), after_hours: false },
            at: ChainAt::Answered,
        };
        let answer = OutboxItem::call_answer(co, "init-1", "v3:a", &LegState::Chain(leg.clone()));
        assert_eq!(ChainPosition::of(&answer), Some(ChainPosition::Answered));
        let state = LegState::Chain(leg.at_step(1, "v3:a"));
        let step = StepCommand {
            chain_id: "chain-1",
            step: 1,
            caller_leg: "v3:a",
            targets: &["+16505550100"],
            from: &leg.from,
            timeout_secs: 20,
            leg_state: &state,
            connection_id: None,
            machine_detection: false,
        };
        let transfer = OutboxItem::chain_step(co, "hangup-1", &step);
        assert_eq!(ChainPosition::latest([&transfer, &answer]), Some(ChainPosition::Step { step: 1 }));
        let call = ChainCall {
            company: co,
            event_id: "hangup-2",
            chain_id: "chain-1",
            caller_leg: "v3:a",
            to: ChainMove::Final,
        };
        let speak =
            OutboxItem::chain_speak(&call, "Bye", &LegState::Chain(leg.at_final(FinalPhase::Announcement, "v3:a")));
        assert_eq!(ChainPosition::of(&speak), Some(ChainPosition::Final { phase: "announcement" }));
        let hangup = OutboxItem::chain_hangup(&ChainCall { to: ChainMove::FinalHangup, ..call }, "v3:a");
        assert_eq!(ChainPosition::latest([&hangup, &speak, &transfer]), Some(ChainPosition::Final { phase: "hangup" }));
        // The company's own hangup of an unrouted call is no chain's.
        assert_eq!(ChainPosition::of(&OutboxItem::call_hangup(co, "init-2", "v3:b")), None);
    }
}
