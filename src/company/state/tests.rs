//! The per-event bookkeeping of a company actor, without the actor: counts, routing decisions,
//! side effects and opt-out changes of an event.
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use serde_json::json;

use super::CompanyState;
use crate::company::facts::{EventFacts, FactKind, Target};
use crate::domain::{CompanyId, Features, PhoneNumber, PhoneNumberId};
use crate::ledger::outbox_item::OutboxKind;
use crate::ledger::Counter;
use crate::routing::{CompanyRouting, Department, DepartmentSpec, NumberRecord, UnroutedPolicy};

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
    CompanyState::new(CompanyId::new(), routing)
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
    }
}

fn target(number: &str, counter: Counter) -> Target {
    Target { number: pn(number), counter }
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
        assert_eq!(entry.outbox[0].kind, OutboxKind::CallTransfer);
        entry.outbox[0].payload.clone()
    };
    assert!(transfer_to(&s).contains("sip:support@"));
    s.assign(pn(CUSTOMER), Some(pn(SALES)));
    assert!(transfer_to(&s).contains("sip:sales@"), "the assignment sends the customer to Sales");
    s.assign(pn(CUSTOMER), None);
    assert!(transfer_to(&s).contains("sip:support@"));
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
    let s = CompanyState::new(s.company_id, routing);
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
