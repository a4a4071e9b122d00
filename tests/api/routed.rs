//! Routed side effects end to end on the demo company: decisions taken by the company actor,
//! written with the counters in one commit (outbox items, routing log, opt-outs).
use switchboard::demo::load_demo_routing;
use switchboard::demo::{self, DEMO_COMPANY_ID};
use switchboard::domain::PhoneNumber;
use switchboard::ledger::outbox_item::OutboxKind;
use switchboard::store::changes::Change;

use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::telnyx_events::*;
use crate::webhooks::{app_with_key, post_signed};

backend_tests!(
    assigned_customer_call_transfers_once_to_sales,
    sms_to_san_francisco_is_forwarded_there,
    group_message_is_forwarded_to_each_numbers_destination_once,
    stop_opts_the_customer_out,
    control_characters_in_used_fields_lose_nothing,
    an_mms_is_forwarded_with_its_media
);

const SUPPORT: &str = "+14155551234";
const SAN_FRANCISCO: &str = "+14155550001";
const ASSIGNED: &str = "+14155550100";
const LOS_ANGELES: &str = "+12135550002";

async fn demo_app(db: Db) -> TestApp {
    let app = app_with_key(db).await;
    demo::load(app.store.as_ref()).await.unwrap();
    load_demo_routing(app.store.as_ref(), DEMO_COMPANY_ID).await.unwrap();
    app.directory.refresh(DEMO_COMPANY_ID, Change::Numbers).await;
    app
}

async fn assigned_customer_call_transfers_once_to_sales(db: Db) {
    let app = demo_app(db).await;
    let body = call_initiated("call-assigned", ASSIGNED, SUPPORT, "incoming");
    for _ in 0..3 {
        assert_eq!(post_signed(&app, &body).await.status(), 200);
    }
    let items: Vec<_> = app
        .store
        .list_outbox(DEMO_COMPANY_ID, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.item.event_id == "call-assigned")
        .collect();
    assert_eq!(items.len(), 1, "one transfer however often the event arrives");
    assert_eq!(items[0].item.kind, OutboxKind::CallTransfer);
    assert_eq!(items[0].item.destination, "v3:call-assigned");
    assert!(items[0].item.payload.contains("sip:sales@pbx.example.com"), "{}", items[0].item.payload);
    let log = app.store.get_routing_log(DEMO_COMPANY_ID, "call-assigned").await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "transfer");
    assert_eq!(log[0].decision["via_assignment"], "+18314280176");
    assert_eq!(log[0].decision["matched"]["name"], "Sales");
}

async fn sms_to_san_francisco_is_forwarded_there(db: Db) {
    let app = demo_app(db).await;
    let body = message_received("sms-sf", "+13105550199", &[SAN_FRANCISCO], &[], "Is the store open?");
    assert_eq!(post_signed(&app, &body).await.status(), 200);
    let items: Vec<_> = app
        .store
        .list_outbox(DEMO_COMPANY_ID, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.item.event_id == "sms-sf")
        .collect();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].item.kind, OutboxKind::ForwardMessage);
    let log = app.store.get_routing_log(DEMO_COMPANY_ID, "sms-sf").await.unwrap();
    assert_eq!(log[0].decision["matched"]["name"], "San Francisco", "{}", log[0].decision);
    let dest = log[0].decision["destination"]["address"].as_str().unwrap().to_owned();
    assert_eq!(items[0].item.destination, dest);
    assert!(items[0].item.payload.contains("Is the store open?"));
}

/// A group MMS to two company numbers (`to` and `cc`) that route to two destinations: each gets
/// the message once, with its own number as `to`, however often Telnyx delivers the event.
async fn group_message_is_forwarded_to_each_numbers_destination_once(db: Db) {
    let app = demo_app(db).await;
    let body = message_received("mms-group", "+13105550199", &[SAN_FRANCISCO], &[LOS_ANGELES], "Both stores?");
    for _ in 0..3 {
        assert_eq!(post_signed(&app, &body).await.status(), 200);
    }
    let mut items: Vec<_> = app
        .store
        .list_outbox(DEMO_COMPANY_ID, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.item.event_id == "mms-group")
        .map(|e| e.item)
        .collect();
    items.sort_by(|a, b| a.destination.cmp(&b.destination));
    assert_eq!(items.len(), 2, "{items:?}");
    let log = app.store.get_routing_log(DEMO_COMPANY_ID, "mms-group").await.unwrap();
    assert_eq!(log.len(), 2);
    for item in &items {
        assert_eq!(item.kind, OutboxKind::ForwardMessage);
        let body: serde_json::Value = serde_json::from_str(&item.payload).unwrap();
        let to = body["message"]["to"].as_str().unwrap();
        let line = log.iter().find(|l| l.phone_number == to).unwrap_or_else(|| panic!("no log line for {to}"));
        assert_eq!(line.decision["destination"]["address"], item.destination.as_str());
    }
    assert_ne!(items[0].destination, items[1].destination);
}

