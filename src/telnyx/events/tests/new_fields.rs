//! Fields parsed for what comes next: leg ids and client_state on every call event, hangup
//! causes, media URLs, delivery statuses and errors. Bodies follow the spec's examples.

use std::borrow::Cow;

use super::super::*;
use super::{envelope, parse_ok};
use crate::domain::CompanyId;
use crate::telnyx::client_state::LegState;

/// The spec's `CallBridged` example.
const CALL_BRIDGED: &str = r#"{"data":{"event_type":"call.bridged","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
  "occurred_at":"2018-02-02T22:25:27.521992Z","record_type":"event","payload":{
  "call_control_id":"v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
  "call_leg_id":"428c31b6-7af4-4bcb-b7f5-5013ef9657c1","call_session_id":"428c31b6-7af4-4bcb-b7f5-5013ef9657c1",
  "client_state":"aGF2ZSBhIG5pY2UgZGF5ID1d","connection_id":"7267xxxxxxxxxxxxxx",
  "from":"+35319605860","to":"+35319605860"}}}"#;

/// The spec's `CallHangup` example (with its call quality stats).
const CALL_HANGUP: &str = r#"{"data":{"event_type":"call.hangup","id":"0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
  "occurred_at":"2018-02-02T22:25:27.521992Z","record_type":"event","payload":{
  "call_control_id":"v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
  "call_leg_id":"428c31b6-7af4-4bcb-b7f5-5013ef9657c1",
  "call_quality_stats":{"inbound":{"jitter_max_variance":"2.74","mos":"4.50","packet_count":"591"},
    "outbound":{"packet_count":"0","skip_packet_count":"0"}},
  "call_session_id":"428c31b6-7af4-4bcb-b7f5-5013ef9657c1","client_state":"aGF2ZSBhIG5pY2UgZGF5ID1d",
  "connection_id":"7267xxxxxxxxxxxxxx","from":"+35319605860","hangup_cause":"call_rejected",
  "hangup_source":"caller","sip_hangup_cause":"603","start_time":"2018-02-02T22:20:27.521992Z",
  "state":"hangup","to":"+35319605860"}}}"#;

/// `message.sent` with the spec's `OutboundMessagePayload` example as payload, plus an error.
const MESSAGE_SENT: &str = r#"{"data":{"event_type":"message.sent","id":"4ee8c3a6-4995-4309-a3c6-38e3db9ea4be",
  "occurred_at":"2019-01-23T18:10:02.574+00:00","record_type":"event","payload":{
  "cc":[],"completed_at":null,"cost":{"amount":"0.0051","currency":"USD"},"direction":"outbound",
  "encoding":"GSM-7","errors":[{"code":"40008","title":"Undeliverable","detail":"The message could not be delivered."},
    {"code":40300,"title":"Blocked as spam"}],
  "from":{"carrier":"TELNYX LLC","line_type":"VoIP","phone_number":"+18445550001"},
  "id":"40385f64-5717-4562-b3fc-2c963f66afa6",
  "media":[{"content_type":null,"sha256":null,"size":null,"url":"https://pbs.twimg.com/profile_images/1142168442042118144/AW3F4fFD_400x400.png"}],
  "messaging_profile_id":"4000eba1-a0c0-4563-9925-b25e842a7cb6","parts":1,"record_type":"message",
  "sent_at":null,"subject":"From Telnyx!","tags":["Greetings"],"text":"Hello, World!",
  "to":[{"carrier":"T-MOBILE USA, INC.","line_type":"Wireless","phone_number":"+18665550001","status":"queued"}],
  "type":"MMS","valid_until":null,"wait_seconds":0.5,"webhook_failover_url":"https://backup.example.com/hooks",
  "webhook_url":"https://www.example.com/hooks"}},"meta":{"attempt":1,"delivered_to":"https://example.com/webhooks"}}"#;

#[test]
fn call_bridged_from_the_spec_example() {
    let env = parse_ok(CALL_BRIDGED.as_bytes());
    assert_eq!(env.payload.metric_label(), "call.bridged");
    let EventPayload::CallBridged(c) = env.payload else { panic!("wrong payload variant") };
    assert!(c.call_control_id.as_deref().is_some_and(|id| id.starts_with("v3:MdI91X4")));
    assert_eq!(c.call_leg_id.as_deref(), Some("428c31b6-7af4-4bcb-b7f5-5013ef9657c1"));
    assert_eq!(c.call_session_id.as_deref(), Some("428c31b6-7af4-4bcb-b7f5-5013ef9657c1"));
    assert_eq!(c.client_state.as_deref(), Some("aGF2ZSBhIG5pY2UgZGF5ID1d"));
    assert!(matches!(c.client_state, Some(Cow::Borrowed(_))), "kept-for-later strings borrow too");
    assert_eq!(c.leg_state(), None);
}

