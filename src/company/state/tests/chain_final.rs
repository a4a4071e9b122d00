//! The end of a chain, event by event: a machine on a step, the announcement, the voicemail.
use serde_json::Value;

use super::*;
use crate::company::state::{ChainEvent, LegOutcome};
use crate::telnyx::client_state::FinalPhase;

/// Sales rings a desk with detection for 15 s, then another desk, then `final_action`.
fn chained(final_action: Value) -> CompanyState {
    let mut s = state();
    let spec: DepartmentSpec = serde_json::from_value(json!({
        "name": "Sales",
        "destinations": {"call": {"steps": [
            {"targets": ["sip:desk@pbx.example.com"], "timeout_secs": 15, "machine_detection": true},
            {"targets": ["sip:desk2@pbx.example.com"]}
        ], "final_action": final_action}}
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

/// An event of `kind` on leg `leg` whose client_state is `at`.
fn chain_event(id: &str, kind: FactKind, at: ChainLeg, leg: &str) -> EventFacts {
    EventFacts {
        call_control_id: Some(leg.into()),
        leg_state: Some(LegState::Chain(at)),
        hangup_cause: (kind == FactKind::ChainLegEnded).then(|| "timeout".into()),
        ..facts(id, kind, SALES, None)
    }
}

fn walk(s: &CompanyState, f: &EventFacts) -> (LedgerEntry, Vec<ChainEvent>) {
    s.ingest_observed(f, &[target(SALES, Counter::Uncounted)], Utc::now())
}

#[test]
fn a_machine_on_a_step_is_hung_up_and_the_next_step_rings_once() {
    let s = chained(json!({"action": "hangup"}));
    let call = sales_call(&s);
    let (first, _) = walk(&s, &chain_answered_facts("a1", &call));
    assert!(command(&first.outbox[0]).machine_detection, "step 0 asks for detection");
    let amd = chain_event("m1", FactKind::ChainMachine, call.at_step(0, "v3:c1"), "v3:b1");
    let (entry, events) = walk(&s, &amd);
    let kinds: Vec<_> = entry.outbox.iter().map(|i| (i.kind, i.destination.as_str())).collect();
    assert_eq!(kinds, [(OutboxKind::CallHangup, "v3:b1"), (OutboxKind::CallTransfer, "v3:c1")]);
    assert_eq!(command(&entry.outbox[1]).to.as_deref(), Some("sip:desk2@pbx.example.com"));
    assert!(!command(&entry.outbox[1]).machine_detection);
    assert_eq!(events, [ChainEvent::LegEnded(LegOutcome::Machine), ChainEvent::StepStarted("transfer")]);
    // The same result again (another event id): the same two items.
    let (again, _) = walk(&s, &chain_event("m2", FactKind::ChainMachine, call.at_step(0, "v3:c1"), "v3:b1"));
    assert_eq!(
        again.outbox.iter().map(|i| i.id).collect::<Vec<_>>(),
        entry.outbox.iter().map(|i| i.id).collect::<Vec<_>>()
    );
    // Then the machine leg's own hangup (normal clearing) moves nothing more.
    let mut ended = chain_event("h1", FactKind::ChainLegEnded, call.at_step(0, "v3:c1"), "v3:b1");
    ended.hangup_cause = Some("normal_clearing".into());
    assert!(walk(&s, &ended).0.outbox.is_empty());
}

#[test]
fn the_announcement_is_spoken_then_the_caller_is_hung_up() {
    let s = chained(json!({"action": "hangup", "announcement": "Nobody is free. Goodbye."}));
    let call = sales_call(&s);
    let (entry, events) = walk(&s, &chain_event("h2", FactKind::ChainLegEnded, call.at_step(1, "v3:c1"), "v3:b2"));
    let speak = &entry.outbox[0];
    assert_eq!((speak.kind, speak.destination.as_str()), (OutboxKind::CallSpeak, "v3:c1"));
    let cmd = command(speak);
    assert_eq!(cmd.text.as_deref(), Some("Nobody is free. Goodbye."));
    let at = call.at_final(FinalPhase::Announcement, "v3:c1");
    assert_eq!(cmd.client_state.as_deref().and_then(LegState::from_client_state), Some(LegState::Chain(at.clone())));
    assert_eq!(events.last(), Some(&ChainEvent::Exhausted("hangup")));
    let (entry, _) = walk(&s, &chain_event("s1", FactKind::ChainSpoken, at, "v3:c1"));
    let hangup = &entry.outbox[0];
    assert_eq!((hangup.kind, hangup.destination.as_str()), (OutboxKind::CallHangup, "v3:c1"));
    assert_eq!(command(hangup).command_id, chain_command_id("c1", ChainMove::FinalHangup).to_string());
}

#[test]
fn a_voicemail_greets_records_and_forwards_the_recording_once() {
    let s =
        chained(json!({"action": "voicemail", "greeting": "Leave a message.", "url": "https://crm.example.com/vm"}));
    let call = sales_call(&s);
    let (entry, events) = walk(&s, &chain_event("h3", FactKind::ChainLegEnded, call.at_step(1, "v3:c1"), "v3:b2"));
    assert_eq!(entry.outbox[0].kind, OutboxKind::CallSpeak);
    assert_eq!(events.last(), Some(&ChainEvent::Exhausted("voicemail")));
    let greeting = call.at_final(FinalPhase::Greeting, "v3:c1");
    let (entry, _) = walk(&s, &chain_event("s2", FactKind::ChainSpoken, greeting, "v3:c1"));
    let record = &entry.outbox[0];
    assert_eq!((record.kind, record.destination.as_str()), (OutboxKind::CallRecordStart, "v3:c1"));
    let recording = call.at_final(FinalPhase::Recording, "v3:c1");
    let state = command(record).client_state.as_deref().and_then(LegState::from_client_state);
    assert_eq!(state, Some(LegState::Chain(recording.clone())));
    let saved = |id: &str| EventFacts {
        media_urls: vec!["https://recordings.example.com/1.mp3".into()],
        ..chain_event(id, FactKind::ChainRecordingSaved, recording.clone(), "v3:c1")
    };
    let (entry, events) = walk(&s, &saved("r1"));
    let forward = &entry.outbox[0];
    assert_eq!(
        (forward.kind, forward.destination.as_str()),
        (OutboxKind::ForwardMessage, "https://crm.example.com/vm")
    );
    let body: Value = serde_json::from_str(&forward.payload).unwrap();
    assert_eq!(body["event_type"], "call.voicemail");
    assert_eq!(body["voicemail"]["recording_url"], "https://recordings.example.com/1.mp3");
    assert_eq!(body["voicemail"]["number"], SALES);
    assert_eq!(body["voicemail"]["call_id"], "c1");
    assert_eq!(events, [ChainEvent::Voicemail("forwarded")]);
    assert_eq!(walk(&s, &saved("r2")).0.outbox[0].id, forward.id, "one forward per call");
    // A greeting's end does not record twice, a speech during a recording moves nothing.
    let (entry, _) = walk(&s, &chain_event("s3", FactKind::ChainSpoken, recording, "v3:c1"));
    assert!(entry.outbox.is_empty());
}