async fn stop_opts_the_customer_out(db: Db) {
    let app = demo_app(db).await;
    let customer = PhoneNumber::parse("+13105550177").unwrap();
    let body = message_received("sms-stop", customer.as_str(), &[SAN_FRANCISCO], &[], " stop ");
    assert_eq!(post_signed(&app, &body).await.status(), 200);
    assert!(app.store.is_opted_out(DEMO_COMPANY_ID, &customer).await.unwrap());
    let body = message_received("sms-start", customer.as_str(), &[SAN_FRANCISCO], &[], "START");
    assert_eq!(post_signed(&app, &body).await.status(), 200);
    assert!(!app.store.is_opted_out(DEMO_COMPANY_ID, &customer).await.unwrap());
}

/// A NUL in the fields that reach the database as text (PostgreSQL refuses it in `text`): the
/// events count, a STOP is stored as its keyword, and a call id that cannot be commanded queues
/// nothing, instead of failing the batch every redelivery.
async fn control_characters_in_used_fields_lose_nothing(db: Db) {
    let app = demo_app(db).await;
    let customer = PhoneNumber::parse("+13105550188").unwrap();
    let stop = message_received("sms-nul-stop", customer.as_str(), &[SAN_FRANCISCO], &[], "STOP\u{0}");
    let mut call: serde_json::Value =
        serde_json::from_slice(&call_initiated("call-nul", ASSIGNED, SUPPORT, "incoming")).unwrap();
    call["data"]["payload"]["call_control_id"] = "v3:\u{0}abc".into();
    let call = serde_json::to_vec(&call).unwrap();
    for body in [&stop, &call, &stop, &call] {
        assert_eq!(post_signed(&app, body).await.status(), 200, "{}", String::from_utf8_lossy(body));
    }
    let opt_outs = app.store.list_opt_outs(DEMO_COMPANY_ID).await.unwrap();
    let stored = opt_outs.iter().find(|o| o.customer == customer).expect("opted out");
    assert_eq!(stored.keyword, "STOP");
    let items = app.store.list_outbox(DEMO_COMPANY_ID, 100).await.unwrap();
    assert!(items.iter().all(|e| e.item.event_id != "call-nul"), "no command for an id that cannot be commanded");
    let log = app.store.get_routing_log(DEMO_COMPANY_ID, "call-nul").await.unwrap();
    assert_eq!(log.len(), 1, "the call was counted and routed once");
}

async fn an_mms_is_forwarded_with_its_media(db: Db) {
    let app = demo_app(db).await;
    let mut mms: serde_json::Value =
        serde_json::from_slice(&message_received("mms-photo", "+13105550199", &[SAN_FRANCISCO], &[], "look")).unwrap();
    mms["data"]["payload"]["type"] = "MMS".into();
    mms["data"]["payload"]["media"] = serde_json::json!([
        {"url": "https://media.telnyx.example/m/1.jpg", "content_type": "image/jpeg", "size": 2048, "hash_sha256": "ab"},
        {"url": "https://media.telnyx.example/m/2.png", "content_type": "image/png"}
    ]);
    assert_eq!(post_signed(&app, &serde_json::to_vec(&mms).unwrap()).await.status(), 200);
    let items = app.store.list_outbox(DEMO_COMPANY_ID, 100).await.unwrap();
    let forward = items.iter().find(|e| e.item.event_id == "mms-photo").expect("forwarded");
    let body: serde_json::Value = serde_json::from_str(&forward.item.payload).unwrap();
    assert_eq!(
        body["message"]["media_urls"],
        serde_json::json!(["https://media.telnyx.example/m/1.jpg", "https://media.telnyx.example/m/2.png"])
    );
    assert_eq!(body["message"]["type"], "MMS");
}
