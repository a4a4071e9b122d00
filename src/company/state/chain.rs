//! Walking an inbound call's destination chain. The caller's leg is answered (its
//! `client_state` a [`ChainLeg`] at [`ChainAt::Answered`]); its `call.answered` rings step 0; the
//! `call.hangup` of a step's leg that was not answered (timeout, busy, rejected...) rings the next
//! step, or runs the final action after the last one. Each move is an outbox item queued in the
//! commit that acknowledges the event that caused it, keyed by (chain, step), with a command id
//! from (chain, step): the position in the chain is durable with the event, and however many
//! events ask for the same move, it happens once.
//!
//! The chain itself is the one of the rule routing chose when the call came in (department or
//! location, in or after hours, or the company default), looked up when each step starts.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::CompanyState;
use crate::company::facts::EventFacts;
use crate::ledger::chain_items::StepCommand;
use crate::ledger::outbox_item::OutboxItem;
use crate::ledger::LedgerEntry;
use crate::routing::{CallChain, FinalAction};
use crate::telnyx::client_state::{ChainAt, ChainLeg, LegState, RuleKind};

/// How a step's leg ended, as the metrics label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegOutcome {
    /// Answered, then hung up (normal_clearing).
    Answered,
    Timeout,
    Busy,
    Failed,
    /// Cancelled: the caller hung up, or another target of the step answered.
    Cancelled,
    /// Answered by a machine (with detection on): not answered, the next step rings.
    Machine,
}

impl LegOutcome {
    pub fn from_cause(cause: &str) -> Self {
        match cause {
            "normal_clearing" => LegOutcome::Answered,
            "timeout" | "no_answer" => LegOutcome::Timeout,
            "user_busy" => LegOutcome::Busy,
            "originator_cancel" => LegOutcome::Cancelled,
            _ => LegOutcome::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LegOutcome::Answered => "answered",
            LegOutcome::Timeout => "timeout",
            LegOutcome::Busy => "busy",
            LegOutcome::Failed => "failed",
            LegOutcome::Cancelled => "cancelled",
            LegOutcome::Machine => "machine",
        }
    }

    fn moves_on(self) -> bool {
        matches!(self, LegOutcome::Timeout | LegOutcome::Busy | LegOutcome::Failed)
    }
}

