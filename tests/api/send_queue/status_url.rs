//! The company's status URL: set through the admin API (scope-checked, the forward rules of a
//! message destination), and every status change of its queued messages forwarded there, signed,
//! through the outbox: the worker's (`sent`, `sending_failed`, `expired`; `unknown` in
//! early_status.rs) and Telnyx's (`message.finalized`), once per change, nothing for a redelivery
//! or without a URL.
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{json, Value};
use switchboard::domain::{CompanyId, NumberType};
use switchboard::ledger::outbox_item::OutboxKind;
use switchboard::outbox::forward::sign;
use switchboard::store::send_queue::{OutboundFilter, SendStatus};
use switchboard::store::Window;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{app_on_sim, enqueue, get, provisioned, send, Sender, FROM};
use crate::admin_support::eventually;
use crate::backend_tests;
use crate::helpers::{Db, TestApp, TestDb};
use crate::provisioning::OPERATOR;
use crate::telnyx_sim::{Fault, MessageOutcome, TelnyxSim};

backend_tests!(the_status_url_is_checked_scoped_and_removable, every_status_change_is_forwarded_once_signed);

/// A receiver of status forwards that accepts only those signed with `secret`.
pub struct StatusHook {
    server: MockServer,
    received: Arc<Mutex<Vec<(String, Value)>>>,
}

impl StatusHook {
    pub async fn start(secret: String) -> StatusHook {
        let server = MockServer::start().await;
        let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
        let r = received.clone();
        Mock::given(wiremock::matchers::method("POST"))
            .respond_with(move |req: &Request| {
                let header = |n: &str| req.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let (id, ts) = (header("webhook-id"), header("webhook-timestamp"));
                let expected = sign(&secret, &id, ts.parse().unwrap_or_default(), &req.body).expect("sign");
                if header("webhook-signature") != expected {
                    return ResponseTemplate::new(401);
                }
                r.lock().unwrap().push((id, serde_json::from_slice(&req.body).expect("json body")));
                ResponseTemplate::new(204)
            })
            .mount(&server)
            .await;
        StatusHook { server, received }
    }

    pub fn url(&self) -> String {
        format!("{}/sms/status", self.server.uri())
    }

    /// (webhook-id, body) of every forward accepted, in order.
    pub fn received(&self) -> Vec<(String, Value)> {
        self.received.lock().unwrap().clone()
    }

    /// The forwards of message `id`, awaiting until there are `n`: its statuses and bodies.
    pub async fn of(&self, id: &str, n: usize) -> Vec<Value> {
        eventually(&format!("{n} status forwards of {id}"), || async {
            let of: Vec<Value> =
                self.received().into_iter().filter(|(_, b)| b["message"]["id"] == id).map(|(_, b)| b).collect();
            (of.len() >= n).then_some(of)
        })
        .await
    }
}

/// The company's status URL set to `hook`, through the admin API.
pub async fn set_status_url(app: &TestApp, co: CompanyId, hook: &StatusHook) {
    let res = put_url(app, co, OPERATOR, json!({"url": hook.url()})).await;
    assert_eq!(res.status(), StatusCode::OK);
}

async fn put_url(app: &TestApp, co: CompanyId, token: &str, body: Value) -> reqwest::Response {
    let url = format!("{}/v1/companies/{co}/message-status-url", app.address);
    app.client.put(url).bearer_auth(token).json(&body).send().await.expect("put")
}

