//! Routed side effects end to end on the demo company: decisions taken by the company actor,
//! written with the counters in one commit (outbox items, routing log, opt-outs).
use switchboard::demo::load_demo_routing;
use switchboard::demo::{self, DEMO_COMPANY_ID};
use switchboard::domain::PhoneNumber;
use switchboard::ledger::chain_items::{chain_command_id, ChainMove};
use switchboard::ledger::outbox_item::{OutboxItem, OutboxKind};
use switchboard::ledger::side_effects::{command_id_for, CallCommand};
use switchboard::store::changes::Change;
use switchboard::telnyx::client::LegState;
use switchboard::telnyx::client_state::ChainAt;

use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::telnyx_events::*;
use crate::webhooks::{app_with_key, post_signed, usage};

backend_tests!(
    assigned_customer_call_is_answered_then_transferred_once_to_sales,
    a_leg_switchboard_transferred_to_counts_nothing,
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
const SALES: &str = "+18314280176";

async fn demo_app(db: Db) -> TestApp {
    let app = app_with_key(db).await;
    demo::load(app.store.as_ref()).await.unwrap();
    load_demo_routing(app.store.as_ref(), DEMO_COMPANY_ID).await.unwrap();
    app.directory.refresh(DEMO_COMPANY_ID, Change::Numbers).await;
    app
}

/// The outbox items queued for `event_id`.
async fn items_of(app: &TestApp, event_id: &str) -> Vec<OutboxItem> {
    let items = app.store.list_outbox(DEMO_COMPANY_ID, 100).await.unwrap();
    items.into_iter().map(|e| e.item).filter(|i| i.event_id == event_id).collect()
}

fn command(item: &OutboxItem) -> CallCommand {
    serde_json::from_str(&item.payload).unwrap()
}

/// A parked inbound call is answered (Telnyx refuses a transfer before that, 422 90034); its
/// call.answered, which echoes the answer's client_state, transfers it. However often Telnyx
/// delivers either event: one answer, one transfer, one incoming call.
async fn assigned_customer_call_is_answered_then_transferred_once_to_sales(db: Db) {
    let app = demo_app(db).await;
    let body = call_initiated("call-assigned", ASSIGNED, SUPPORT, "incoming");
    for _ in 0..3 {
        assert_eq!(post_signed(&app, &body).await.status(), 200);
    }
    let items = items_of(&app, "call-assigned").await;
    assert_eq!(items.len(), 1, "one answer however often the event arrives: {items:?}");
    assert_eq!(items[0].kind, OutboxKind::CallAnswer);
    assert_eq!(items[0].destination, "v3:call-assigned");
    let answer = command(&items[0]);
    assert_eq!(answer.command_id, command_id_for("call-assigned").to_string());
    let state = answer.client_state.expect("the answer marks the leg");
    let log = app.store.get_routing_log(DEMO_COMPANY_ID, "call-assigned").await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "transfer");
    assert_eq!(log[0].decision["via_assignment"], SALES);
    assert_eq!(log[0].decision["matched"]["name"], "Sales");

    let answered =
        call_event_with_state("answered-1", "call.answered", "v3:call-assigned", (ASSIGNED, SUPPORT, ""), &state);
    for _ in 0..3 {
        assert_eq!(post_signed(&app, &answered).await.status(), 200);
    }
    let items = items_of(&app, "answered-1").await;
    assert_eq!(items.len(), 1, "one transfer however often the answer is reported: {items:?}");
    assert_eq!((items[0].kind, items[0].destination.as_str()), (OutboxKind::CallTransfer, "v3:call-assigned"));
    let transfer = command(&items[0]);
    assert_eq!(transfer.to.as_deref(), Some("sip:sales@pbx.example.com"));
    assert_eq!(transfer.from.as_deref(), Some(ASSIGNED), "the caller's number, by default");
    assert_eq!(transfer.timeout_secs, Some(30));
    // Step 0 of the call's chain: the command id derives from (chain, step), not from the event.
    assert_eq!(transfer.command_id, chain_command_id("call-assigned", ChainMove::Step(0)).to_string());
    match transfer.target_leg_client_state.as_deref().and_then(LegState::from_client_state) {
        Some(LegState::Chain(leg)) => {
            assert_eq!((leg.company, leg.event_id.as_str()), (DEMO_COMPANY_ID, "call-assigned"));
            assert_eq!(leg.at, ChainAt::Step { step: 0, caller_leg: "v3:call-assigned".into() });
        }
        other => panic!("leg B is not step 0 of the chain: {other:?}"),
    }
    assert_eq!(app.store.get_routing_log(DEMO_COMPANY_ID, "answered-1").await.unwrap().len(), 0);
    let support = usage(&app, DEMO_COMPANY_ID, SUPPORT).await;
    assert_eq!((support.incoming_calls_count, support.outgoing_calls_count), (1, 0));
}

/// The new leg of a transfer reports itself as an outgoing call from the company's number (or
/// from the caller): it is switchboard's own leg, recognised by the state the transfer gave it,
/// and counts nothing; neither does its answer.
async fn a_leg_switchboard_transferred_to_counts_nothing(db: Db) {
    let app = demo_app(db).await;
    assert_eq!(post_signed(&app, &call_initiated("call-in", ASSIGNED, SUPPORT, "incoming")).await.status(), 200);
    let state = LegState::Transfer { company: DEMO_COMPANY_ID, event_id: "call-in".into(), step: 0 }.client_state();
    for (id, from) in [("leg-b-1", SUPPORT), ("leg-b-2", ASSIGNED)] {
        let leg_b = (from, "+16505550100", "outgoing");
        let initiated = call_event_with_state(id, "call.initiated", "v3:leg-b", leg_b, state.as_str());
        assert_eq!(post_signed(&app, &initiated).await.status(), 200);
        let answered =
            call_event_with_state(&format!("{id}-answered"), "call.answered", "v3:leg-b", leg_b, state.as_str());
        assert_eq!(post_signed(&app, &answered).await.status(), 200);
    }
    let support = usage(&app, DEMO_COMPANY_ID, SUPPORT).await;
    assert_eq!((support.incoming_calls_count, support.outgoing_calls_count), (1, 0));
    assert!(app.store.dead_letters(10).await.unwrap().is_empty(), "acknowledged, not dead letters");
    // A call the company places is its outgoing call: counted once.
    let dial = LegState::Dial { company: DEMO_COMPANY_ID }.client_state();
    let placed = call_event_with_state(
        "dialled",
        "call.initiated",
        "v3:dialled",
        (SUPPORT, "+16505550100", "outgoing"),
        dial.as_str(),
    );
    for _ in 0..2 {
        assert_eq!(post_signed(&app, &placed).await.status(), 200);
    }
    assert_eq!(usage(&app, DEMO_COMPANY_ID, SUPPORT).await.outgoing_calls_count, 1);
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