/// What an event did to a chain, for the metrics (emitted once its commit applied it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainEvent {
    /// A step's command was queued: `transfer` (one target) or `dial` (a ring group).
    StepStarted(&'static str),
    /// A step's leg ended.
    LegEnded(LegOutcome),
    /// Every step failed: the final action (`hangup` or `voicemail`) was queued.
    Exhausted(&'static str),
    /// A voicemail was saved: `forwarded`, or `no_destination` (its rule has no voicemail now).
    Voicemail(&'static str),
}

/// The legs of ring groups (steps with several targets) that ended unanswered, per (chain,
/// step): such a step fails once every target did, or at once when one timed out (they all ring
/// for the same time). Kept in memory: after a restart, or with the legs' events spread over
/// nodes, a ring group whose targets are all busy or rejected moves on only when one times out.
#[derive(Debug, Clone, Default)]
pub struct RingGroups(Arc<Mutex<HashMap<StepKey, HashSet<String>>>>);

/// (chain id, step).
type StepKey = (String, u32);

/// Ring groups remembered at most (live calls); past it the memory starts afresh.
const RING_GROUPS_MAX: usize = 10_000;

impl RingGroups {
    /// Records that `leg` of (chain, step) ended unanswered; answers how many have.
    fn failed(&self, chain: &str, step: u32, leg: &str, targets: usize) -> usize {
        let Ok(mut groups) = self.0.lock() else { return 0 };
        if groups.len() >= RING_GROUPS_MAX {
            groups.clear();
        }
        let key = (chain.to_owned(), step);
        let legs = groups.entry(key.clone()).or_default();
        legs.insert(leg.to_owned());
        let n = legs.len();
        if n >= targets {
            groups.remove(&key);
        }
        n
    }
}

impl CompanyState {
    /// The chain a call walks: its rule's (in or after hours), as configured now.
    pub(super) fn chain_of(&self, leg: &ChainLeg) -> Option<&CallChain> {
        let (routing, rule) = (&self.routing, &leg.rule);
        let (destinations, hours) = match rule.kind {
            RuleKind::Department => routing.department(&rule.name).map(|d| (&d.destinations, d.hours.as_ref()))?,
            RuleKind::Location => routing.location(&rule.name).map(|l| (&l.destinations, l.hours.as_ref()))?,
            RuleKind::CompanyDefault => (routing.default_destinations(), None),
        };
        let destinations = match (rule.after_hours, hours) {
            (true, Some(h)) => h.after_hours(),
            _ => destinations,
        };
        destinations.call.as_ref()
    }

    /// The caller's `call.answered`: ring step 0.
    pub(super) fn start_chain(
        &self,
        leg: &ChainLeg,
        facts: &EventFacts,
        entry: &mut LedgerEntry,
        events: &mut Vec<ChainEvent>,
    ) {
        let Some(caller_leg) = facts.call_control_id.as_deref() else { return };
        self.move_to(leg, 0, caller_leg, facts, entry, events);
    }

    /// A step's leg ended: ring the next step, or run the final action, when the step failed.
    pub(super) fn chain_leg_ended(&self, facts: &EventFacts, entry: &mut LedgerEntry, events: &mut Vec<ChainEvent>) {
        let (Some(LegState::Chain(leg)), Some(ended_leg)) = (&facts.leg_state, facts.call_control_id.as_deref()) else {
            return;
        };
        let ChainAt::Step { step, caller_leg } = &leg.at else { return };
        if leg.company != self.company_id {
            return;
        }
        let outcome = LegOutcome::from_cause(facts.hangup_cause.as_deref().unwrap_or_default());
        events.push(ChainEvent::LegEnded(outcome));
        if !outcome.moves_on() {
            return;
        }
        let targets = self.chain_of(leg).and_then(|c| c.step(*step as usize)).map_or(1, |s| s.targets().len());
        if targets > 1
            && outcome != LegOutcome::Timeout
            && self.ring_groups.failed(&leg.event_id, *step, ended_leg, targets) < targets
        {
            return;
        }
        self.move_to(leg, step + 1, caller_leg, facts, entry, events);
    }

    /// Queues step `step` of the chain (or the final action past the last step).
    pub(super) fn move_to(
        &self,
        leg: &ChainLeg,
        step: u32,
        caller_leg: &str,
        facts: &EventFacts,
        entry: &mut LedgerEntry,
        events: &mut Vec<ChainEvent>,
    ) {
        let chain = self.chain_of(leg);
        let Some(next) = chain.and_then(|c| c.step(step as usize)) else {
            // Past the last step, or the rule lost its chain meanwhile: the final action.
            let action = chain.map_or(&FinalAction::HANGUP, CallChain::final_action);
            entry.outbox.push(self.final_action(leg, action, caller_leg, facts));
            events.push(ChainEvent::Exhausted(action.kind()));
            return;
        };
        let targets: Vec<&str> = next.targets().iter().map(|t| t.as_str()).collect();
        let state = LegState::Chain(leg.at_step(step, caller_leg));
        let command = StepCommand {
            chain_id: &leg.event_id,
            step,
            caller_leg,
            targets: &targets,
            from: &leg.from,
            timeout_secs: next.timeout_secs(self.calls.transfer_timeout_secs),
            leg_state: &state,
            connection_id: facts.connection_id.as_deref(),
            machine_detection: next.machine_detection(),
        };
        let item = OutboxItem::chain_step(self.company_id, &facts.event_id, &command);
        events.push(ChainEvent::StepStarted(match item.kind {
            crate::ledger::outbox_item::OutboxKind::CallDial => "dial",
            _ => "transfer",
        }));
        entry.outbox.push(item);
    }
}
