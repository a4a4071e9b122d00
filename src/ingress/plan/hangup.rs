//! A `call.hangup`: one leg ended. Either of two things follows (never both):
//!
//! - A leg a chain step rang (not the caller's own) goes to its company, which decides whether the
//!   chain moves on (a key that counts nothing: a redelivery moves nothing twice).
//! - The end of one of a company's own calls counts the call's outcome once at the company's
//!   number on the leg, in the daily rollup only: ended, and answered or not, and short or not.
//!   Its key is the event's like any other, so a redelivered hangup counts nothing.
//!
//! Whose call a leg is. Telnyx's `call.hangup` carries no direction, so switchboard's own
//! `client_state` decides where the leg has one:
//! - the caller's leg of an inbound call switchboard answered (a chain's state at `Answered`, or
//!   naming this leg as the caller's; `Answered` or `Transfer` from before chains, the latter at
//!   its `to`): counted at the number called, answered (switchboard answered it);
//! - a call placed by `POST .../calls` (`Dial`): counted at its `from`, answered when it ended
//!   normally (`normal_clearing` or `time_limit`: the far end had picked up);
//! - a leg without switchboard's state: at its `to` when a company owns it (an inbound call
//!   switchboard never answered: unrouted and left ringing or hung up while parked, or abandoned
//!   before the answer), not answered; else at its `from` when a company owns it (a call the
//!   company placed some other way), answered when it ended normally;
//! - the legs switchboard creates toward a chain's targets (transfers, ring-group dials) are not
//!   the company's calls: they count nothing.
//!
//! A call between two numbers of the Telnyx account is two legs with the same `from` and `to`;
//! without switchboard's state on them, both count at the called number.
//!
//! Short: answered, and ended less than `number_health.short_call_secs` after the payload's
//! `start_time` (the event's `occurred_at` is when it ended; the payload has no answer time, so
//! for a call placed by the company the ringing counts too). Without either time, or with an end
//! before the start, the call is not short.
use chrono::Duration;

use super::{commandable, dispatch_call, CallFacts, Plan};
use crate::company::facts::FactKind;
use crate::company::index::NumberIndex;
use crate::domain::{CompanyId, PhoneNumber};
use crate::ledger::Counter;
use crate::telnyx::client_state::{ChainAt, ChainLeg, LegState};
use crate::telnyx::events::{CallHangup, Envelope};

pub(super) fn plan_hangup(env: &Envelope<'_>, leg: &CallHangup<'_>, index: &NumberIndex, short_call_secs: u32) -> Plan {
    let state = leg.leg_state();
    let ccid = leg.call_control_id.as_deref();
    if let Some(LegState::Chain(chain)) = &state {
        if let ChainAt::Step { caller_leg, .. } = &chain.at {
            if ccid != Some(caller_leg.as_str()) {
                return plan_chain_leg_ended(env, leg, chain, index);
            }
        }
    }
    let Some(call) = ended_call(leg, state.as_ref(), index) else { return Plan::Acknowledge };
    let short = call.answered && lasted(env, leg).is_some_and(|d| d < Duration::seconds(i64::from(short_call_secs)));
    let facts = CallFacts {
        kind: FactKind::CallEnded,
        counter: Counter::of_call_end(call.answered, short),
        call_control_id: ccid.filter(|id| commandable(id)),
        caller: None,
        hangup_cause: leg.hangup_cause.as_deref(),
        connection_id: leg.connection_id.as_deref(),
    };
    // Only while the company (still) owns the number, as for every call event.
    dispatch_call(env, call.company, call.number, facts, state, index)
}

/// The `call.hangup` of a leg a chain step rang (not the caller's own leg; `caller_leg` must be
/// commandable for the chain to move on) goes to its company.
fn plan_chain_leg_ended(env: &Envelope<'_>, leg: &CallHangup<'_>, chain: &ChainLeg, index: &NumberIndex) -> Plan {
    let ChainAt::Step { caller_leg, .. } = &chain.at else { return Plan::Acknowledge };
    let Some(call_control_id) = leg.call_control_id.as_deref() else { return Plan::Acknowledge };
    if !commandable(caller_leg) {
        return Plan::Acknowledge;
    }
    let facts = CallFacts {
        kind: FactKind::ChainLegEnded,
        counter: Counter::Uncounted,
        call_control_id: Some(call_control_id),
        caller: Some(chain.from.clone()),
        hangup_cause: Some(leg.hangup_cause.as_deref().unwrap_or("unspecified")),
        connection_id: leg.connection_id.as_deref(),
    };
    let state = Some(LegState::Chain(chain.clone()));
    dispatch_call(env, chain.company, chain.number.clone(), facts, state, index)
}

/// One of a company's own calls that ended, as its hung-up leg tells it.
#[derive(Debug, PartialEq, Eq)]
struct EndedCall {
    company: CompanyId,
    number: PhoneNumber,
    answered: bool,
}

/// Whose call the leg is (see the module's description); `None` for a leg that is no company's
/// own call.
fn ended_call(leg: &CallHangup<'_>, state: Option<&LegState>, index: &NumberIndex) -> Option<EndedCall> {
    let parse = |raw: Option<&str>| raw.and_then(|n| PhoneNumber::parse(n).ok());
    let ended_normally = matches!(leg.hangup_cause.as_deref(), Some("normal_clearing" | "time_limit"));
    let ccid = leg.call_control_id.as_deref();
    let (company, number, answered) = match state {
        Some(LegState::Chain(chain)) => {
            let callers = match &chain.at {
                ChainAt::Answered => true,
                ChainAt::Step { caller_leg, .. } | ChainAt::Final { caller_leg, .. } => ccid == Some(caller_leg),
            };
            if !callers {
                return None;
            }
            (chain.company, chain.number.clone(), true)
        }
        Some(LegState::Answered(call)) => (call.company, call.number.clone(), true),
        // Both legs of a transfer from before chains carry it: the caller's went to the number.
        Some(LegState::Transfer { company, .. }) => (*company, parse(leg.to.as_deref())?, true),
        Some(LegState::Dial { company }) => (*company, parse(leg.from.as_deref())?, ended_normally),
        None => {
            let owned = |n: Option<PhoneNumber>| n.and_then(|n| Some((index.owner(n.as_str())?.company_id, n)));
            match owned(parse(leg.to.as_deref())) {
                Some((company, to)) => (company, to, false),
                None => {
                    let (company, from) = owned(parse(leg.from.as_deref()))?;
                    (company, from, ended_normally)
                }
            }
        }
    };
    Some(EndedCall { company, number, answered })
}

/// How long the call lasted: from the payload's `start_time` to the event's `occurred_at`.
fn lasted(env: &Envelope<'_>, leg: &CallHangup<'_>) -> Option<Duration> {
    let d = env.occurred_at? - leg.started_at()?;
    (d >= Duration::zero()).then_some(d)
}
