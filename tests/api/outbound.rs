//! Outbound messages and calls through HTTP: sender choice, refusals, sticky assignment. A
//! message is queued (202) and sent by the send queue: the tests wait for Telnyx to receive it.
use serde_json::{json, Value};
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::store::{CompanySettings, NewNumber};
use switchboard::telnyx::client::LegState;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::admin_support::eventually;
use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::provisioning::{app_with_telnyx, post};

backend_tests!(
    message_to_628_goes_from_the_san_francisco_location,
    opted_out_recipient_is_refused,
    message_from_explicit_number,
    message_without_from_uses_default_then_sticks,
    message_to_212_goes_from_the_new_york_number,
    foreign_from_is_refused,
    no_sender_is_422,
    call_from_default,
);

const DEFAULT: &str = "+14155550100";
const NEW_YORK: &str = "+12125550100";

fn e164(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).expect("e164")
}

async fn telnyx() -> MockServer {
    let telnyx = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "msg-1"}})))
        .mount(&telnyx)
        .await;
    Mock::given(method("POST"))
        .and(path("/calls"))
        .and(body_partial_json(json!({"connection_id": "1234567"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "call_control_id": "v3:abc", "call_leg_id": "leg", "call_session_id": "sess", "is_alive": false,
            "record_type": "call"}})))
        .mount(&telnyx)
        .await;
    telnyx
}

/// A provisioned company with a 415 default number and a New York number.
async fn company(app: &TestApp, with_numbers: bool) -> CompanyId {
    let co = CompanyId::new();
    app.store.create_company(co, "Acme").await.expect("company");
    let mut settings = CompanySettings {
        messaging_profile_id: Some("prof-1".into()),
        call_control_application_id: Some("1234567".into()),
        ..Default::default()
    };
    if with_numbers {
        let default = app.store.insert_number(&NewNumber::new(co, e164(DEFAULT))).await.expect("number");
        app.store.insert_number(&NewNumber::new(co, e164(NEW_YORK))).await.expect("number");
        settings.default_outbound_number = Some(default.phone_number);
        settings.default_outbound_number_id = Some(default.id);
    }
    app.store.put_settings(co, &settings).await.expect("settings");
    co
}

async fn send(app: &TestApp, co: CompanyId, body: Value) -> (u16, Value) {
    let res = post(app, &format!("/v1/companies/{co}/messages"), body).await;
    (res.status().as_u16(), res.json().await.expect("json"))
}

/// The first `n` POST /messages Telnyx received, once it has (the send queue sends in the
/// background).
pub async fn sent_to_telnyx(telnyx: &MockServer, n: usize) -> Vec<Value> {
    eventually("the send queue sends to Telnyx", || async {
        let sent: Vec<Value> = telnyx
            .received_requests()
            .await
            .expect("requests")
            .iter()
            .filter(|r| r.url.path() == "/messages")
            .map(|r| r.body_json().expect("json"))
            .collect();
        (sent.len() >= n).then_some(sent)
    })
    .await
}

/// The message's record once its status is `status`.
pub async fn message_in(app: &TestApp, co: CompanyId, id: &str, status: &str) -> Value {
    eventually(&format!("message {id} {status}"), || async {
        let res = app
            .client
            .get(format!("{}/v1/companies/{co}/messages/{id}", app.address))
            .bearer_auth(crate::provisioning::OPERATOR)
            .send()
            .await
            .expect("get");
        let m: Value = res.json().await.expect("json");
        (m["status"] == status).then_some(m)
    })
    .await
}

/// The 202 answer without its per-message fields (id and times).
fn choice(body: &Value) -> Value {
    let mut b = body.clone();
    for k in ["id", "send_at", "expires_at"] {
        b.as_object_mut().expect("object").remove(k);
    }
    b
}

