//! The outbox worker: a signed forward that fails 3 times arrives exactly once after it succeeds;
//! a call transfer queued three times (redeliveries) reaches Telnyx once, with the derived command_id
//! and everything the transfer item holds.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;
use serde_json::Value;
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::ledger::outbox_item::OutboxItem;
use switchboard::ledger::side_effects::{command_id_for, ForwardedMessage, Transfer};
use switchboard::outbox::forward::sign;
use switchboard::outbox::OutboxWorker;
use switchboard::routing::{MatchedRule, MessageDestination, RoutingDecision};
use switchboard::store::DynStore;
use switchboard::telnyx::api::TelnyxApi;
use switchboard::telnyx::client::{LegState, TelnyxClient, TelnyxClientConfig};
use tokio::sync::Notify;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::admin_support::eventually;
use crate::backend_tests;
use crate::helpers::{spawn_app, Db};

backend_tests!(forward_retries_then_arrives_once_signed, transfer_is_sent_once);

fn decision() -> RoutingDecision {
    RoutingDecision {
        destination: None,
        matched: MatchedRule::CompanyDefault,
        via_assignment: None,
        effective_number: PhoneNumber::parse("+18314280176").unwrap(),
        trace: vec![],
    }
}

/// Waits until the company's only outbox row has left `pending`; returns its status and attempts.
async fn settled(store: &DynStore, company: CompanyId) -> (String, i32) {
    eventually("the outbox item settles", || async {
        let rows = store.list_outbox(company, 10).await.unwrap();
        rows.first().filter(|r| r.status != "pending").map(|r| (r.status.clone(), r.attempts))
    })
    .await
}

async fn forward_retries_then_arrives_once_signed(db: Db) {
    // The daemon's own worker may take the item too: it retries on the same schedule.
    let app = crate::helpers::spawn_app_with(db, |s| {
        s.forwards.retry_schedule = [0, 10, 20, 40, 40, 40].into_iter().map(Duration::from_millis).collect();
    })
    .await;
    let company = CompanyId::new();
    app.store.create_company(company, "Acme").await.unwrap();
    let secret = app.store.get_routing_defaults(company).await.unwrap().forward_secret;

    // The receiver fails its first 3 tries, then verifies the signature of what it accepts.
    let receiver = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let accepted: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let (c, a, s) = (calls.clone(), accepted.clone(), secret.clone());
    Mock::given(method("POST"))
        .and(path("/hooks/sales"))
        .respond_with(move |req: &Request| {
            if c.fetch_add(1, Ordering::SeqCst) < 3 {
                return ResponseTemplate::new(503);
            }
            let header = |n: &str| req.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let (id, ts) = (header("webhook-id"), header("webhook-timestamp"));
            let expected = sign(&s, &id, ts.parse().unwrap(), &req.body).unwrap();
            if header("webhook-signature") != expected {
                return ResponseTemplate::new(401);
            }
            a.lock().unwrap().push((id, serde_json::from_slice(&req.body).unwrap()));
            ResponseTemplate::new(204)
        })
        .mount(&receiver)
        .await;

    let message = ForwardedMessage {
        from: "+14155550100".into(),
        to: "+18314280176".into(),
        text: "hello".into(),
        media_urls: vec![],
        message_type: "SMS".into(),
    };
    let dest = MessageDestination::parse(&format!("{}/hooks/sales", receiver.uri())).unwrap();
    let item =
        OutboxItem::forward_message(company, "ev-42", "message.received", Utc::now(), &message, &decision(), &dest);
    assert_eq!(app.store.insert_outbox_items(&[item.clone(), item]).await.unwrap(), 1);
    assert_eq!(app.store.outbox_pending_count().await.unwrap(), 1, "the worker's gauge sees the pending item");

    let worker = OutboxWorker::new(
        app.store.clone(),
        crate::helpers::loopback_deliverer(TelnyxApi(None)),
        Arc::new(Notify::new()),
    )
    .with_schedule(crate::helpers::ms_schedule(&[0, 10, 20, 40, 40, 40]))
    .spawn();
    let (status, attempts) = settled(&app.store, company).await;
    worker.abort();
    assert_eq!((status.as_str(), attempts), ("delivered", 4));
    assert_eq!(calls.load(Ordering::SeqCst), 4, "3 failures then one success, nothing after");
    let accepted = accepted.lock().unwrap().clone();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].0, "ev-42");
    assert_eq!(accepted[0].1["message"]["text"], "hello");
    assert_eq!(accepted[0].1["company_id"], company.to_string());
    assert_eq!(app.store.outbox_counts().await.unwrap().delivered, 1);
    assert_eq!(app.store.outbox_pending_count().await.unwrap(), 0);
}

async fn transfer_is_sent_once(db: Db) {
    let app = spawn_app(db).await;
    let company = CompanyId::new();
    app.store.create_company(company, "Acme").await.unwrap();
    let telnyx = MockServer::start().await;
    let command_id = command_id_for("ev-call-1").to_string();
    let leg_state = LegState::Transfer { company, event_id: "ev-call-0".into(), step: 0 };
    let state = leg_state.client_state();
    let from = PhoneNumber::parse("+13035550100").unwrap();
    Mock::given(method("POST"))
        .and(path("/v2/calls/cc-1/actions/transfer"))
        .and(wiremock::matchers::body_json(serde_json::json!({
            "to": "+16505555678", "command_id": command_id, "from": from.as_str(), "timeout_secs": 25,
            "client_state": state.as_str(), "target_leg_client_state": state.as_str()
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"data": {"result": "ok"}})))
        .expect(1)
        .mount(&telnyx)
        .await;
    let client = TelnyxClient::new(TelnyxClientConfig {
        base_url: url::Url::parse(&format!("{}/v2", telnyx.uri())).unwrap(),
        api_key: SecretString::from("KEY_test"),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        max_retries: 0,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(10),
    })
    .unwrap();

    // The same call.answered event, delivered three times, queues one transfer.
    let transfer = Transfer { to: "+16505555678", from: Some(&from), timeout_secs: 25, leg_state: &leg_state };
    for _ in 0..3 {
        let item = OutboxItem::call_transfer(company, "ev-call-1", "cc-1", &transfer);
        app.store.insert_outbox_items(&[item]).await.unwrap();
    }
    let wake = Arc::new(Notify::new());
    let worker =
        OutboxWorker::new(app.store.clone(), crate::helpers::loopback_deliverer(TelnyxApi(Some(client))), wake.clone())
            .spawn();
    wake.notify_one();
    let (status, attempts) = settled(&app.store, company).await;
    worker.abort();
    assert_eq!((status.as_str(), attempts), ("delivered", 1));
    telnyx.verify().await;
}