async fn the_status_url_is_checked_scoped_and_removable(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on_sim(TestDb::new(db).await, &sim).await;
    let co = provisioned(&app).await;
    let path = format!("{}/v1/companies/{co}/message-status-url", app.address);

    // Refused, naming the field: no URL, not http(s), user info, a private address (the forward
    // policy allows loopback only in tests), plain http to a host the policy does not allow.
    for bad in ["", "ftp://example.com/s", "https://u:p@example.com/s", "https://10.1.2.3/s", "http://example.com/s"] {
        let res = put_url(&app, co, OPERATOR, json!({"url": bad})).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
        let problem: Value = res.json().await.expect("problem");
        assert_eq!(problem["field"], "url", "{bad}: {problem}");
    }
    let res = put_url(&app, co, OPERATOR, json!({"url": "https://example.com/s", "extra": 1})).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "unknown fields are refused");
    // A read token may look, not change.
    let mint = crate::provisioning::post(
        &app,
        &format!("/v1/companies/{co}/tokens"),
        json!({"name": "reader", "scopes": ["read"]}),
    )
    .await;
    let reader = mint.json::<Value>().await.expect("token")["token"].as_str().expect("token").to_owned();
    assert_eq!(
        put_url(&app, co, &reader, json!({"url": "https://example.com/s"})).await.status(),
        StatusCode::FORBIDDEN
    );
    let deleted = app.client.delete(&path).bearer_auth(&reader).send().await.expect("delete");
    assert_eq!(deleted.status(), StatusCode::FORBIDDEN);
    let none = app.client.get(&path).bearer_auth(&reader).send().await.expect("get");
    assert_eq!(none.status(), StatusCode::OK, "every company has the setting");
    assert_eq!(none.json::<Value>().await.expect("json")["url"], Value::Null, "no URL set yet");
    // Another company's token reaches nothing here.
    let other = provisioned_other(&app).await;
    let res = put_url(&app, other, OPERATOR, json!({"url": "https://example.com/other"})).await;
    assert_eq!(res.status(), StatusCode::OK);

    let res = put_url(&app, co, OPERATOR, json!({"url": "https://backend.example.com/sms/status"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let set: Value = res.json().await.expect("json");
    assert_eq!(set["url"], "https://backend.example.com/sms/status");
    let read = app.client.get(&path).bearer_auth(&reader).send().await.expect("get");
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.json::<Value>().await.expect("json")["url"], set["url"]);
    let other_url = get(&app, &format!("/v1/companies/{other}/message-status-url")).await;
    assert_eq!(other_url["url"], "https://example.com/other", "each company has its own");

    let deleted = app.client.delete(&path).bearer_auth(OPERATOR).send().await.expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app.client.get(&path).bearer_auth(OPERATOR).send().await.expect("get");
    assert_eq!(gone.status(), StatusCode::OK);
    assert_eq!(gone.json::<Value>().await.expect("json")["url"], Value::Null, "removed");
    let again = app.client.delete(&path).bearer_auth(OPERATOR).send().await.expect("delete");
    assert_eq!(again.status(), StatusCode::NO_CONTENT, "removing again is idempotent");
}

async fn provisioned_other(app: &TestApp) -> CompanyId {
    let co = CompanyId::new();
    app.store.create_company(co, "Other").await.expect("company");
    co
}

/// The company's status forwards in its outbox (any state).
async fn status_rows(app: &TestApp, co: CompanyId) -> usize {
    let rows = app.store.list_outbox(co, 100).await.expect("outbox");
    rows.iter().filter(|r| r.item.kind == OutboxKind::MessageStatus).count()
}

async fn every_status_change_is_forwarded_once_signed(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on_sim(TestDb::new(db).await, &sim).await;
    let co = provisioned(&app).await;
    let secret = app.store.forwarding(co).await.expect("secret").secrets.current;
    let hook = StatusHook::start(secret).await;

    // Without a status URL: sent, then delivered, and nothing is queued.
    let quiet = send(&app, co, "+13035550100", "before").await;
    let m = eventually("sent", || async {
        let m = get(&app, &format!("/v1/companies/{co}/messages/{quiet}")).await;
        (m["status"] == "sent").then_some(m)
    })
    .await;
    let quiet_telnyx = m["telnyx_message_id"].as_str().expect("telnyx id").to_owned();
    assert_eq!(sim.message_finalized(&quiet_telnyx, MessageOutcome::Delivered).await.status, Some(200));
    assert_eq!(get(&app, &format!("/v1/companies/{co}/messages/{quiet}")).await["status"], "delivered");
    assert_eq!(status_rows(&app, co).await, 0, "no status URL: nothing queued");

    set_status_url(&app, co, &hook).await;

    // The worker's `sent`, then Telnyx's: message.sent (no change, nothing forwarded) and
    // message.finalized (forwarded once, also when Telnyx delivers it again).
    let id = send(&app, co, "+13035550101", "offer").await;
    let sent = hook.of(&id, 1).await;
    let telnyx_id = sim.messages().iter().find(|m| m.to == ["+13035550101"]).expect("sim message").id.clone();
    let body = &sent[0];
    assert_eq!(body["event_type"], "message.status");
    assert_eq!(body["event_id"], format!("message-status:{id}:sent"));
    assert_eq!(body["company_id"], co.to_string());
    assert!(chrono::DateTime::parse_from_rfc3339(body["occurred_at"].as_str().expect("time")).is_ok(), "{body}");
    let message = &body["message"];
    assert_eq!(
        (&message["status"], &message["previous_status"], &message["telnyx_message_id"]),
        (&json!("sent"), &json!("sending"), &json!(telnyx_id)),
        "{body}"
    );
    assert_eq!((&message["from"], &message["to"]), (&json!(FROM), &json!("+13035550101")), "{body}");
    assert_eq!(sim.message_sent(&telnyx_id).await.status, Some(200));
    let finalized = sim.message_finalized(&telnyx_id, MessageOutcome::DeliveryFailed(40003)).await;
    assert_eq!(finalized.status, Some(200));
    let redelivered = sim.redeliver(&finalized).await;
    assert_eq!(redelivered.status, Some(200));
    let both = hook.of(&id, 2).await;
    let last = &both.iter().find(|f| f["message"]["status"] != "sent").expect("the final status")["message"];
    assert_eq!((&last["status"], &last["previous_status"]), (&json!("delivery_failed"), &json!("sent")), "{last}");
    assert_eq!((&last["error_code"], &last["error_detail"]), (&json!("40003"), &json!("Blocked as spam (permanent)")));
    // Every forward carries its event id as webhook-id, and a change is forwarded once.
    let mut ids: Vec<String> = hook.received().iter().map(|(id, _)| id.clone()).collect();
    ids.sort();
    assert_eq!(ids, vec![format!("message-status:{id}:delivery_failed"), format!("message-status:{id}:sent")]);
    assert_eq!(status_rows(&app, co).await, 2, "message.sent and the redelivery queued nothing");

    // Telnyx refuses one: `sending_failed`, with its code.
    sim.fail_next("POST /messages", Fault::Status(400));
    let refused = send(&app, co, "+13035550102", "refused").await;
    let failed = &hook.of(&refused, 1).await[0]["message"];
    assert_eq!((&failed["status"], &failed["previous_status"]), (&json!("sending_failed"), &json!("sending")));
    assert!(failed["error_code"].is_string(), "{failed}");

    // Expired in the queue, and left `unknown` by a dead worker: the worker's upkeep (its
    // statements, run here at a time past validity and lease).
    let now_us = chrono::Utc::now().timestamp_micros();
    let stale_sender = Sender::new("+14155550199", NumberType::LongCode);
    enqueue(&app.store, co, &stale_sender, 1, now_us - 3_600_000_000, 1_000).await;
    let filter = OutboundFilter { from: Some(stale_sender.number.clone()), ..Default::default() };
    let stale = app.store.page_outbound(co, &filter, &Window::first(1)).await.expect("list");
    let stale_id = stale[0].id.to_string();
    // This node's worker may expire it first: either way it is forwarded once.
    app.store.expire_outbound(now_us / 1000).await.expect("expire");
    let expired = &hook.of(&stale_id, 1).await[0]["message"];
    assert_eq!((&expired["status"], &expired["previous_status"]), (&json!("expired"), &json!("queued")));
    assert_eq!(expired["telnyx_message_id"], Value::Null);
    let m = app.store.get_outbound(co, stale[0].id).await.expect("message");
    assert_eq!(m.status, SendStatus::Expired);
    assert_eq!(status_rows(&app, co).await, 4, "sent, delivery_failed, sending_failed, expired");
}
