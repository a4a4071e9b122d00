//! From a parsed envelope to what must happen: which companies' numbers it counts on, or a dead
//! letter, or a plain acknowledgement. Pure, so every counting rule is unit-tested here.
//!
//! Calls (README, "What is counted"): an inbound call counts once as incoming at the number called
//! (its `call.initiated`), however it is then routed; a call a company places counts once as
//! outgoing at its number. The legs switchboard creates itself by transferring an inbound call
//! (recognised by the `target_leg_client_state` it set) are not the company's calls: their
//! events are only acknowledged. The `call.answered` of an inbound call switchboard answered
//! counts nothing but goes to the company's actor, which queues the transfer. The `call.hangup`
//! of a company's own call counts its outcome (see [`hangup`]).
use std::sync::Arc;

use crate::company::facts::{Delivery, EventFacts, FactKind, Target};
use crate::company::index::NumberIndex;
use crate::domain::{CompanyId, PhoneNumber};
use crate::ledger::Counter;
use crate::telnyx::client_state::{ChainAt, FinalPhase, LegState};
use crate::telnyx::events::{CallDirection, CallLeg, Envelope, EventPayload, MessageFinalized};

mod hangup;

#[derive(Debug)]
pub enum Plan {
    /// Nothing to count or route (a message.finalized without an outcome, the hangup of a leg
    /// that is no company's call, other types, switchboard's own transfer legs).
    Acknowledge,
    /// A number order finished (provisioning picks it up).
    NumberOrder,
    /// Count (and route) at these companies' numbers.
    Dispatch { facts: Arc<EventFacts>, companies: Vec<(CompanyId, Vec<Target>)> },
    /// No number of the event is owned by any company (as far as the owner index knows):
    /// `numbers` are the ones it would have counted on.
    DeadLetter { reason: &'static str, numbers: Vec<PhoneNumber> },
}

/// What an event plans; `short_call_secs` (`number_health.short_call_secs`) tells a short call
/// from another when a call ends.
pub fn plan(env: &Envelope<'_>, index: &NumberIndex, short_call_secs: u32) -> Plan {
    let (kind, from, to, text, media_count, call_control_id): (
        FactKind,
        &str,
        Vec<&str>,
        Option<&str>,
        usize,
        Option<&str>,
    ) = match &env.payload {
        EventPayload::MessageReceived(m) => (
            FactKind::MessageReceived,
            &m.from.phone_number,
            m.to.iter().chain(&m.cc).map(|p| &*p.phone_number).collect(),
            m.text.as_deref(),
            m.media_count,
            None,
        ),
        EventPayload::MessageSent(m) => (
            FactKind::MessageSent,
            &m.from.phone_number,
            m.to.iter().map(|p| &*p.phone_number).collect(),
            None,
            0,
            None,
        ),
        EventPayload::CallInitiated(c) => {
            // A leg switchboard created by a transfer: part of an inbound call counted already.
            if matches!(c.leg_state(), Some(LegState::Transfer { .. } | LegState::Chain(_))) {
                return Plan::Acknowledge;
            }
            (
                match c.direction {
                    CallDirection::Incoming => FactKind::CallIncoming,
                    CallDirection::Outgoing => FactKind::CallOutgoing,
                },
                &c.from,
                vec![&*c.to],
                None,
                0,
                Some(&*c.call_control_id).filter(|id| commandable(id)),
            )
        }
        EventPayload::CallAnswered(c) => return plan_answered(env, c, index),
        EventPayload::CallHangup(c) => return hangup::plan_hangup(env, c, index, short_call_secs),
        EventPayload::CallMachineDetectionEnded(c) if c.result.as_deref() == Some("machine") => {
            let (ccid, connection) = (c.call_control_id.as_deref(), c.connection_id.as_deref());
            return plan_chain_media(env, ChainMedia::Machine, c.leg_state(), ccid, connection, None, index);
        }
        EventPayload::CallSpeakEnded(c) if c.status.as_deref().is_none_or(|s| s == "completed") => {
            let ccid = c.call_control_id.as_deref();
            return plan_chain_media(env, ChainMedia::Spoken, c.leg_state(), ccid, None, None, index);
        }
        EventPayload::CallRecordingSaved(c) => {
            let url = c.url();
            return plan_chain_media(env, ChainMedia::Recording, c.leg_state(), None, None, url, index);
        }
        EventPayload::MessageFinalized(m) => return plan_finalized(env, m, index),
        EventPayload::NumberOrderComplete(_) => return Plan::NumberOrder,
        _ => return Plan::Acknowledge,
    };
    // The company numbers this event counts on, and the counter for each.
    let counted: Vec<(&str, Counter)> = match kind {
        FactKind::MessageReceived => to.iter().map(|n| (*n, Counter::SmsReceived)).collect(),
        FactKind::MessageSent => vec![(from, Counter::SmsSent)],
        FactKind::CallIncoming => vec![(to[0], Counter::IncomingCalls)],
        FactKind::CallOutgoing => vec![(from, Counter::OutgoingCalls)],
        // Not built here (see plan_answered, the hangup module, plan_finalized).
        FactKind::CallAnswered
        | FactKind::ChainLegEnded
        | FactKind::CallEnded
        | FactKind::MessageFinalized
        | FactKind::ChainMachine
        | FactKind::ChainSpoken
        | FactKind::ChainRecordingSaved => return Plan::Acknowledge,
    };
    let mut companies: Vec<(CompanyId, Vec<Target>)> = Vec::with_capacity(1);
    let mut unowned = Vec::new();
    for (raw, counter) in counted {
        let Ok(number) = PhoneNumber::parse(raw) else { continue };
        let Some(owner) = index.owner(number.as_str()) else {
            unowned.push(number);
            continue;
        };
        let target = Target::new(number, counter);
        match companies.iter_mut().find(|(c, _)| *c == owner.company_id) {
            Some((_, targets)) if !targets.contains(&target) => targets.push(target),
            Some(_) => {}
            None => companies.push((owner.company_id, vec![target])),
        }
    }
    if companies.is_empty() {
        return Plan::DeadLetter { reason: "unknown_number", numbers: unowned };
    }
    let media_urls = match &env.payload {
        EventPayload::MessageReceived(m) => m.media_urls().map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let delivery = match &env.payload {
        EventPayload::MessageSent(m) => m.message_id.as_deref().filter(|id| commandable(id)).map(|id| Delivery {
            telnyx_id: id.to_owned(),
            status: "sent",
            error_code: None,
            error_detail: None,
        }),
        _ => None,
    };
    let facts = EventFacts {
        event_id: Arc::from(&*env.id),
        event_type: env.payload.metric_label(),
        kind,
        occurred_at: env.occurred_at,
        from: from.to_owned(),
        to: to.iter().map(|s| (*s).to_owned()).collect(),
        text: text.map(str::to_owned),
        media_count,
        media_urls,
        call_control_id: call_control_id.map(str::to_owned),
        leg_state: None,
        hangup_cause: None,
        connection_id: None,
        delivery,
    };
    Plan::Dispatch { facts: Arc::new(facts), companies }
}

/// A `call.answered`: the answer of an inbound call switchboard answered to transfer it goes to
/// its company (a key that counts nothing, so that a redelivery transfers nothing twice); any
/// other (a transfer's leg B, a dialled call, another application's call) is acknowledged.
fn plan_answered(env: &Envelope<'_>, leg: &CallLeg<'_>, index: &NumberIndex) -> Plan {
    let (company, number, caller) = match leg.leg_state() {
        Some(LegState::Answered(call)) => (call.company, call.number.clone(), call.caller.clone()),
        Some(LegState::Chain(c)) if c.at == ChainAt::Answered => (c.company, c.number.clone(), Some(c.from.clone())),
        _ => return Plan::Acknowledge,
    };
    let Some(call_control_id) = leg.call_control_id.as_deref().filter(|id| commandable(id)) else {
        return Plan::Acknowledge;
    };
    let facts = CallFacts {
        kind: FactKind::CallAnswered,
        counter: Counter::Uncounted,
        call_control_id: Some(call_control_id),
        caller,
        hangup_cause: None,
        connection_id: leg.connection_id.as_deref(),
    };
    dispatch_call(env, company, number, facts, leg.leg_state(), index)
}

/// The chain events of media and detection (see [`plan_chain_media`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChainMedia {
    /// `call.machine.detection.ended` `machine`.
    Machine,
    /// `call.speak.ended` `completed`.
    Spoken,
    /// `call.recording.saved`.
    Recording,
}

/// A media or detection event of a chain's leg goes to its company when it can move the chain
/// (a key that counts nothing: a redelivery moves nothing twice): a machine that answered a
/// step's leg (not the caller's), the end of the caller's announcement or greeting, the caller's
/// saved voicemail (with a URL). Any other is acknowledged.
fn plan_chain_media(
    env: &Envelope<'_>,
    media: ChainMedia,
    leg_state: Option<LegState>,
    call_control_id: Option<&str>,
    connection_id: Option<&str>,
    recording_url: Option<&str>,
    index: &NumberIndex,
) -> Plan {
    let Some(LegState::Chain(chain)) = leg_state else { return Plan::Acknowledge };
    let (kind, leg) = match (media, &chain.at) {
        (ChainMedia::Machine, ChainAt::Step { caller_leg, .. }) => match call_control_id {
            Some(leg) if leg != caller_leg && commandable(leg) && commandable(caller_leg) => {
                (FactKind::ChainMachine, leg)
            }
            _ => return Plan::Acknowledge,
        },
        (ChainMedia::Spoken, ChainAt::Final { phase, caller_leg })
            if *phase != FinalPhase::Recording && commandable(caller_leg) =>
        {
            (FactKind::ChainSpoken, caller_leg.as_str())
        }
        (ChainMedia::Recording, ChainAt::Final { phase: FinalPhase::Recording, caller_leg })
            if recording_url.is_some_and(|u| !u.is_empty()) =>
        {
            (FactKind::ChainRecordingSaved, caller_leg.as_str())
        }
        _ => return Plan::Acknowledge,
    };
    let facts = CallFacts {
        kind,
        counter: Counter::Uncounted,
        call_control_id: Some(leg),
        caller: Some(chain.from.clone()),
        hangup_cause: None,
        connection_id,
    };
    let (company, number) = (chain.company, chain.number.clone());
    let plan = dispatch_call(env, company, number, facts, Some(LegState::Chain(chain.clone())), index);
    match (plan, recording_url) {
        (Plan::Dispatch { mut facts, companies }, Some(url)) => {
            Arc::make_mut(&mut facts).media_urls = vec![url.to_owned()];
            Plan::Dispatch { facts, companies }
        }
        (plan, _) => plan,
    }
}

/// What differs between the call events a company's actor acts on.
struct CallFacts<'a> {
    kind: FactKind,
    /// What the event counts at the number (most count nothing: their key only dedupes them).
    counter: Counter,
    call_control_id: Option<&'a str>,
    caller: Option<PhoneNumber>,
    hangup_cause: Option<&'a str>,
    connection_id: Option<&'a str>,
}

