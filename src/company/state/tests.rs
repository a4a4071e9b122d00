//! The per-event bookkeeping of a company actor, without the actor: counts, routing decisions,
//! side effects and opt-out changes of an event.
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::CompanyState;
use crate::company::facts::{EventFacts, FactKind, Target};
use crate::config::{RoutingSettings, TransferCallerId};
use crate::domain::{CompanyId, Features, PhoneNumber, PhoneNumberId};
use crate::ledger::chain_items::{chain_command_id, ChainMove};
use crate::ledger::outbox_item::{OutboxItem, OutboxKind};
use crate::ledger::side_effects::{command_id_for, CallCommand};
use crate::ledger::{Counter, LedgerEntry};
use crate::routing::{CompanyRouting, Department, DepartmentSpec, NumberRecord, UnroutedPolicy};
use crate::telnyx::client_state::{AnsweredCall, ChainAt, ChainLeg, LegState, RuleKind, RuleRef};

mod chain;
mod chain_final;

const SALES: &str = "+14155550001";
const SUPPORT: &str = "+14155550002";
const PLAIN: &str = "+14155550003";
const CUSTOMER: &str = "+13035550100";

fn pn(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

fn department(name: &str, slug: &str) -> Department {
    let spec: DepartmentSpec = serde_json::from_value(json!({
        "name": name,
        "destinations": {"call": format!("sip:{slug}@pbx.example.com"), "message": format!("https://crm.example.com/{slug}")}
    }))
    .unwrap();
    Department::try_from(spec).unwrap()
}

/// Sales and Support numbers with their departments, and a number with no rule.
fn state() -> CompanyState {
    let mut routing = CompanyRouting::new();
    routing.upsert_number(NumberRecord::new(PhoneNumberId::new(), pn(SALES), Features::ALL).with_department("Sales"));
    routing
        .upsert_number(NumberRecord::new(PhoneNumberId::new(), pn(SUPPORT), Features::ALL).with_department("Support"));
    routing.upsert_number(NumberRecord::new(PhoneNumberId::new(), pn(PLAIN), Features::ALL));
    routing.upsert_department(department("Sales", "sales"));
    routing.upsert_department(department("Support", "support"));
    CompanyState::new(CompanyId::new(), routing, RoutingSettings::default())
}

fn facts(id: &str, kind: FactKind, to: &str, text: Option<&str>) -> EventFacts {
    EventFacts {
        event_id: Arc::from(id),
        event_type: if matches!(kind, FactKind::MessageReceived) { "message.received" } else { "call.initiated" },
        kind,
        occurred_at: Some(Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()),
        from: CUSTOMER.into(),
        to: vec![to.into()],
        text: text.map(Into::into),
        media_count: 0,
        media_urls: Vec::new(),
        call_control_id: Some(format!("v3:{id}")),
        leg_state: None,
        hangup_cause: None,
        connection_id: Some("app-1".into()),
        delivery: None,
    }
}

/// The `call.answered` (event `id`) of the call `answered` says switchboard answered.
fn answered_facts(id: &str, answered: &AnsweredCall) -> EventFacts {
    EventFacts {
        event_id: Arc::from(id),
        event_type: "call.answered",
        kind: FactKind::CallAnswered,
        occurred_at: None,
        from: String::new(),
        to: vec![answered.number.to_string()],
        text: None,
        media_count: 0,
        media_urls: Vec::new(),
        call_control_id: Some(format!("v3:{}", answered.event_id)),
        leg_state: Some(LegState::Answered(answered.clone())),
        hangup_cause: None,
        connection_id: Some("app-1".into()),
        delivery: None,
    }
}

/// The `call.answered` (event `id`) of the caller's leg of the chain `leg`.
fn chain_answered_facts(id: &str, leg: &ChainLeg) -> EventFacts {
    EventFacts {
        event_type: "call.answered",
        kind: FactKind::CallAnswered,
        call_control_id: Some(format!("v3:{}", leg.event_id)),
        leg_state: Some(LegState::Chain(leg.clone())),
        ..facts(id, FactKind::CallAnswered, leg.number.as_str(), None)
    }
}

fn command(item: &OutboxItem) -> CallCommand {
    serde_json::from_str(&item.payload).unwrap()
}

/// The one item of `entry`, an answer, and the chain call it says it answered.
fn answered_call(entry: &LedgerEntry) -> ChainLeg {
    assert_eq!(entry.outbox.len(), 1, "{:?}", entry.outbox);
    assert_eq!(entry.outbox[0].kind, OutboxKind::CallAnswer);
    let state = command(&entry.outbox[0]).client_state.expect("the answer carries a client_state");
    match LegState::from_client_state(&state) {
        Some(LegState::Chain(leg)) => leg,
        other => panic!("not a chain state: {other:?}"),
    }
}

fn target(number: &str, counter: Counter) -> Target {
    Target::new(pn(number), counter)
}

#[test]
fn a_message_counts_and_is_forwarded_to_its_departments_destination() {
    let s = state();
    let entry = s.ingest(
        &facts("m1", FactKind::MessageReceived, SUPPORT, Some("hi")),
        &[target(SUPPORT, Counter::SmsReceived)],
        Utc::now(),
    );
    assert_eq!(entry.counts.len(), 1);
    assert_eq!(entry.counts[0].counter, Counter::SmsReceived);
    assert_eq!(entry.counts[0].route.as_ref().map(|r| r.outcome), Some("forward"));
    assert_eq!(entry.outbox.len(), 1);
    assert_eq!(entry.outbox[0].kind, OutboxKind::ForwardMessage);
    assert_eq!(entry.outbox[0].destination, "https://crm.example.com/support");
    assert!(entry.opt_changes.is_empty());
}

#[test]
fn a_target_the_company_does_not_hold_is_left_out() {
    let s = state();
    assert!(!s.owns(&pn("+19995550000")));
    let entry = s.ingest(
        &facts("m2", FactKind::MessageReceived, SALES, Some("hi")),
        &[target("+19995550000", Counter::SmsReceived)],
        Utc::now(),
    );
    assert!(entry.counts.is_empty() && entry.outbox.is_empty());
}

#[test]
fn stop_and_start_become_opt_changes_at_the_events_time() {
    let s = state();
    let stop = s.ingest(
        &facts("m3", FactKind::MessageReceived, SALES, Some(" Stop ")),
        &[target(SALES, Counter::SmsReceived)],
        Utc::now(),
    );
    assert_eq!(stop.opt_changes.len(), 1);
    let change = &stop.opt_changes[0];
    assert!(change.opted_out);
    assert_eq!((change.keyword, change.customer.as_str()), ("STOP", CUSTOMER));
    assert_eq!(change.occurred_at, Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap());
    let start = s.ingest(
        &facts("m4", FactKind::MessageReceived, SALES, Some("start")),
        &[target(SALES, Counter::SmsReceived)],
        Utc::now(),
    );
    assert!(!start.opt_changes[0].opted_out);
    // One change per customer, however many of the company's numbers the message reached.
    let both = s.ingest(
        &facts("m5", FactKind::MessageReceived, SALES, Some("STOP")),
        &[target(SALES, Counter::SmsReceived), target(SUPPORT, Counter::SmsReceived)],
        Utc::now(),
    );
    assert_eq!((both.counts.len(), both.opt_changes.len()), (2, 1));
}

#[test]
fn an_assignment_routes_the_customer_until_it_is_removed() {
    let mut s = state();
    let call = facts("c1", FactKind::CallIncoming, SUPPORT, None);
    let transfer_to = |s: &CompanyState| {
        let entry = s.ingest(&call, &[target(SUPPORT, Counter::IncomingCalls)], Utc::now());
        answered_call(&entry).rule.name
    };
    assert_eq!(transfer_to(&s), "Support");
    s.assign(pn(CUSTOMER), Some(pn(SALES)));
    assert_eq!(transfer_to(&s), "Sales", "the assignment sends the customer to Sales' chain");
    s.assign(pn(CUSTOMER), None);
    assert_eq!(transfer_to(&s), "Support");
}

#[test]
fn an_inbound_call_is_counted_routed_and_answered_first() {
    let s = state();
    let entry = s.ingest(
        &facts("c3", FactKind::CallIncoming, SUPPORT, None),
        &[target(SUPPORT, Counter::IncomingCalls)],
        Utc::now(),
    );
    assert_eq!(entry.counts.len(), 1);
    assert_eq!(entry.counts[0].counter, Counter::IncomingCalls);
    assert_eq!(entry.counts[0].route.as_ref().map(|r| r.outcome), Some("transfer"));
    let call = answered_call(&entry);
    assert_eq!(
        call,
        ChainLeg {
            company: s.company_id,
            event_id: "c3".into(),
            number: pn(SUPPORT),
            from: pn(CUSTOMER),
            rule: RuleRef { kind: RuleKind::Department, name: "Support".into(), after_hours: false },
            at: ChainAt::Answered,
        }
    );
    let answer = &entry.outbox[0];
    assert_eq!(answer.destination, "v3:c3");
    assert_eq!(command(answer).command_id, command_id_for("c3").to_string());
    assert_eq!((command(answer).to, command(answer).target_leg_client_state), (None, None));
}

#[test]
fn the_answered_call_rings_its_chains_first_step_counting_nothing() {
    let mut s = state();
    let initiated = s.ingest(
        &facts("c4", FactKind::CallIncoming, SUPPORT, None),
        &[target(SUPPORT, Counter::IncomingCalls)],
        Utc::now(),
    );
    let call = answered_call(&initiated);
    // An assignment made while the call is being answered changes nothing: the call walks the
    // chain of the rule its call.initiated was routed by (what the routing log says).
    s.assign(pn(CUSTOMER), Some(pn(SALES)));
    let entry = s.ingest(&chain_answered_facts("a4", &call), &[target(SUPPORT, Counter::Uncounted)], Utc::now());
    assert_eq!(entry.counts.len(), 1);
    assert_eq!((entry.counts[0].counter, entry.counts[0].route.is_none()), (Counter::Uncounted, true));
    assert_eq!(entry.outbox.len(), 1);
    let transfer = &entry.outbox[0];
    assert_eq!((transfer.kind, transfer.destination.as_str()), (OutboxKind::CallTransfer, "v3:c4"));
    let cmd = command(transfer);
    assert_eq!(cmd.to.as_deref(), Some("sip:support@pbx.example.com"));
    assert_eq!(cmd.command_id, chain_command_id("c4", ChainMove::Step(0)).to_string(), "from (chain, step)");
    assert_eq!(cmd.from.as_deref(), Some(CUSTOMER), "the default caller ID is the caller's");
    assert_eq!(cmd.timeout_secs, Some(30), "a one-string destination rings for the operator's timeout");
    let leg = LegState::Chain(call.at_step(0, "v3:c4"));
    for state in [&cmd.client_state, &cmd.target_leg_client_state] {
        assert_eq!(state.as_deref().and_then(LegState::from_client_state), Some(leg.clone()));
    }
    // The same event again builds the same item (the outbox and the ledger's key absorb it).
    let again = s.ingest(&chain_answered_facts("a4", &call), &[target(SUPPORT, Counter::Uncounted)], Utc::now());
    assert_eq!(again.outbox, entry.outbox);
}

#[test]
fn a_call_answered_before_chains_is_transferred_where_it_was_routed() {
    let s = state();
    let call = AnsweredCall {
        company: s.company_id,
        event_id: "c7".into(),
        number: pn(SUPPORT),
        caller: Some(pn(CUSTOMER)),
        destination: "sip:support@pbx.example.com".into(),
    };
    let entry = s.ingest(&answered_facts("a7", &call), &[target(SUPPORT, Counter::Uncounted)], Utc::now());
    let cmd = command(&entry.outbox[0]);
    assert_eq!(cmd.to.as_deref(), Some("sip:support@pbx.example.com"));
    assert_eq!(cmd.command_id, command_id_for("a7").to_string());
}

#[test]
fn the_chain_shows_the_configured_caller_id() {
    let base = state();
    let calls = RoutingSettings { transfer_caller_id: TransferCallerId::CompanyNumber, transfer_timeout_secs: 20 };
    let company_number = CompanyState::new(base.company_id, base.routing.clone(), calls);
    let from = |s: &CompanyState, caller: &str| {
        let mut initiated = facts("c5", FactKind::CallIncoming, SUPPORT, None);
        initiated.from = caller.into();
        answered_call(&s.ingest(&initiated, &[target(SUPPORT, Counter::IncomingCalls)], Utc::now())).from
    };
    assert_eq!(from(&base, CUSTOMER), pn(CUSTOMER));
    assert_eq!(from(&company_number, CUSTOMER), pn(SUPPORT));
    // A caller without an E.164 number: the number it called, whatever the setting.
    assert_eq!(from(&base, "sip:anonymous@example.com"), pn(SUPPORT));
}

#[test]
fn another_companys_answered_call_is_not_transferred() {
    let s = state();
    let call = AnsweredCall {
        company: CompanyId::new(),
        event_id: "c6".into(),
        number: pn(SUPPORT),
        caller: None,
        destination: "+16505550100".into(),
    };
    let entry = s.ingest(&answered_facts("a6", &call), &[target(SUPPORT, Counter::Uncounted)], Utc::now());
    assert!(entry.outbox.is_empty());
}

#[test]
fn an_unrouted_call_is_hung_up_only_when_the_company_says_so() {
    let call = facts("c2", FactKind::CallIncoming, PLAIN, None);
    let s = state();
    let entry = s.ingest(&call, &[target(PLAIN, Counter::IncomingCalls)], Utc::now());
    assert!(entry.outbox.is_empty());
    assert_eq!(entry.counts[0].route.as_ref().map(|r| r.outcome), Some("unrouted"));
    let mut routing = s.routing.clone();
    routing.set_unrouted_policy(UnroutedPolicy::Hangup);
    let s = CompanyState::new(s.company_id, routing, s.calls);
    let entry = s.ingest(&call, &[target(PLAIN, Counter::IncomingCalls)], Utc::now());
    assert_eq!(entry.outbox[0].kind, OutboxKind::CallHangup);
}

#[test]
fn outbound_events_count_without_routing() {
    let s = state();
    let mut sent = facts("s1", FactKind::MessageSent, CUSTOMER, None);
    sent.from = SALES.into();
    let entry = s.ingest(&sent, &[target(SALES, Counter::SmsSent)], Utc::now());
    assert_eq!(entry.counts[0].counter, Counter::SmsSent);
    assert!(entry.counts[0].route.is_none() && entry.outbox.is_empty());
}

#[test]
fn a_forwarded_mms_carries_its_media() {
    let s = state();
    let mut mms = facts("m6", FactKind::MessageReceived, SUPPORT, Some("photo"));
    mms.media_count = 1;
    mms.media_urls = vec!["https://media.telnyx.example/abc.jpg".into()];
    let entry = s.ingest(&mms, &[target(SUPPORT, Counter::SmsReceived)], Utc::now());
    let body: serde_json::Value = serde_json::from_str(&entry.outbox[0].payload).unwrap();
    assert_eq!(body["message"]["media_urls"], json!(["https://media.telnyx.example/abc.jpg"]));
    assert_eq!(body["message"]["type"], "MMS");
}
