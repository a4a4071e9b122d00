//! Fields nothing reads may be absent, null or of another shape: the event is still accepted
//! (Telnyx would otherwise retry it and record a failed delivery).

use super::super::*;
use super::{envelope, parse_ok};

fn payload_of(event_type: &str, payload: &str) -> EventPayload<'static> {
    let body: &'static str = Box::leak(envelope(event_type, payload).into_boxed_str());
    parse_ok(body.as_bytes()).payload
}

#[test]
fn call_answered_and_hangup_need_no_from_to_or_ids() {
    for payload in [r#"{}"#, r#"{"from":null,"to":null}"#, r#"{"from":{"x":1},"to":5,"call_control_id":7}"#] {
        assert_eq!(payload_of("call.answered", payload), EventPayload::CallAnswered(CallLeg::default()), "{payload}");
        assert_eq!(payload_of("call.hangup", payload), EventPayload::CallHangup(CallHangup::default()), "{payload}");
    }
    let EventPayload::CallHangup(h) = payload_of("call.hangup", r#"{"call_control_id":"v3:a","hangup_cause":null}"#)
    else {
        panic!("wrong payload variant");
    };
    assert_eq!((h.call_control_id.as_deref(), h.hangup_cause), (Some("v3:a"), None));
}

#[test]
fn acknowledged_types_accept_a_missing_or_odd_payload() {
    let no_payload = br#"{"data":{"id":"e","event_type":"call.hangup"}}"#;
    assert_eq!(parse_ok(no_payload).payload, EventPayload::CallHangup(CallHangup::default()));
    assert_eq!(payload_of("call.bridged", "[1,2]"), EventPayload::CallBridged(CallLeg::default()));
    // Not read by position either.
    assert_eq!(payload_of("call.answered", r#"["v3:x"]"#), EventPayload::CallAnswered(CallLeg::default()));
    assert_eq!(payload_of("call.answered", "null"), EventPayload::CallAnswered(CallLeg::default()));
    assert_eq!(payload_of("message.finalized", "\"x\""), EventPayload::MessageFinalized(MessageFinalized::default()));
}

#[test]
fn call_initiated_needs_no_leg_or_session_id() {
    let payload = r#"{"call_control_id":"v3:c","from":"+13125550001","to":"+13125550002","direction":"incoming",
        "call_leg_id":null,"client_state":12}"#;
    let EventPayload::CallInitiated(c) = payload_of("call.initiated", payload) else {
        panic!("wrong payload variant");
    };
    assert_eq!((c.call_leg_id, c.call_session_id, c.client_state), (None, None, None));
    assert_eq!((&*c.call_control_id, &*c.from, &*c.to), ("v3:c", "+13125550001", "+13125550002"));
}

#[test]
fn message_ids_are_optional() {
    let received = payload_of("message.received", r#"{"from":{"phone_number":"+1"},"to":[{"phone_number":"+2"}]}"#);
    let EventPayload::MessageReceived(m) = received else { panic!("wrong payload variant") };
    assert_eq!((m.message_id, m.to.len()), (None, 1));
    let sent = payload_of("message.sent", r#"{"id":null,"from":{"phone_number":"+1"},"to":[]}"#);
    let EventPayload::MessageSent(m) = sent else { panic!("wrong payload variant") };
    assert_eq!(m.message_id, None);
}

#[test]
fn recipients_without_a_number_are_left_out_not_fatal() {
    let payload = r#"{"from":{"phone_number":"+1"},"to":[{"status":"queued"},{"phone_number":null},
        {"phone_number":"+2","status":"sent"}],"cc":[{"carrier":"x"},{"phone_number":"+3"}]}"#;
    let EventPayload::MessageReceived(m) = payload_of("message.received", payload) else {
        panic!("wrong payload variant");
    };
    let to: Vec<&str> = m.to.iter().map(|p| &*p.phone_number).collect();
    let cc: Vec<&str> = m.cc.iter().map(|p| &*p.phone_number).collect();
    assert_eq!((to, cc), (vec!["+2"], vec!["+3"]));
    let EventPayload::MessageSent(s) = payload_of("message.sent", payload) else { panic!("wrong payload variant") };
    assert_eq!(s.to.len(), 1);
    assert_eq!((&*s.to[0].phone_number, s.to[0].status.as_deref()), ("+2", Some("sent")));
    let none = payload_of("message.received", r#"{"from":{"phone_number":"+1"},"to":[{}]}"#);
    let EventPayload::MessageReceived(m) = none else { panic!("wrong payload variant") };
    assert!(m.to.is_empty(), "nothing to count: the planner dead-letters it");
}

#[test]
fn message_finalized_needs_nothing() {
    let EventPayload::MessageFinalized(m) = payload_of("message.finalized", r#"{"to":[{"status":"delivered"}]}"#)
    else {
        panic!("wrong payload variant");
    };
    assert_eq!(m, MessageFinalized::default(), "a recipient without a number is left out");
    let odd = r#"{"id":5,"from":"+1","to":{"phone_number":"+2"},"errors":"none"}"#;
    assert_eq!(payload_of("message.finalized", odd), EventPayload::MessageFinalized(MessageFinalized::default()));
}

#[test]
fn kept_for_later_message_fields_never_fail() {
    let payload = r#"{"id":["m"],"type":7,"from":{"phone_number":"+1"},"to":[{"phone_number":"+2","status":{"a":1}}],
        "errors":[{"code":{"x":1}},"oops",{"title":"t"}]}"#;
    let EventPayload::MessageSent(m) = payload_of("message.sent", payload) else { panic!("wrong payload variant") };
    assert_eq!((m.message_id, m.to[0].status.clone()), (None, None));
    assert_eq!(m.errors.len(), 2, "the non-object error is left out: {:?}", m.errors);
    assert_eq!(m.errors[1].title.as_deref(), Some("t"));
    let received = r#"{"type":7,"from":{"phone_number":"+1"},"to":[]}"#;
    let EventPayload::MessageReceived(m) = payload_of("message.received", received) else {
        panic!("wrong payload variant");
    };
    assert_eq!(m.message_type, None);
}

#[test]
fn number_order_complete_needs_only_the_order_id() {
    let EventPayload::NumberOrderComplete(o) = payload_of("number_order.complete", r#"{"id":"o-1"}"#) else {
        panic!("wrong payload variant");
    };
    assert_eq!((&*o.order_id, o.status, o.phone_numbers.len()), ("o-1", None, 0));
    let odd = r#"{"id":"o-2","status":3,"phone_numbers":[{"id":"l"},{"id":"l2","phone_number":"+1","status":[]}]}"#;
    let EventPayload::NumberOrderComplete(o) = payload_of("number_order.complete", odd) else {
        panic!("wrong payload variant");
    };
    assert_eq!(o.status, None);
    assert_eq!(o.phone_numbers.len(), 1, "the entry without a number is left out");
    assert_eq!((&*o.phone_numbers[0].id, o.phone_numbers[0].status), ("l2", None));
}

#[test]
fn meta_attempt_is_read_when_it_is_a_small_integer() {
    let with = |meta: &str| format!(r#"{{"data":{{"id":"e","event_type":"x"}},"meta":{meta}}}"#);
    assert_eq!(parse_ok(with(r#"{"attempt":3}"#).as_bytes()).attempt, Some(3));
    for meta in [
        r#"{"attempt":"3"}"#,
        r#"{"attempt":-1}"#,
        r#"{"attempt":2.5}"#,
        r#"{"attempt":99999999999}"#,
        r#"{"attempt":null}"#,
        r#"{}"#,
        "null",
        "[1]",
        "\"meta\"",
    ] {
        assert_eq!(parse_ok(with(meta).as_bytes()).attempt, None, "{meta}");
    }
}
