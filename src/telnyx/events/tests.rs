//! Envelope parsing against realistic bodies (tests/fixtures/telnyx) and hostile input.

use super::*;
use std::borrow::Cow;

mod new_fields;
mod relaxed;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/telnyx/", $name))
    };
}

fn parse_ok(body: &[u8]) -> Envelope<'_> {
    match parse_envelope(body) {
        Ok(env) => env,
        Err(e) => panic!("expected a valid envelope, got: {e}"),
    }
}

fn parse_err(body: &[u8]) -> EnvelopeError {
    match parse_envelope(body) {
        Ok(env) => panic!("expected an error, got {env:?}"),
        Err(e) => e,
    }
}

/// Minimal envelope around a payload, for the error cases.
fn envelope(event_type: &str, payload: &str) -> String {
    format!(r#"{{"data":{{"id":"evt-1","event_type":"{event_type}","payload":{payload}}}}}"#)
}

#[test]
fn message_received_reads_recipients_cc_text_type_and_media() {
    let env = parse_ok(fixture!("message_received.json"));
    assert_eq!(env.id, "b301ed3f-1490-491f-995f-6e64e69674d4");
    assert_eq!(env.event_type, "message.received");
    assert_eq!(env.attempt, Some(1));
    let at = env.occurred_at.expect("occurred_at").to_rfc3339();
    assert_eq!(at, "2024-05-14T18:10:02.574+00:00");
    let EventPayload::MessageReceived(m) = env.payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(m.message_id.as_deref(), Some("84cca175-9755-4859-b67f-4730d7f58aa3"));
    assert_eq!(m.from.phone_number, "+13125550001");
    let to: Vec<_> = m.to.iter().map(|p| &*p.phone_number).collect();
    assert_eq!(to, ["+13125550002"]);
    assert_eq!(m.cc[0].phone_number, "+13125550103");
    assert_eq!(m.message_type, Some(MessageType::Mms));
    assert_eq!(m.media_count, 1);
    let urls: Vec<&str> = m.media_urls().collect();
    assert_eq!(urls, ["https://media.telnyx.example/mms/84cca175-9755-4859-b67f-4730d7f58aa3/photo.jpg"]);
    assert_eq!(m.media[0].content_type.as_deref(), Some("image/jpeg"));
    assert!(matches!(m.media[0].url, Cow::Borrowed(_)), "media URLs borrow from the body");
    let text = m.text.expect("text");
    assert!(text.contains("Thursday \u{2014} is 3pm"), "{text}");
    // Escaped text must be owned; plain strings borrow from the body.
    assert!(matches!(text, Cow::Owned(_)));
    assert!(matches!(m.from.phone_number, Cow::Borrowed(_)));
    assert!(matches!(env.id, Cow::Borrowed(_)));
    assert!(matches!(env.event_type, Cow::Borrowed(_)));
}

#[test]
fn message_sent_and_finalized() {
    let sent = parse_ok(fixture!("message_sent.json"));
    let EventPayload::MessageSent(m) = sent.payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(m.message_id.as_deref(), Some("40385f64-5717-4562-b3fc-2c963f66afa6"));
    assert_eq!(m.from.phone_number, "+13125550002");
    assert_eq!(m.to[0].phone_number, "+13125550001");
    assert_eq!(m.to[0].status.as_deref(), Some("sent"));
    assert_eq!(m.errors, vec![]);

    // The finalized fixture has cost.amount as a number (the DOCS variant): unused, ignored.
    let fin = parse_ok(fixture!("message_finalized.json"));
    assert_eq!(fin.attempt, Some(2));
    let EventPayload::MessageFinalized(m) = fin.payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(m.message_id.as_deref(), Some("40385f64-5717-4562-b3fc-2c963f66afa6"));
    assert_eq!(m.from.map(|f| f.phone_number).as_deref(), Some("+13125550002"));
    assert_eq!(m.to[0].phone_number, "+13125550001");
    assert_eq!(m.to[0].status.as_deref(), Some("delivered"));
}

#[test]
fn call_events() {
    let init = parse_ok(fixture!("call_initiated.json"));
    let at = init.occurred_at.expect("occurred_at");
    assert_eq!(at.timestamp_subsec_micros(), 521_992);
    let EventPayload::CallInitiated(c) = init.payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(c.direction, CallDirection::Incoming);
    assert_eq!((&*c.from, &*c.to), ("+13125550001", "+13125550002"));
    assert_eq!(c.call_leg_id.as_deref(), Some("428c31b6-7af4-4bcb-b7f5-5013ef9657c1"));
    assert_eq!(c.call_session_id.as_deref(), Some("428c31b6-7af4-4bcb-b7f5-5013ef9657c1"));
    assert_eq!(c.client_state.as_deref(), Some("aGF2ZSBhIG5pY2UgZGF5ID1d"));
    assert!(matches!(c.client_state, Some(Cow::Borrowed(_))), "optional strings borrow too");
    assert!(c.call_control_id.starts_with("v3:"));

    let answered = parse_ok(fixture!("call_answered.json"));
    assert_eq!(answered.attempt, None, "meta is optional");
    let EventPayload::CallAnswered(c) = answered.payload else {
        panic!("wrong payload variant");
    };
    assert!(c.call_control_id.is_some_and(|id| id.starts_with("v3:")));
    assert_eq!(c.client_state, None, "null client_state");

    let hangup = parse_ok(fixture!("call_hangup.json"));
    let EventPayload::CallHangup(c) = hangup.payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(c.hangup_cause.as_deref(), Some("normal_clearing"));
    assert_eq!(c.client_state.as_deref(), Some("aGF2ZSBhIG5pY2UgZGF5ID1d"));
    assert_eq!(c.leg_state(), None, "someone else's client_state");
}

#[test]
fn number_order_complete() {
    let env = parse_ok(fixture!("number_order_complete.json"));
    let EventPayload::NumberOrderComplete(o) = env.payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(o.order_id, "12ade33a-21c0-473b-b055-b3c836e1c292");
    assert_eq!(o.status, Some(OrderStatus::Success));
    assert_eq!(o.phone_numbers.len(), 1);
    assert_eq!(o.phone_numbers[0].phone_number, "+13125550199");
    assert_eq!(o.phone_numbers[0].id, "dc8e4d67-33a0-4cbb-af74-7b58f05bd494");
    assert_eq!(o.phone_numbers[0].status, Some(OrderStatus::Success));
}

#[test]
fn other_event_types_keep_their_type_and_skip_the_payload() {
    // Even a payload of a nonsense type is fine when it is not read.
    let body = envelope("fax.received", "42");
    let env = parse_ok(body.as_bytes());
    assert_eq!(env.payload, EventPayload::Other);
    assert_eq!(env.event_type, "fax.received");
    assert_eq!(env.payload.metric_label(), "other");
}

#[test]
fn a_saved_recording_gives_its_url_and_media_events_never_fail() {
    let env = parse_ok(fixture!("other_event.json"));
    assert_eq!(env.payload.metric_label(), "call.recording.saved");
    let EventPayload::CallRecordingSaved(r) = &env.payload else { panic!("wrong payload variant") };
    assert_eq!(r.url(), Some("https://example.com/r.mp3"));
    // Public URLs win (they last); nulls and wrong types read as nothing, never as an error.
    let public = envelope(
        "call.recording.saved",
        r#"{"recording_urls":{"mp3":"https://a/1.mp3","wav":null},"public_recording_urls":{"mp3":null,"wav":"https://p/1.wav"}}"#,
    );
    let EventPayload::CallRecordingSaved(r) = parse_ok(public.as_bytes()).payload else { panic!("variant") };
    assert_eq!(r.url(), Some("https://p/1.wav"));
    for (event_type, payload) in [
        ("call.recording.saved", r#"{"recording_urls":"nope","public_recording_urls":null}"#),
        ("call.machine.detection.ended", r#"{"result":7}"#),
        ("call.speak.ended", "[1,2]"),
    ] {
        let body = envelope(event_type, payload);
        assert_eq!(parse_ok(body.as_bytes()).payload.metric_label(), event_type);
    }
    let body = envelope("call.machine.detection.ended", r#"{"result":"machine"}"#);
    let EventPayload::CallMachineDetectionEnded(m) = parse_ok(body.as_bytes()).payload else { panic!("variant") };
    assert_eq!(m.result.as_deref(), Some("machine"));
}

#[test]
fn missing_data_or_id_are_named() {
    assert_eq!(parse_err(br#"{"meta":{"attempt":1}}"#), EnvelopeError::MissingData);
    assert_eq!(parse_err(br#"{"data":null}"#), EnvelopeError::MissingData);
    let no_id = br#"{"data":{"event_type":"message.sent","payload":{}}}"#;
    assert_eq!(parse_err(no_id), EnvelopeError::MissingId);
    assert_eq!(parse_err(no_id).to_string(), "missing data.id");
    let no_type = br#"{"data":{"id":"e"}}"#;
    assert_eq!(parse_err(no_type), EnvelopeError::MissingEventType);
    let no_payload = br#"{"data":{"id":"e","event_type":"call.initiated"}}"#;
    assert_eq!(parse_err(no_payload), EnvelopeError::MissingPayload("call.initiated"));
}

#[test]
fn bad_ids_are_rejected() {
    let id = |v: &str| format!(r#"{{"data":{{"id":{v},"event_type":"x"}}}}"#);
    let long = format!("\"{}\"", "a".repeat(129));
    for (v, label) in [
        ("\"\"", "bad_id"),
        (long.as_str(), "bad_id"),
        ("\"a\\u0000b\"", "bad_id"),
        ("\"a\\nb\"", "bad_id"),
        ("12345", "malformed_json"),
    ] {
        assert_eq!(parse_err(id(v).as_bytes()).metric_label(), label, "{v}");
    }
    let max = format!("\"{}\"", "é".repeat(128));
    assert_eq!(parse_ok(id(&max).as_bytes()).id.chars().count(), 128);
}

#[test]
fn unknown_fields_and_changed_unused_types_are_ignored() {
    let payload = r#"{"id":"m1","from":{"phone_number":"+1555","carrier":7,"x":[1,{"y":null}]},
        "to":[{"phone_number":"+1666","status":{"nested":true},"line_type":false}],
        "cost":12,"errors":"none","tags":{"a":1},"parts":"one","encoding":null,
        "brand_new_field":{"deep":[[[1e999]]]},"num":123456789012345678901234567890}"#;
    let body = format!(
        r#"{{"data":{{"id":"evt-1","event_type":"message.received","record_type":1,
            "payload":{payload},"extra":[]}},"meta":{{"delivered_to":5,"new":1}},"top":true}}"#
    );
    let EventPayload::MessageReceived(m) = parse_ok(body.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(m.to[0].phone_number, "+1666");
    assert_eq!(m.cc, vec![], "cc absent");
    assert_eq!((m.text, m.message_type, m.media_count), (None, None, 0));
}

#[test]
fn wrong_type_in_a_used_field_is_an_error_with_position() {
    let cases = [
        ("message.received", r#"{"id":"m","from":{"phone_number":"+1"},"to":{"phone_number":"+2"}}"#),
        ("message.received", r#"{"id":"m","from":"+1","to":[]}"#),
        ("message.received", r#"{"id":"m","from":{"phone_number":"+1"},"to":[],"media":3}"#),
        ("message.sent", r#"{"id":"m","from":{"phone_number":"+1"},"to":[{"phone_number":2}]}"#),
        ("message.sent", r#"{"from":{"phone_number":"+1"}}"#),
        (
            "call.initiated",
            r#"{"call_control_id":"c","call_leg_id":"l","from":{"phone_number":"+1"},"to":"+2","direction":"incoming"}"#,
        ),
        ("call.initiated", r#"{"call_control_id":"c","call_leg_id":"l","from":"+1","to":"+2","direction":"sideways"}"#),
        ("call.initiated", r#"{"call_control_id":"c","call_leg_id":"l","from":"+1","to":"+2"}"#),
        ("call.initiated", r#"{"call_control_id":5,"from":"+1","to":"+2","direction":"incoming"}"#),
        ("number_order.complete", r#"{"status":"success"}"#),
    ];
    for (event_type, payload) in cases {
        let err = parse_err(envelope(event_type, payload).as_bytes());
        assert_eq!(err.metric_label(), "bad_payload", "{event_type} {payload}: {err}");
        let text = err.to_string();
        assert!(text.contains(event_type) && text.contains(" at line 1 column "), "{text}");
        assert!(!text.contains('\n'));
    }
    let err = parse_err(envelope("call.initiated", r#"{"call_control_id":5}"#).as_bytes());
    let prefix = r#"{"data":{"id":"evt-1","event_type":"call.initiated","payload":{"call_control_id":5"#;
    assert!(err.to_string().ends_with(&format!("column {}", prefix.len())), "{err}");
}

#[test]
fn payload_errors_report_the_position_in_the_whole_body() {
    let body = "{\n  \"data\": {\n    \"id\": \"e\", \"event_type\": \"call.initiated\",\n    \"payload\": {\n      \"call_control_id\": true\n    }\n  }\n}";
    let err = parse_err(body.as_bytes());
    assert!(err.to_string().contains("at line 5 column 29"), "{err}");
}

#[test]
fn malformed_input_is_a_json_error_with_line_and_column() {
    let full = fixture!("message_received.json");
    for cut in [0, 1, 100, full.len() / 2, full.len() - 2] {
        let err = parse_err(&full[..cut]);
        assert_eq!(err.metric_label(), "malformed_json", "cut at {cut}: {err}");
        assert!(err.to_string().contains(" at line "), "{err}");
    }
    let mut non_utf8 = envelope("x", r#"{"a":"b"}"#).into_bytes();
    non_utf8[30] = 0xff;
    assert_eq!(parse_err(&non_utf8).metric_label(), "malformed_json");
    let raw_nul = b"{\"data\":{\"id\":\"a\0b\",\"event_type\":\"x\"}}";
    assert_eq!(parse_err(raw_nul).metric_label(), "malformed_json");
    let array = parse_err(b" \n [{\"id\":\"e\"}]");
    assert_eq!(array.to_string(), "malformed JSON: expected a JSON object at line 2 column 2");
    assert_eq!(parse_err(b"{\"data\":{\"id\":\"e\",\"event_type\":\"x\"}} x").metric_label(), "malformed_json");
    let huge_attempt = br#"{"data":{"id":"e","event_type":"x"},"meta":{"attempt":1e400}}"#;
    assert_eq!(parse_ok(huge_attempt).attempt, None, "meta.attempt is kept for later: never an error");
}

#[test]
fn long_serde_details_are_truncated_to_one_short_line() {
    let long = "x\\n".repeat(5000);
    let err = parse_err(envelope("call.initiated", &format!("{{\"call_control_id\":[\"{long}\"]}}")).as_bytes());
    let text = err.to_string();
    assert!(text.len() < 400 && !text.contains('\n'), "{text}");
}

#[test]
fn duplicate_used_keys_are_rejected() {
    let dup_id = br#"{"data":{"id":"a","id":"b","event_type":"x"}}"#;
    assert_eq!(parse_err(dup_id).metric_label(), "malformed_json");
    let call = r#""from":"1","to":"2","direction":"incoming""#;
    let dup_in_payload =
        envelope("call.initiated", &format!(r#"{{"call_control_id":"a","call_control_id":"b",{call}}}"#));
    assert_eq!(parse_err(dup_in_payload.as_bytes()).metric_label(), "bad_payload");
    let dup_unused = envelope("call.initiated", &format!(r#"{{"call_control_id":"a",{call},"x":1,"x":2}}"#));
    assert!(parse_envelope(dup_unused.as_bytes()).is_ok());
    // In a type that is only acknowledged, even a duplicate kept-for-later key does not fail.
    let dup_acknowledged = envelope("call.hangup", r#"{"call_control_id":"a","call_control_id":"b"}"#);
    assert_eq!(parse_ok(dup_acknowledged.as_bytes()).payload, EventPayload::CallHangup(CallHangup::default()));
}

#[test]
fn deep_nesting_in_unused_fields_does_not_overflow_the_stack() {
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let in_data = format!(r#"{{"data":{{"id":"e","event_type":"x","unused":{nested}}}}}"#);
    assert_eq!(parse_ok(in_data.as_bytes()).id, "e");
    let unknown_type = envelope("fax.received", &nested);
    assert_eq!(parse_ok(unknown_type.as_bytes()).payload, EventPayload::Other);
    let payload = format!(r#"{{"call_control_id":"c","from":"+1","to":"+2","x":{nested},"y":{{"z":{nested}}}}}"#);
    let body = envelope("call.answered", &payload);
    let EventPayload::CallAnswered(c) = parse_ok(body.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(c.call_control_id.as_deref(), Some("c"));
    // Deep nesting in a kept-for-later value reads as absent.
    let body = envelope("call.answered", &format!(r#"{{"call_control_id":"c","client_state":{nested}}}"#));
    let EventPayload::CallAnswered(c) = parse_ok(body.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!((c.call_control_id.as_deref(), c.client_state), (Some("c"), None));
    // Deep nesting where a used value is expected is a clear error.
    let err = parse_err(envelope("call.initiated", &format!(r#"{{"from":{nested}}}"#)).as_bytes());
    assert_eq!(err.metric_label(), "bad_payload", "{err}");
    // Unterminated nesting is a truncation error, not a crash.
    let open = format!(r#"{{"data":{{"id":"e","x":{}"#, "[".repeat(depth));
    assert_eq!(parse_err(open.as_bytes()).metric_label(), "malformed_json");
}

#[test]
fn occurred_at_is_optional_but_must_be_rfc3339_when_present() {
    let with = |v: &str| format!(r#"{{"data":{{"id":"e","event_type":"x","occurred_at":{v}}}}}"#);
    assert_eq!(parse_ok(with("null").as_bytes()).occurred_at, None);
    let at = parse_ok(with("\"2019-01-23T18:10:02.574+02:00\"").as_bytes()).occurred_at;
    assert_eq!(at.map(|t| t.to_rfc3339()).as_deref(), Some("2019-01-23T16:10:02.574+00:00"));
    assert_eq!(parse_err(with("\"yesterday\"").as_bytes()), EnvelopeError::BadOccurredAt);
}

#[test]
fn metric_labels_come_from_fixed_sets() {
    for name in [
        "message_received.json",
        "message_sent.json",
        "message_finalized.json",
        "call_initiated.json",
        "call_answered.json",
        "call_hangup.json",
        "number_order_complete.json",
    ] {
        let path = format!("{}/tests/fixtures/telnyx/{name}", env!("CARGO_MANIFEST_DIR"));
        let body = std::fs::read(&path).expect("fixture readable");
        let env = parse_ok(&body);
        assert_eq!(env.payload.metric_label(), env.event_type, "{name}");
        assert!(EventPayload::METRIC_LABELS.contains(&env.payload.metric_label()));
    }
}