async fn message_from_explicit_number(db: Db) {
    let telnyx = telnyx().await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = company(&app, true).await;
    let (status, body) = send(&app, co, json!({"to": "+13035550199", "text": "hi", "from": NEW_YORK})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(choice(&body), json!({"from": NEW_YORK, "reason": "explicit", "status": "queued"}));
    let sent = sent_to_telnyx(&telnyx, 1).await;
    assert_eq!(
        sent[0],
        json!({"from": NEW_YORK, "to": "+13035550199", "text": "hi", "messaging_profile_id": "prof-1"})
    );
    let id = body["id"].as_str().expect("id");
    let m = message_in(&app, co, id, "sent").await;
    assert_eq!((m["telnyx_message_id"].as_str(), m["attempts"].as_i64()), (Some("msg-1"), Some(1)), "{m}");
}

async fn message_without_from_uses_default_then_sticks(db: Db) {
    let telnyx = telnyx().await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = company(&app, true).await;
    let (status, body) = send(&app, co, json!({"to": "+13035550199", "text": "hi"})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["from"], DEFAULT);
    assert_eq!(body["reason"], "default");
    let (_, again) = send(&app, co, json!({"to": "+13035550199", "media_urls": ["https://x.example/a.png"]})).await;
    assert_eq!(again["from"], DEFAULT);
    assert_eq!(again["reason"], "assigned");
    let sent = sent_to_telnyx(&telnyx, 2).await;
    assert!(sent.iter().all(|m| m["from"] == DEFAULT), "{sent:?}");
}

async fn message_to_212_goes_from_the_new_york_number(db: Db) {
    let telnyx = telnyx().await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = company(&app, true).await;
    let (status, body) = send(&app, co, json!({"to": "+12125550199", "text": "hi"})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        choice(&body),
        json!({"from": NEW_YORK, "reason": "local_area_code", "area_code": "212", "status": "queued"})
    );
    assert_eq!(sent_to_telnyx(&telnyx, 1).await[0]["from"], NEW_YORK);
}

async fn foreign_from_is_refused(db: Db) {
    let telnyx = telnyx().await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = company(&app, true).await;
    let (status, body) = send(&app, co, json!({"to": "+12125550199", "text": "hi", "from": "+13125550100"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "from");
    assert!(telnyx.received_requests().await.expect("requests").is_empty());
}

async fn no_sender_is_422(db: Db) {
    let telnyx = telnyx().await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = company(&app, false).await;
    let (status, body) = send(&app, co, json!({"to": "+12125550199", "text": "hi"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "from");
}

async fn call_from_default(db: Db) {
    let telnyx = telnyx().await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = company(&app, true).await;
    let res = post(&app, &format!("/v1/companies/{co}/calls"), json!({"to": "+13035550199"})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body, json!({"call_control_id": "v3:abc", "from": DEFAULT, "reason": "default"}));
    let dial: Value = telnyx.received_requests().await.expect("requests")[0].body_json().expect("json");
    assert!(dial["command_id"].is_string());
    // The leg is marked as the company's call (its call.initiated counts once as outgoing).
    let state = dial["client_state"].as_str().and_then(LegState::from_client_state);
    assert_eq!(state, Some(LegState::Dial { company: co }));
}

async fn message_to_628_goes_from_the_san_francisco_location(db: Db) {
    let telnyx = telnyx().await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = company(&app, true).await;
    let sf = app
        .store
        .insert_number(&NewNumber {
            location: Some("San Francisco".into()),
            ..NewNumber::new(co, e164("+14155550001"))
        })
        .await
        .expect("number");
    let location = switchboard::routing::Location::new(
        "San Francisco".into(),
        Default::default(),
        None,
        vec!["415".into(), "628".into()],
    )
    .expect("location");
    app.store.upsert_location(co, &location).await.expect("location");
    let (status, body) = send(&app, co, json!({"to": "+16285550199", "text": "hi"})).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["from"], sf.phone_number.as_str());
    assert_eq!(body["reason"], "location");
}

async fn opted_out_recipient_is_refused(db: Db) {
    let telnyx = telnyx().await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = company(&app, true).await;
    app.store.add_opt_out(co, &e164("+13035550111"), "STOP").await.expect("opt-out");
    let (status, body) = send(&app, co, json!({"to": "+13035550111", "text": "hi"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(telnyx.received_requests().await.expect("requests").is_empty(), "nothing may be sent");
}