fn dispatch_call(
    env: &Envelope<'_>,
    company: CompanyId,
    number: PhoneNumber,
    call: CallFacts<'_>,
    leg_state: Option<LegState>,
    index: &NumberIndex,
) -> Plan {
    // Only while the company still owns the number: a number that changed hands since the call
    // came in is no longer the company's to act on.
    if index.owner(number.as_str()).is_none_or(|o| o.company_id != company) {
        return Plan::Acknowledge;
    }
    let facts = EventFacts {
        event_id: Arc::from(&*env.id),
        event_type: env.payload.metric_label(),
        kind: call.kind,
        occurred_at: env.occurred_at,
        from: call.caller.as_ref().map_or_else(String::new, |c| c.as_str().to_owned()),
        to: vec![number.as_str().to_owned()],
        text: None,
        media_count: 0,
        media_urls: Vec::new(),
        call_control_id: call.call_control_id.map(str::to_owned),
        leg_state,
        hangup_cause: call.hangup_cause.map(str::to_owned),
        connection_id: call.connection_id.filter(|c| commandable(c)).map(str::to_owned),
        delivery: None,
    };
    let target = Target::new(number, call.counter);
    Plan::Dispatch { facts: Arc::new(facts), companies: vec![(company, vec![target])] }
}

/// A `message.finalized`: each recipient's outcome (delivered, or failed by cause) counts once at
/// the sending number, keyed per recipient. Recipients whose status is no outcome count nothing;
/// an event with no outcome at all, or without a sender, is acknowledged. A sender no company owns
/// makes a dead letter, as for `message.sent`.
fn plan_finalized(env: &Envelope<'_>, m: &MessageFinalized<'_>, index: &NumberIndex) -> Plan {
    let Some(from) = m.from.as_ref() else { return Plan::Acknowledge };
    let codes = || m.errors.iter().filter_map(|e| e.code.as_deref());
    let mut targets: Vec<Target> = Vec::new();
    let mut queue_status = None;
    let Ok(sender) = PhoneNumber::parse(&from.phone_number) else { return Plan::Acknowledge };
    for r in &m.to {
        let (Some(status), Ok(recipient)) = (r.status.as_deref(), PhoneNumber::parse(&r.phone_number)) else {
            continue;
        };
        queue_status = queue_status.or(crate::ledger::entry::queue_status(status));
        // An unconfirmed delivery counts nothing, but its key carries the status to the queue.
        let counter = match Counter::of_delivery(status, codes()) {
            Some(counter) => counter,
            None if status == "delivery_unconfirmed" => Counter::Uncounted,
            None => continue,
        };
        if targets.iter().all(|t| t.recipient.as_ref() != Some(&recipient)) {
            targets.push(Target { number: sender.clone(), counter, recipient: Some(recipient) });
        }
    }
    if targets.is_empty() {
        return Plan::Acknowledge;
    }
    let Some(owner) = index.owner(sender.as_str()) else {
        return Plan::DeadLetter { reason: "unknown_number", numbers: vec![sender] };
    };
    let facts = EventFacts {
        event_id: Arc::from(&*env.id),
        event_type: env.payload.metric_label(),
        kind: FactKind::MessageFinalized,
        occurred_at: env.occurred_at,
        from: sender.as_str().to_owned(),
        to: targets.iter().filter_map(|t| t.recipient.as_ref()).map(|r| r.as_str().to_owned()).collect(),
        text: None,
        media_count: 0,
        media_urls: Vec::new(),
        call_control_id: None,
        leg_state: None,
        hangup_cause: None,
        connection_id: None,
        delivery: match (m.message_id.as_deref().filter(|id| commandable(id)), queue_status) {
            (Some(id), Some(status)) => Some(Delivery {
                telnyx_id: id.to_owned(),
                status,
                error_code: codes().next().map(str::to_owned),
                error_detail: m
                    .errors
                    .iter()
                    .find_map(|e| e.detail.as_deref().or(e.title.as_deref()))
                    .map(str::to_owned),
            }),
            _ => None,
        },
    };
    Plan::Dispatch { facts: Arc::new(facts), companies: vec![(owner.company_id, targets)] }
}

/// Whether a call can be commanded by this call_control_id. Telnyx sends a short printable token
/// (`v3:` and base64url); anything else is counted and routed like any call, but no command is
/// queued for it (it could not be sent, and PostgreSQL text refuses a NUL).
fn commandable(id: &str) -> bool {
    !id.is_empty() && id.len() <= 512 && !id.chars().any(char::is_control)
}

#[cfg(test)]
mod tests;
