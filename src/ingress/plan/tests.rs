use super::*;
use crate::company::index::NumberIndex;
use crate::domain::{NumberStatus, PhoneNumberId};
use crate::store::LiveNumber;
use crate::telnyx::client_state::AnsweredCall;
use crate::telnyx::events::parse_envelope;

mod hangups;

/// The plan with the default short-call threshold (`number_health.short_call_secs`, 10 s).
fn plan(env: &Envelope<'_>, index: &NumberIndex) -> Plan {
    super::plan(env, index, 10)
}

fn record(company: CompanyId, n: &str) -> LiveNumber {
    LiveNumber {
        id: PhoneNumberId::new(),
        company_id: company,
        phone_number: crate::domain::PhoneNumber::parse(n).unwrap(),
        status: NumberStatus::Active,
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/telnyx/{name}.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn index_with(numbers: &[(CompanyId, &str)]) -> NumberIndex {
    let index = NumberIndex::new();
    index.load(numbers.iter().map(|(c, n)| record(*c, n)).collect());
    index
}

fn targets_of(p: Plan) -> Vec<(CompanyId, Vec<(String, Counter)>)> {
    match p {
        Plan::Dispatch { companies, .. } => companies
            .into_iter()
            .map(|(c, t)| (c, t.into_iter().map(|t| (t.number.to_string(), t.counter)).collect()))
            .collect(),
        other => panic!("expected dispatch, got {other:?}"),
    }
}

#[test]
fn message_received_counts_every_owned_recipient_including_cc() {
    let body = fixture("message_received");
    let env = parse_envelope(&body).unwrap();
    let EventPayload::MessageReceived(m) = &env.payload else { panic!() };
    let to = m.to[0].phone_number.to_string();
    let cc = m.cc[0].phone_number.to_string();
    let (a, b) = (CompanyId::new(), CompanyId::new());
    let index = index_with(&[(a, &to), (b, &cc)]);
    let t = targets_of(plan(&env, &index));
    assert_eq!(t, vec![(a, vec![(to, Counter::SmsReceived)]), (b, vec![(cc, Counter::SmsReceived)])]);
}

#[test]
fn message_sent_counts_the_sender_and_calls_follow_direction() {
    let body = fixture("message_sent");
    let env = parse_envelope(&body).unwrap();
    let EventPayload::MessageSent(m) = &env.payload else { panic!() };
    let from = m.from.phone_number.to_string();
    let a = CompanyId::new();
    let t = targets_of(plan(&env, &index_with(&[(a, &from)])));
    assert_eq!(t, vec![(a, vec![(from, Counter::SmsSent)])]);

    let body = fixture("call_initiated");
    let env = parse_envelope(&body).unwrap();
    let EventPayload::CallInitiated(c) = &env.payload else { panic!() };
    let (counted, counter) = match c.direction {
        CallDirection::Incoming => (c.to.to_string(), Counter::IncomingCalls),
        CallDirection::Outgoing => (c.from.to_string(), Counter::OutgoingCalls),
    };
    let t = targets_of(plan(&env, &index_with(&[(a, &counted)])));
    assert_eq!(t, vec![(a, vec![(counted, counter)])]);
}

#[test]
fn unowned_numbers_dead_letter_and_other_types_acknowledge() {
    let body = fixture("call_initiated");
    let env = parse_envelope(&body).unwrap();
    assert!(matches!(plan(&env, &NumberIndex::new()), Plan::DeadLetter { reason: "unknown_number", .. }));
    // A finalized message counts its outcome at the sender: no company owns it here.
    let body = fixture("message_finalized");
    assert!(matches!(plan(&parse_envelope(&body).unwrap(), &NumberIndex::new()), Plan::DeadLetter { .. }));
    for f in ["call_answered", "call_hangup", "other_event"] {
        let body = fixture(f);
        let env = parse_envelope(&body).unwrap();
        assert!(matches!(plan(&env, &NumberIndex::new()), Plan::Acknowledge), "{f}");
    }
    let body = fixture("number_order_complete");
    assert!(matches!(plan(&parse_envelope(&body).unwrap(), &NumberIndex::new()), Plan::NumberOrder));
}

/// A fixture with its payload changed by `edit`.
fn edited(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(&fixture(name)).unwrap();
    edit(&mut v["data"]["payload"]);
    serde_json::to_vec(&v).unwrap()
}

const CALLER: &str = "+13125550001";
const NUMBER: &str = "+13125550002";

#[test]
fn a_leg_switchboard_transferred_to_is_not_the_companys_outgoing_call() {
    let a = CompanyId::new();
    let index = index_with(&[(a, NUMBER)]);
    let transfer = LegState::Transfer { company: a, event_id: "0ccc7b54".into(), step: 0 };
    // Leg B presents the company number (transfer_caller_id = company_number) or the caller.
    for from in [NUMBER, CALLER] {
        let body = edited("call_initiated", |p| {
            p["direction"] = "outgoing".into();
            p["from"] = from.into();
            p["to"] = "+16505550100".into();
            p["client_state"] = transfer.client_state().as_str().into();
        });
        let env = parse_envelope(&body).unwrap();
        assert!(matches!(plan(&env, &index), Plan::Acknowledge), "from {from}");
    }
    // A call the company placed (POST /calls marks it Dial) counts once as outgoing.
    let body = edited("call_initiated", |p| {
        p["direction"] = "outgoing".into();
        p["from"] = NUMBER.into();
        p["client_state"] = LegState::Dial { company: a }.client_state().as_str().into();
    });
    let t = targets_of(plan(&parse_envelope(&body).unwrap(), &index));
    assert_eq!(t, vec![(a, vec![(NUMBER.to_owned(), Counter::OutgoingCalls)])]);
}

#[test]
fn the_answer_of_a_call_switchboard_answered_goes_to_its_company_counting_nothing() {
    let (a, b) = (CompanyId::new(), CompanyId::new());
    let answered = AnsweredCall {
        company: a,
        event_id: "0ccc7b54".into(),
        number: PhoneNumber::parse(NUMBER).unwrap(),
        caller: Some(PhoneNumber::parse(CALLER).unwrap()),
        destination: "sip:support@pbx.example.com".into(),
    };
    let state = LegState::Answered(answered.clone());
    let body = edited("call_answered", |p| p["client_state"] = state.client_state().as_str().into());
    let env = parse_envelope(&body).unwrap();
    match plan(&env, &index_with(&[(a, NUMBER)])) {
        Plan::Dispatch { facts, companies } => {
            assert_eq!(companies.len(), 1);
            assert_eq!(companies[0].0, a);
            assert_eq!(companies[0].1, vec![Target::new(answered.number.clone(), Counter::Uncounted)]);
            assert_eq!(facts.kind, FactKind::CallAnswered);
            assert_eq!(&*facts.event_id, "5a4b7cde-2c41-4a3b-9e3f-7c1d2e8f9a10");
            assert_eq!(facts.leg_state, Some(state.clone()));
            assert_eq!(
                facts.call_control_id.as_deref(),
                Some("v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg")
            );
        }
        other => panic!("expected dispatch, got {other:?}"),
    }
    // The number changed hands meanwhile, or is gone: nothing for anyone to do.
    assert!(matches!(plan(&env, &index_with(&[(b, NUMBER)])), Plan::Acknowledge));
    assert!(matches!(plan(&env, &NumberIndex::new()), Plan::Acknowledge));
    // The answer of a transfer's leg B, of a dialled call, of another application's call.
    for other in [
        LegState::Transfer { company: a, event_id: "0ccc7b54".into(), step: 0 }.client_state().as_str().to_owned(),
        LegState::Dial { company: a }.client_state().as_str().to_owned(),
        "aGF2ZSBhIG5pY2UgZGF5ID1d".to_owned(),
    ] {
        let body = edited("call_answered", |p| p["client_state"] = other.clone().into());
        assert!(matches!(plan(&parse_envelope(&body).unwrap(), &index_with(&[(a, NUMBER)])), Plan::Acknowledge));
    }
}

#[test]
fn the_hangup_of_a_chain_steps_leg_goes_to_its_company_not_the_callers_own() {
    use crate::telnyx::client_state::{ChainAt, ChainLeg, RuleKind, RuleRef};
    let a = CompanyId::new();
    let leg = |caller_leg: &str| {
        LegState::Chain(ChainLeg {
            company: a,
            event_id: "0ccc7b54".into(),
            number: PhoneNumber::parse(NUMBER).unwrap(),
            from: PhoneNumber::parse(CALLER).unwrap(),
            rule: RuleRef { kind: RuleKind::CompanyDefault, name: String::new(), after_hours: false },
            at: ChainAt::Step { step: 2, caller_leg: caller_leg.into() },
        })
    };
    let hangup = |state: &LegState| {
        edited("call_hangup", |p| {
            p["client_state"] = state.client_state().as_str().into();
            p["hangup_cause"] = "user_busy".into();
        })
    };
    let body = hangup(&leg("v3:caller"));
    match plan(&parse_envelope(&body).unwrap(), &index_with(&[(a, NUMBER)])) {
        Plan::Dispatch { facts, companies } => {
            assert_eq!(
                companies,
                vec![(a, vec![Target::new(PhoneNumber::parse(NUMBER).unwrap(), Counter::Uncounted)])]
            );
            assert_eq!((facts.kind, facts.hangup_cause.as_deref()), (FactKind::ChainLegEnded, Some("user_busy")));
            assert_eq!(facts.leg_state, Some(leg("v3:caller")));
        }
        other => panic!("expected dispatch, got {other:?}"),
    }
    // The caller's own leg (the transfer marks it too) ends the call, not a step: its outcome
    // counts at the number called (answered: switchboard answered it; 215 s long).
    let own = hangup(&leg("v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg"));
    let Plan::Dispatch { facts, companies } = plan(&parse_envelope(&own).unwrap(), &index_with(&[(a, NUMBER)])) else {
        panic!("dispatched")
    };
    assert_eq!(facts.kind, FactKind::CallEnded);
    assert_eq!(companies, vec![(a, vec![Target::new(PhoneNumber::parse(NUMBER).unwrap(), Counter::CallAnswered)])]);
}

#[test]
fn finalized_messages_count_each_recipients_outcome_at_the_sender() {
    let c = CompanyId::new();
    let index = index_with(&[(c, "+13125550002")]);
    let body = edited("message_finalized", |p| {
        p["to"] = serde_json::json!([
            {"phone_number": "+13125550001", "status": "delivery_failed"},
            {"phone_number": "+13125550003", "status": "delivered"},
            {"phone_number": "+13125550001", "status": "delivery_failed"},
            {"phone_number": "+13125550004", "status": "delivery_unconfirmed"},
            {"phone_number": "+13125550005", "status": "sending_failed"}
        ]);
        p["errors"] = serde_json::json!([{"code": "40003", "title": "Blocked as spam"}]);
    });
    let env = parse_envelope(&body).unwrap();
    let Plan::Dispatch { facts, companies } = plan(&env, &index) else { panic!("dispatched") };
    assert_eq!(facts.kind, FactKind::MessageFinalized);
    assert_eq!(companies.len(), 1);
    let got: Vec<_> = companies[0]
        .1
        .iter()
        .map(|t| (t.number.as_str().to_owned(), t.counter, t.recipient.as_ref().map(|r| r.as_str().to_owned())))
        .collect();
    let sender = "+13125550002".to_owned();
    assert_eq!(
        got,
        vec![
            (sender.clone(), Counter::FailedSpam, Some("+13125550001".into())),
            (sender.clone(), Counter::Delivered, Some("+13125550003".into())),
            (sender.clone(), Counter::Uncounted, Some("+13125550004".into())),
            (sender, Counter::FailedSpam, Some("+13125550005".into())),
        ],
        "one target per recipient with an outcome (an unconfirmed one counts nothing), the duplicate once"
    );
    // The send queue learns the first recipient's status and Telnyx's code.
    let d = facts.delivery.as_ref().expect("delivery");
    assert_eq!((d.status, d.error_code.as_deref()), ("delivery_failed", Some("40003")));
    // Unconfirmed only: dispatched with a key that counts nothing, for the queue's status.
    let body = edited("message_finalized", |p| p["to"][0]["status"] = "delivery_unconfirmed".into());
    let Plan::Dispatch { facts, companies } = plan(&parse_envelope(&body).unwrap(), &index) else {
        panic!("dispatched")
    };
    assert!(companies[0].1.iter().all(|t| t.counter == Counter::Uncounted));
    assert_eq!(facts.delivery.as_ref().map(|d| d.status), Some("delivery_unconfirmed"));
    // No status at all: acknowledged.
    let body = edited("message_finalized", |p| p["to"][0]["status"] = "queued".into());
    assert!(matches!(plan(&parse_envelope(&body).unwrap(), &index), Plan::Acknowledge));
}

#[test]
fn delivery_failures_are_classified_by_telnyx_code() {
    let of = |status: &str, codes: &[&'static str]| Counter::of_delivery(status, codes.iter().copied());
    assert_eq!(of("delivered", &["40003"]), Some(Counter::Delivered));
    for (code, counter) in [
        ("40002", Counter::FailedSpam),
        ("40003", Counter::FailedSpam),
        ("40015", Counter::FailedSpam),
        ("40011", Counter::FailedThroughput),
        ("40014", Counter::FailedThroughput),
        ("40001", Counter::FailedDestination),
        ("40012", Counter::FailedDestination),
        ("40300", Counter::Failed),
    ] {
        assert_eq!(of("delivery_failed", &[code]), Some(counter), "{code}");
    }
    assert_eq!(of("expired", &[]), Some(Counter::Failed));
    assert_eq!(of("sending_failed", &["40300", "40014"]), Some(Counter::FailedThroughput));
    assert_eq!(of("delivery_unconfirmed", &[]), None);
    assert_eq!(of("queued", &[]), None);
}
