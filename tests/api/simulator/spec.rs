//! The spec check (requests the spec does not allow are violations and refused like Telnyx), and
//! webhook signing and envelopes.
use reqwest::Method;
use serde_json::json;
use switchboard::telnyx::signature::{SignedHeaders, WebhookVerifier};

/// The SDKs' tolerance for a webhook's timestamp (seconds).
const TOLERANCE_SECS: i64 = 300;

use super::raw;
use super::receiver::Receiver;
use crate::telnyx_sim::{TelnyxSim, ViolationKind};

#[actix_web::test]
async fn requests_the_spec_does_not_allow_are_violations() {
    let sim = TelnyxSim::start().await;
    let (status, body) = raw(
        &sim,
        Method::POST,
        "messages",
        Some(json!({ "from": "+14155550001", "to": ["+12125550100"], "text": "x" })),
    )
    .await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (422, Some("10015")));
    let v = sim.take_violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].kind, v[0].operation.as_str()), (ViolationKind::Request, "POST /messages"));
    assert!(v[0].message.contains("/to"), "{}", v[0].message);
    assert!(sim.messages().is_empty(), "a refused request has no effect");

    let cases: [(Method, &str, Option<serde_json::Value>, u16); 4] = [
        (Method::GET, "phone_numbers?page[size]=1000", None, 422),
        (Method::GET, "phone_numbers?colour=blue", None, 422),
        (Method::POST, "calls/v3:x/actions/transfer", Some(json!({})), 422),
        (Method::GET, "no_such_thing", None, 404),
    ];
    for (method, path, body, want) in cases {
        let (status, _) = raw(&sim, method, path, body).await;
        assert_eq!(status, want, "{path}");
        let v = sim.take_violations();
        assert_eq!(v.len(), 1, "{path}: {v:?}");
    }
    let unauthorized =
        reqwest::Client::new().get(sim.base_url().join("phone_numbers").expect("url")).send().await.expect("answer");
    assert_eq!(unauthorized.status().as_u16(), 401);
    assert!(sim.take_violations()[0].message.contains("Authorization"));

    // A valid request leaves nothing behind.
    let (status, _) = raw(&sim, Method::GET, "phone_numbers?page[number]=1&page[size]=250&filter[tag]=x", None).await;
    assert_eq!(status, 200);
    sim.assert_no_violations();
}

#[actix_web::test]
async fn webhooks_are_signed_telnyx_v2_envelopes() {
    let sim = TelnyxSim::start().await;
    let receiver = Receiver::start(&[]);
    sim.set_webhook_url(&receiver.url);
    let call = sim.inbound_call("+12125550100", "+14155550001").await;
    let got = receiver.received().pop().expect("delivered");
    let verifier = WebhookVerifier::new(&sim.public_key_base64()).expect("key");
    let headers = SignedHeaders::from_strs(got.signature.as_deref(), got.timestamp.as_deref());
    let now = chrono::Utc::now().timestamp();
    verifier.verify(headers, &got.body, now, TOLERANCE_SECS).expect("signature verifies");
    let mut tampered = got.body.clone();
    tampered.push(b' ');
    assert!(verifier.verify(headers, &tampered, now, TOLERANCE_SECS).is_err());

    let envelope: serde_json::Value = serde_json::from_slice(&got.body).expect("json");
    assert_eq!(envelope["data"]["event_type"], "call.initiated");
    assert_eq!(envelope["data"]["record_type"], "event");
    assert_eq!(envelope["data"]["id"], call.delivery.event_id.as_str());
    assert!(envelope["data"]["occurred_at"].as_str().is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()));
    assert_eq!(envelope["data"]["payload"]["call_control_id"], call.call_control_id.as_str());
    assert_eq!(envelope["meta"], json!({ "attempt": 1, "delivered_to": receiver.url }));
}

#[actix_web::test]
async fn failed_deliveries_are_retried_then_sent_to_the_failover_url() {
    let sim = TelnyxSim::start().await;
    let primary = Receiver::start(&[500, 503]);
    let failover = Receiver::start(&[]);
    sim.set_delivery_retries(1);
    let (_, app) = raw(
        &sim,
        Method::POST,
        "call_control_applications",
        Some(json!({ "application_name": "acme", "webhook_event_url": primary.url, "webhook_event_failover_url": failover.url })),
    )
    .await;
    let number = sim.add_owned_number("+14155550001");
    sim.with_world(|w| {
        w.numbers.find_owned(&number).expect("owned").connection_id = app["data"]["id"].as_str().map(str::to_owned)
    });
    let call = sim.inbound_call("+12125550100", "+14155550001").await;
    assert_eq!((call.delivery.attempt, call.delivery.status), (3, Some(200)));
    assert_eq!(call.delivery.url, failover.url);
    let attempts: Vec<(u32, Option<u16>, String)> =
        sim.deliveries().iter().map(|d| (d.attempt, d.status, d.event_id.clone())).collect();
    let id = call.delivery.event_id.clone();
    assert_eq!(attempts, [(1, Some(500), id.clone()), (2, Some(503), id.clone()), (3, Some(200), id)]);
    assert_eq!((primary.received().len(), failover.received().len()), (2, 1));
}
