//! `call.hangup`: whose call a leg is, and its outcome (see `plan/hangup.rs`).
use super::*;
use crate::telnyx::client_state::{ChainAt, ChainLeg, FinalPhase, RuleKind, RuleRef};

/// The fixture's leg and its `occurred_at` (2024-05-14T22:29:02.310021Z, when it ended).
const LEG: &str = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg";
const TWO_SECONDS_BEFORE: &str = "2024-05-14T22:29:00.310021Z";
const TEN_SECONDS_BEFORE: &str = "2024-05-14T22:28:52.310021Z";
const CUSTOMER: &str = "+16505550100";

/// A hangup of the fixture's leg from `from` to `to`, with `state` (switchboard's, else none).
fn hangup(state: Option<&LegState>, (from, to): (&str, &str), cause: &str, start_time: Option<&str>) -> Vec<u8> {
    edited("call_hangup", |p| {
        p["client_state"] = state.map_or(serde_json::Value::Null, |s| s.client_state().as_str().into());
        p["from"] = from.into();
        p["to"] = to.into();
        p["hangup_cause"] = cause.into();
        p["start_time"] = start_time.map_or(serde_json::Value::Null, Into::into);
    })
}

/// Where the hangup counts and what, or `None` when it is acknowledged.
fn counted(body: &[u8], index: &NumberIndex) -> Option<(CompanyId, String, Counter)> {
    match plan(&parse_envelope(body).unwrap(), index) {
        Plan::Dispatch { facts, companies } => {
            assert_eq!(facts.kind, FactKind::CallEnded);
            assert_eq!(companies.len(), 1);
            assert_eq!(companies[0].1.len(), 1);
            let t = &companies[0].1[0];
            Some((companies[0].0, t.number.to_string(), t.counter))
        }
        Plan::Acknowledge => None,
        other => panic!("expected dispatch or acknowledgement, got {other:?}"),
    }
}

fn chain(company: CompanyId, at: ChainAt) -> LegState {
    LegState::Chain(ChainLeg {
        company,
        event_id: "0ccc7b54".into(),
        number: PhoneNumber::parse(NUMBER).unwrap(),
        from: PhoneNumber::parse(CALLER).unwrap(),
        rule: RuleRef { kind: RuleKind::CompanyDefault, name: String::new(), after_hours: false },
        at,
    })
}

#[test]
fn the_callers_leg_of_a_call_switchboard_answered_counts_answered_at_the_number_called() {
    let a = CompanyId::new();
    let index = index_with(&[(a, NUMBER)]);
    let at_number = |counter| Some((a, NUMBER.to_owned(), counter));
    for at in [
        ChainAt::Answered,
        ChainAt::Step { step: 1, caller_leg: LEG.into() },
        ChainAt::Final { phase: FinalPhase::Greeting, caller_leg: LEG.into() },
    ] {
        let state = chain(a, at.clone());
        // The caller hung up 2 s after the call started: a short call, whatever the cause says.
        let short = hangup(Some(&state), (CALLER, NUMBER), "normal_clearing", Some(TWO_SECONDS_BEFORE));
        assert_eq!(counted(&short, &index), at_number(Counter::CallShort), "{at:?}");
        let long = hangup(Some(&state), (CALLER, NUMBER), "originator_cancel", Some(TEN_SECONDS_BEFORE));
        assert_eq!(counted(&long, &index), at_number(Counter::CallAnswered), "exactly 10 s is not short: {at:?}");
    }
    // A step's leg toward a target is no call of the company's: the chain decides (see above).
    let target = hangup(
        Some(&chain(a, ChainAt::Final { phase: FinalPhase::Greeting, caller_leg: "v3:caller".into() })),
        (CALLER, CUSTOMER),
        "normal_clearing",
        None,
    );
    assert_eq!(counted(&target, &index), None);
    // The number changed hands since: nobody's.
    let state = chain(a, ChainAt::Answered);
    let body = hangup(Some(&state), (CALLER, NUMBER), "normal_clearing", None);
    assert_eq!(counted(&body, &index_with(&[(CompanyId::new(), NUMBER)])), None);
    // Without a start time (or with one after the end) the length is unknown: not short.
    assert_eq!(counted(&body, &index), at_number(Counter::CallAnswered));
    let later = hangup(Some(&state), (CALLER, NUMBER), "normal_clearing", Some("2024-05-14T23:00:00Z"));
    assert_eq!(counted(&later, &index), at_number(Counter::CallAnswered));
}

