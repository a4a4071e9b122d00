//! Walking a chain, event by event: which hangups move it, where, and once.
use super::*;
use crate::company::state::{ChainEvent, LegOutcome};

/// Sales rings a desk phone for 15 s, then a ring group of two for 20 s, then hangs up.
fn chained() -> CompanyState {
    let mut s = state();
    let spec: DepartmentSpec = serde_json::from_value(json!({
        "name": "Sales",
        "destinations": {"call": [
            {"targets": ["sip:desk@pbx.example.com"], "timeout_secs": 15},
            {"targets": ["+16505550101", "sip:team@pbx.example.com"]}
        ]}
    }))
    .unwrap();
    s.routing.upsert_department(Department::try_from(spec).unwrap());
    s
}

fn sales_call(s: &CompanyState) -> ChainLeg {
    answered_call(&s.ingest(
        &facts("c1", FactKind::CallIncoming, SALES, None),
        &[target(SALES, Counter::IncomingCalls)],
        Utc::now(),
    ))
}

/// The `call.hangup` (event `id`) of leg `leg` of step `step`.
fn leg_ended(id: &str, call: &ChainLeg, step: u32, leg: &str, cause: &str) -> EventFacts {
    EventFacts {
        event_type: "call.hangup",
        kind: FactKind::ChainLegEnded,
        call_control_id: Some(leg.into()),
        leg_state: Some(LegState::Chain(call.at_step(step, "v3:c1"))),
        hangup_cause: Some(cause.into()),
        ..facts(id, FactKind::ChainLegEnded, SALES, None)
    }
}

fn walk(s: &CompanyState, f: &EventFacts) -> (LedgerEntry, Vec<ChainEvent>) {
    s.ingest_observed(f, &[target(SALES, Counter::Uncounted)], Utc::now())
}

#[test]
fn a_step_that_fails_rings_the_next_one_through_the_callers_leg() {
    let s = chained();
    let call = sales_call(&s);
    let (first, _) = walk(&s, &chain_answered_facts("a1", &call));
    assert_eq!(command(&first.outbox[0]).timeout_secs, Some(15));
    let (entry, events) = walk(&s, &leg_ended("h1", &call, 0, "v3:b1", "timeout"));
    assert_eq!(entry.outbox.len(), 1);
    let dial = &entry.outbox[0];
    assert_eq!((dial.kind, dial.destination.as_str(), &*dial.event_id), (OutboxKind::CallDial, "v3:c1", "h1"));
    let cmd = command(dial);
    assert_eq!(cmd.targets, Some(vec!["+16505550101".to_owned(), "sip:team@pbx.example.com".to_owned()]));
    assert_eq!((cmd.link_to.as_deref(), cmd.connection_id.as_deref()), (Some("v3:c1"), Some("app-1")));
    assert_eq!(cmd.timeout_secs, Some(20), "a step without a timeout rings 20 s");
    assert_eq!(cmd.command_id, chain_command_id("c1", ChainMove::Step(1)).to_string());
    let state = cmd.client_state.as_deref().and_then(LegState::from_client_state);
    assert_eq!(state, Some(LegState::Chain(call.at_step(1, "v3:c1"))));
    assert_eq!(events, vec![ChainEvent::LegEnded(LegOutcome::Timeout), ChainEvent::StepStarted("dial")]);
    // Another event asking for the same move makes the same item (the outbox keeps one).
    let (other, _) = walk(&s, &leg_ended("h1-bis", &call, 0, "v3:b1", "user_busy"));
    assert_eq!(other.outbox[0].id, dial.id);
}

#[test]
fn an_answered_or_cancelled_leg_moves_nothing() {
    let s = chained();
    let call = sales_call(&s);
    for cause in ["normal_clearing", "originator_cancel"] {
        let (entry, events) = walk(&s, &leg_ended("h2", &call, 0, "v3:b1", cause));
        assert!(entry.outbox.is_empty(), "{cause}");
        assert_eq!(entry.counts.len(), 1, "the key still dedupes it");
        assert_eq!(events.len(), 1);
    }
}

#[test]
fn a_ring_group_fails_when_every_target_did_or_one_timed_out() {
    let s = chained();
    let call = sales_call(&s);
    let (entry, _) = walk(&s, &leg_ended("h3", &call, 1, "v3:g1", "user_busy"));
    assert!(entry.outbox.is_empty(), "the other target still rings");
    let (entry, events) = walk(&s, &leg_ended("h4", &call, 1, "v3:g2", "call_rejected"));
    assert_eq!(entry.outbox.len(), 1);
    assert_eq!(entry.outbox[0].kind, OutboxKind::CallHangup, "past the last step: the final action");
    assert_eq!(command(&entry.outbox[0]).command_id, chain_command_id("c1", ChainMove::Final).to_string());
    assert_eq!(events.last(), Some(&ChainEvent::Exhausted("hangup")));
    let (entry, _) = walk(&s, &leg_ended("h5", &call, 1, "v3:g3", "timeout"));
    assert_eq!(entry.outbox[0].kind, OutboxKind::CallHangup, "a timeout ends the group's ring time");
}

#[test]
fn the_callers_own_leg_and_other_companies_calls_move_nothing() {
    let s = chained();
    let mut call = sales_call(&s);
    call.company = CompanyId::new();
    let (entry, _) = walk(&s, &leg_ended("h6", &call, 0, "v3:b1", "timeout"));
    assert!(entry.outbox.is_empty());
}

#[test]
fn an_after_hours_call_walks_the_after_hours_chain() {
    let mut s = state();
    let spec: DepartmentSpec = serde_json::from_value(json!({
        "name": "Sales",
        "destinations": {"call": "sip:open@pbx.example.com"},
        "hours": {"time_zone": "UTC", "open": [], "after_hours": {"call": {"steps": [
            {"targets": ["sip:night@pbx.example.com"], "timeout_secs": 40}
        ]}}}
    }))
    .unwrap();
    s.routing.upsert_department(Department::try_from(spec).unwrap());
    let call = sales_call(&s);
    assert!(call.rule.after_hours);
    let (entry, _) = walk(&s, &chain_answered_facts("a8", &call));
    let cmd = command(&entry.outbox[0]);
    assert_eq!((cmd.to.as_deref(), cmd.timeout_secs), (Some("sip:night@pbx.example.com"), Some(40)));
}