#[test]
fn call_hangup_from_the_spec_example() {
    let EventPayload::CallHangup(c) = parse_ok(CALL_HANGUP.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(c.hangup_cause.as_deref(), Some("call_rejected"));
    assert_eq!(c.call_leg_id.as_deref(), Some("428c31b6-7af4-4bcb-b7f5-5013ef9657c1"));
    assert_eq!(c.client_state.as_deref(), Some("aGF2ZSBhIG5pY2UgZGF5ID1d"));
    assert_eq!((c.from.as_deref(), c.to.as_deref()), (Some("+35319605860"), Some("+35319605860")));
    let started = "2018-02-02T22:20:27.521992Z".parse::<chrono::DateTime<chrono::Utc>>().ok();
    assert_eq!(c.started_at(), started);
}

#[test]
fn message_sent_statuses_and_errors_from_the_spec_example() {
    let EventPayload::MessageSent(m) = parse_ok(MESSAGE_SENT.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(m.message_id.as_deref(), Some("40385f64-5717-4562-b3fc-2c963f66afa6"));
    assert_eq!((&*m.to[0].phone_number, m.to[0].status.as_deref()), ("+18665550001", Some("queued")));
    assert_eq!(
        m.errors,
        vec![
            MessageError {
                code: Some("40008".into()),
                title: Some("Undeliverable".into()),
                detail: Some("The message could not be delivered.".into()),
            },
            MessageError { code: Some("40300".into()), title: Some("Blocked as spam".into()), detail: None },
        ]
    );
}

#[test]
fn message_finalized_reads_recipients_and_errors() {
    let payload = r#"{"id":"m-9","from":{"phone_number":"+18445550001"},
        "to":[{"phone_number":"+18665550001","status":"delivery_failed"},{"phone_number":"+18665550002","status":"delivered"}],
        "errors":[{"code":"40002","title":"Blocked as spam","detail":"Flagged by the carrier"}]}"#;
    let body = envelope("message.finalized", payload);
    let EventPayload::MessageFinalized(m) = parse_ok(body.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(m.message_id.as_deref(), Some("m-9"));
    let statuses: Vec<_> = m.to.iter().map(|r| (&*r.phone_number, r.status.as_deref())).collect();
    assert_eq!(statuses, [("+18665550001", Some("delivery_failed")), ("+18665550002", Some("delivered"))]);
    assert_eq!(m.errors[0].code.as_deref(), Some("40002"));
    assert_eq!(m.errors[0].detail.as_deref(), Some("Flagged by the carrier"));
}

#[test]
fn message_received_media_urls_in_order() {
    let payload = r#"{"from":{"phone_number":"+1"},"to":[{"phone_number":"+2"}],"type":"MMS","media":[
        {"url":"https://media.example/a.jpg","content_type":"image/jpeg","size":1,"hash_sha256":"x"},
        {"content_type":"image/png"},
        {"url":null},
        {"url":"https://media.example/b.png","content_type":null},
        "not an object",
        ["https://media.example/by-position.png"]]}"#;
    let body = envelope("message.received", payload);
    let EventPayload::MessageReceived(m) = parse_ok(body.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    let urls: Vec<&str> = m.media_urls().collect();
    assert_eq!(urls, ["https://media.example/a.jpg", "https://media.example/b.png"]);
    assert_eq!(m.media_count, 6, "every item counts: it is an MMS whatever its media look like");
    assert_eq!(m.media[0].content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(m.media[1].content_type, None);
    let none = r#"{"from":{"phone_number":"+1"},"to":[],"media":null}"#;
    let body = envelope("message.received", none);
    let EventPayload::MessageReceived(m) = parse_ok(body.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!((m.media_count, m.media.len()), (0, 0));
}

#[test]
fn a_leg_switchboard_created_is_recognised_by_its_client_state() {
    let company: CompanyId = "5b3c1d2e-0000-4000-8000-000000000001".parse().expect("company id");
    let state = LegState::Transfer { company, event_id: "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0".into(), step: 1 };
    let payload = format!(
        r#"{{"call_control_id":"v3:new-leg","call_leg_id":"l2","call_session_id":"s1","from":"+13125550001",
            "to":"+13125550100","direction":"outgoing","client_state":"{}"}}"#,
        state.client_state().as_str()
    );
    let body = envelope("call.initiated", &payload);
    let EventPayload::CallInitiated(c) = parse_ok(body.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(c.leg_state(), Some(state.clone()));
    assert_eq!(c.direction, CallDirection::Outgoing);
    // The same state echoed on the caller's leg (the transfer's client_state).
    let answered = envelope("call.answered", &format!(r#"{{"client_state":"{}"}}"#, state.client_state().as_str()));
    let EventPayload::CallAnswered(leg) = parse_ok(answered.as_bytes()).payload else {
        panic!("wrong payload variant");
    };
    assert_eq!(leg.leg_state(), Some(state));
}