#[test]
fn an_inbound_call_without_switchboards_state_was_never_answered() {
    let a = CompanyId::new();
    let index = index_with(&[(a, NUMBER)]);
    // Hung up while parked (unrouted), or abandoned while ringing: never answered, whatever the
    // cause (Telnyx ends a parked call hung up by the application with normal_clearing).
    for cause in ["normal_clearing", "originator_cancel", "unspecified"] {
        let body = hangup(None, (CALLER, NUMBER), cause, Some(TWO_SECONDS_BEFORE));
        assert_eq!(counted(&body, &index), Some((a, NUMBER.to_owned(), Counter::CallUnanswered)), "{cause}");
    }
    // Another application's client_state is no state of switchboard's.
    let body = edited("call_hangup", |p| p["to"] = NUMBER.into());
    assert_eq!(counted(&body, &index), Some((a, NUMBER.to_owned(), Counter::CallUnanswered)));
    // Nobody's number: acknowledged (its call.initiated was the dead letter).
    assert_eq!(counted(&hangup(None, (CALLER, "+19995550000"), "normal_clearing", None), &index), None);
}

#[test]
fn a_call_the_company_placed_counts_at_its_number_answered_when_it_ended_normally() {
    let a = CompanyId::new();
    let index = index_with(&[(a, NUMBER)]);
    let dial = LegState::Dial { company: a };
    for state in [Some(&dial), None] {
        let of = |cause: &str, start: Option<&str>| counted(&hangup(state, (NUMBER, CUSTOMER), cause, start), &index);
        let at_number = |counter| Some((a, NUMBER.to_owned(), counter));
        assert_eq!(of("normal_clearing", Some(TEN_SECONDS_BEFORE)), at_number(Counter::CallAnswered), "{state:?}");
        assert_eq!(of("time_limit", None), at_number(Counter::CallAnswered));
        assert_eq!(of("normal_clearing", Some(TWO_SECONDS_BEFORE)), at_number(Counter::CallShort));
        for cause in ["no_answer", "timeout", "user_busy", "call_rejected", "originator_cancel", "unspecified"] {
            assert_eq!(of(cause, Some(TWO_SECONDS_BEFORE)), at_number(Counter::CallUnanswered), "{cause}");
        }
    }
    // A Dial state of another company: not this one's call.
    let theirs = LegState::Dial { company: CompanyId::new() };
    assert_eq!(counted(&hangup(Some(&theirs), (NUMBER, CUSTOMER), "normal_clearing", None), &index), None);
}

#[test]
fn a_transfers_new_leg_is_no_call_of_the_companys() {
    let a = CompanyId::new();
    let index = index_with(&[(a, NUMBER)]);
    let transfer = LegState::Transfer { company: a, event_id: "0ccc7b54".into(), step: 0 };
    // Leg B (from the company number or the caller, to the destination): nothing.
    for from in [NUMBER, CALLER] {
        assert_eq!(counted(&hangup(Some(&transfer), (from, CUSTOMER), "normal_clearing", None), &index), None);
    }
    // The caller's leg (a transfer from before chains marks it too): answered, at the number.
    let caller = hangup(Some(&transfer), (CALLER, NUMBER), "normal_clearing", Some(TWO_SECONDS_BEFORE));
    assert_eq!(counted(&caller, &index), Some((a, NUMBER.to_owned(), Counter::CallShort)));
}

#[test]
fn call_end_counters() {
    assert_eq!(Counter::of_call_end(false, true), Counter::CallUnanswered);
    assert_eq!(Counter::of_call_end(true, false), Counter::CallAnswered);
    assert_eq!(Counter::of_call_end(true, true), Counter::CallShort);
}
