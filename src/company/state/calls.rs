//! The inbound call flow as Telnyx requires it. An inbound call arrives parked, and a parked call
//! accepts only answer or hangup (422 `90034` "Call not answered yet" for anything else). So:
//!
//! 1. `call.initiated` (incoming): counted once as incoming and routed now. A call with a
//!    destination is answered; the answer's `client_state` ([`LegState::Answered`]) carries the
//!    decision, which Telnyx echoes on that leg's `call.answered`. An unrouted call is hung up
//!    when the company says so (allowed on a parked call), else left alone.
//! 2. `call.answered` of that leg: counted nothing (its key only dedupes it); the call is
//!    transferred where step 1 routed it, whatever the clock (business hours) or the rules say by
//!    then, and whatever restarted meanwhile: the decision travels with the call. The transfer
//!    marks both legs ([`LegState::Transfer`]) so that the new leg's `call.initiated` is known as
//!    switchboard's own and not counted as the company's outgoing call.
//!
//! Each command's `command_id` derives from the event that caused it, and each event's side
//! effects are queued only with its new dedupe key: a redelivered event commands nothing twice.
use chrono::{DateTime, Utc};

use super::{line, CompanyState};
use crate::company::facts::EventFacts;
use crate::config::TransferCallerId;
use crate::domain::PhoneNumber;
use crate::ledger::outbox_item::OutboxItem;
use crate::ledger::side_effects::Transfer;
use crate::ledger::{LedgerEntry, RouteLine};
use crate::routing::{decide, Destination, EventKind, InboundEvent, MatchedRule, UnroutedPolicy};
use crate::telnyx::client_state::{ChainAt, ChainLeg, LegState, RuleKind, RuleRef};

use super::chain::ChainEvent;

/// The rule whose chain a call walks.
fn rule_ref(matched: &MatchedRule) -> Option<RuleRef> {
    let (kind, name, after_hours) = match matched {
        MatchedRule::Department { name, after_hours } => (RuleKind::Department, name.clone(), *after_hours),
        MatchedRule::Location { name, after_hours } => (RuleKind::Location, name.clone(), *after_hours),
        MatchedRule::CompanyDefault => (RuleKind::CompanyDefault, String::new(), false),
        MatchedRule::Unrouted => return None,
    };
    Some(RuleRef { kind, name, after_hours })
}

impl CompanyState {
    /// Step 1: the `call.initiated` of an inbound call to `to`, routed at `now`.
    pub(super) fn route_call(
        &self,
        facts: &EventFacts,
        to: &PhoneNumber,
        now: DateTime<Utc>,
        entry: &mut LedgerEntry,
    ) -> RouteLine {
        let event = InboundEvent { kind: EventKind::Call, from: facts.from.clone(), to: to.clone() };
        let decision = decide(&event, &self.routing, now);
        let call_control_id = facts.call_control_id.as_deref().unwrap_or_default();
        let outcome = match (&decision.destination, &decision.matched) {
            (Some(Destination::Call(_)), matched) if !call_control_id.is_empty() => {
                let Some(rule) = rule_ref(matched) else { return line(facts, to, &decision, "unrouted") };
                let caller = PhoneNumber::parse(&facts.from).ok();
                let from = match self.calls.transfer_caller_id {
                    // A caller without an E.164 number (anonymous, SIP) shows the number it called.
                    TransferCallerId::Caller => caller.unwrap_or_else(|| to.clone()),
                    TransferCallerId::CompanyNumber => to.clone(),
                };
                let answered = LegState::Chain(ChainLeg {
                    company: self.company_id,
                    event_id: facts.event_id.to_string(),
                    number: to.clone(),
                    from,
                    rule,
                    at: ChainAt::Answered,
                });
                entry.outbox.push(
                    OutboxItem::call_answer(self.company_id, &facts.event_id, call_control_id, &answered)
                        .in_time_order(facts.occurred_at),
                );
                "transfer"
            }
            (_, MatchedRule::Unrouted)
                if self.routing.unrouted_policy() == UnroutedPolicy::Hangup && !call_control_id.is_empty() =>
            {
                entry.outbox.push(
                    OutboxItem::call_hangup(self.company_id, &facts.event_id, call_control_id)
                        .in_time_order(facts.occurred_at),
                );
                "hangup"
            }
            _ => "unrouted",
        };
        line(facts, to, &decision, outcome)
    }

    /// Step 2: the `call.answered` of a call step 1 answered: its chain's first step (or, for a
    /// call answered by a version before chains, its one transfer).
    pub(super) fn transfer_answered(&self, facts: &EventFacts, entry: &mut LedgerEntry, events: &mut Vec<ChainEvent>) {
        if let Some(LegState::Chain(leg)) = &facts.leg_state {
            if leg.company == self.company_id && leg.at == ChainAt::Answered {
                self.start_chain(leg, facts, entry, events);
            }
            return;
        }
        let (Some(LegState::Answered(call)), Some(call_control_id)) =
            (&facts.leg_state, facts.call_control_id.as_deref())
        else {
            return;
        };
        if call.company != self.company_id {
            return;
        }
        let from = match self.calls.transfer_caller_id {
            // A caller without an E.164 number (anonymous, SIP) shows the number it called.
            TransferCallerId::Caller => call.caller.as_ref().unwrap_or(&call.number),
            TransferCallerId::CompanyNumber => &call.number,
        };
        let leg_state = LegState::Transfer { company: self.company_id, event_id: call.event_id.clone(), step: 0 };
        let transfer = Transfer {
            to: &call.destination,
            from: Some(from),
            timeout_secs: self.calls.transfer_timeout_secs,
            leg_state: &leg_state,
        };
        entry.outbox.push(
            OutboxItem::call_transfer(self.company_id, &facts.event_id, call_control_id, &transfer)
                .in_time_order(facts.occurred_at),
        );
    }
}
