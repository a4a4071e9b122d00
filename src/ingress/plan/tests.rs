use super::*;
use crate::company::index::NumberIndex;
use crate::domain::{NumberStatus, PhoneNumberId};
use crate::store::{NumberRecord, Usage};
use crate::telnyx::events::parse_envelope;

fn record(company: CompanyId, n: &str) -> NumberRecord {
    NumberRecord {
        id: PhoneNumberId::new(),
        company_id: company,
        phone_number: PhoneNumber::parse(n).unwrap(),
        formatted_number: String::new(),
        telnyx_phone_number_id: None,
        telnyx_messaging_profile_id: None,
        telnyx_connection_id: None,
        features: crate::domain::Features::ALL,
        status: NumberStatus::Active,
        department: None,
        location: None,
        usage: Usage::default(),
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/telnyx/{name}.json", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn index_with(numbers: &[(CompanyId, &str)]) -> NumberIndex {
    let index = NumberIndex::new();
    let recs: Vec<_> = numbers.iter().map(|(c, n)| record(*c, n)).collect();
    index.load(&recs);
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
    for f in ["call_answered", "call_hangup", "message_finalized", "other_event"] {
        let body = fixture(f);
        let env = parse_envelope(&body).unwrap();
        assert!(matches!(plan(&env, &NumberIndex::new()), Plan::Acknowledge), "{f}");
    }
    let body = fixture("number_order_complete");
    assert!(matches!(plan(&parse_envelope(&body).unwrap(), &NumberIndex::new()), Plan::NumberOrder));
}
