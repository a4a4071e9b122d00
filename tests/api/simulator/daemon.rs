//! The simulator with the real daemon: signed call events reach switchboard, which routes them and
//! sends its call commands back to the simulator, spec-checked. The inbound call flow as Telnyx
//! requires it: answer the parked call, transfer it on its `call.answered`, and do not count the
//! transfer's own leg as the company's outgoing call.
use serde_json::{json, Value};
use switchboard::config::TransferCallerId;
use switchboard::demo::{self, load_demo_routing, DEMO_COMPANY_ID};
use switchboard::store::changes::Change;
use switchboard::store::NumberFilter;
use switchboard::telnyx::client::LegState;
use switchboard::telnyx::client_state::ChainAt;

use crate::admin_support::OPERATOR;
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Db, TestApp};
use crate::telnyx_sim::{CallHandle, LegState as SimLeg, RequestRecord, TelnyxSim};

backend_tests!(
    an_inbound_call_is_answered_transferred_bridged_and_counted_once,
    the_destination_can_be_shown_the_company_number,
    redelivered_call_events_answer_and_transfer_once,
    a_call_the_company_places_counts_once_as_outgoing
);

const SUPPORT: &str = "+14155551234";
const CUSTOMER: &str = "+12065550123";
const ANSWER: &str = "POST /calls/{call_control_id}/actions/answer";
const TRANSFER: &str = "POST /calls/{call_control_id}/actions/transfer";

/// The daemon on `db` with the demo company, talking to `sim` (its API and its signing key).
async fn daemon(db: Db, sim: &TelnyxSim, caller_id: TransferCallerId) -> TestApp {
    let (key, base_url) = (sim.public_key_bytes(), sim.base_url());
    let app = spawn_app_with(db, move |s| {
        s.telnyx.public_key = Some(key);
        s.telnyx.api_key = Some(secrecy::SecretString::from("KEYdaemon_test"));
        s.telnyx.base_url = base_url;
        s.routing.transfer_caller_id = caller_id;
        s.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
    })
    .await;
    demo::load(app.store.as_ref()).await.expect("demo");
    load_demo_routing(app.store.as_ref(), DEMO_COMPANY_ID).await.expect("routing");
    app.directory.refresh(DEMO_COMPANY_ID, Change::Numbers).await;
    sim.set_webhook_url(format!("{}/webhooks/telnyx", app.address));
    app
}

/// The daemon's `operation` request on leg `call`.
async fn command(sim: &TelnyxSim, call: &CallHandle, operation: &str) -> RequestRecord {
    let path = format!("/calls/{}/actions/", call.call_control_id);
    sim.wait_for_request(|r| r.is(operation) && r.path.starts_with(&path)).await
}

/// Where the daemon routed the call (its routing log line for the call.initiated).
async fn routed_to(app: &TestApp, call: &CallHandle) -> Value {
    let log = app.store.get_routing_log(DEMO_COMPANY_ID, &call.delivery.event_id).await.expect("routing log");
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].decision["matched"]["name"], "Support", "{}", log[0].decision);
    log[0].decision["destination"]["address"].clone()
}

/// (incoming, outgoing) calls counted over all the company's numbers.
async fn calls_counted(app: &TestApp) -> (i64, i64) {
    let numbers = app.store.list_numbers(DEMO_COMPANY_ID, NumberFilter::default()).await.expect("numbers");
    numbers.iter().fold((0, 0), |(i, o), n| (i + n.usage.incoming_calls_count, o + n.usage.outgoing_calls_count))
}

/// Found in issue 18: the daemon transferred the parked call (422 90034, the answer command was
/// never sent) and counted the transfer's leg B as an outgoing call.
async fn an_inbound_call_is_answered_transferred_bridged_and_counted_once(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim, TransferCallerId::Caller).await;

    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    assert_eq!(a.delivery.status, Some(200), "the daemon verified and accepted the signed webhook");
    let answer = command(&sim, &a, ANSWER).await;
    assert_eq!(answer.status, 200, "a parked call accepts an answer");
    let answered = sim
        .wait_for_webhook(|d| {
            d.event_type == "call.answered" && d.payload()["call_control_id"] == a.call_control_id.as_str()
        })
        .await;
    assert_eq!(answered.status, Some(200));

    let transfer = command(&sim, &a, TRANSFER).await;
    assert_eq!(transfer.status, 200, "the answered call accepts the transfer");
    let body = transfer.body.expect("a JSON body");
    assert_eq!(body["to"], routed_to(&app, &a).await, "where the call.initiated was routed: {body}");
    assert_eq!(body["from"], CUSTOMER, "the destination sees the caller (routing.transfer_caller_id = caller)");
    assert_eq!(body["timeout_secs"], 30);
    let leg_b_state = body["target_leg_client_state"].as_str().and_then(LegState::from_client_state);
    match leg_b_state {
        Some(LegState::Chain(leg)) => {
            assert_eq!((leg.company, leg.event_id.as_str()), (DEMO_COMPANY_ID, a.delivery.event_id.as_str()));
            assert_eq!(leg.at, ChainAt::Step { step: 0, caller_leg: a.call_control_id.clone() });
        }
        other => panic!("leg B is not marked as step 0 of the call's chain: {other:?} {body}"),
    }
    let order: Vec<String> = sim.requests().into_iter().filter_map(|r| r.operation).collect();
    assert_eq!(order, [ANSWER, TRANSFER], "answer first, then transfer, nothing else");

    // Leg B rings the destination with the caller's number, answers, and both legs bridge.
    let b = sim.wait_transfer_leg(&a.call_control_id, 1).await;
    assert_eq!(b.delivery.status, Some(200), "leg B's call.initiated is acknowledged");
    assert_eq!(b.from, CUSTOMER);
    let events = sim.answer_leg(&b.call_control_id).await;
    let kinds: Vec<&str> = events.iter().map(|d| d.event_type.as_str()).collect();
    assert_eq!(kinds, ["call.answered", "call.bridged", "call.bridged"]);
    assert!(events.iter().all(|d| d.status == Some(200)), "{events:?}");
    assert_eq!(sim.leg(&a.call_control_id).map(|l| l.state), Some(SimLeg::Bridged(b.call_control_id.clone())));

    assert_eq!(calls_counted(&app).await, (1, 0), "one incoming call, no outgoing one");
    assert_eq!(sim.requests().len(), 2, "leg B's events command nothing");
    assert!(app.store.dead_letters(10).await.expect("dead letters").is_empty());
}

async fn the_destination_can_be_shown_the_company_number(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim, TransferCallerId::CompanyNumber).await;
    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    let transfer = command(&sim, &a, TRANSFER).await;
    assert_eq!(transfer.status, 200);
    assert_eq!(transfer.body.expect("a JSON body")["from"], SUPPORT);
    let b = sim.wait_transfer_leg(&a.call_control_id, 1).await;
    assert_eq!((b.from.as_str(), b.delivery.status), (SUPPORT, Some(200)));
    sim.answer_leg(&b.call_control_id).await;
    assert_eq!(calls_counted(&app).await, (1, 0), "leg B, from the company number, is not an outgoing call");
}

/// Telnyx delivers events more than once: a redelivered call.initiated answers nothing twice, a
/// redelivered call.answered transfers nothing twice (each is one key of the ledger, and the
/// commands' ids derive from their events).
async fn redelivered_call_events_answer_and_transfer_once(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim, TransferCallerId::Caller).await;
    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    command(&sim, &a, TRANSFER).await;
    let answered = sim
        .wait_for_webhook(|d| {
            d.event_type == "call.answered" && d.payload()["call_control_id"] == a.call_control_id.as_str()
        })
        .await;
    for delivery in [&a.delivery, &answered, &a.delivery, &answered] {
        assert_eq!(sim.redeliver(delivery).await.status, Some(200), "{}", delivery.event_type);
    }
    // Anything the redeliveries caused would be in the outbox by now (queued with their commit).
    let items = app.store.list_outbox(DEMO_COMPANY_ID, 100).await.expect("outbox");
    let kinds: Vec<&str> = items.iter().map(|e| e.item.kind.as_str()).collect();
    assert_eq!(kinds.len(), 2, "one answer and one transfer: {kinds:?}");
    assert!(kinds.contains(&"call_answer") && kinds.contains(&"call_transfer"), "{kinds:?}");
    assert_eq!(sim.requests_to(ANSWER).len(), 1);
    assert_eq!(sim.requests_to(TRANSFER).len(), 1);
    assert_eq!(sim.leg(&a.call_control_id).map(|l| l.commands), Some(vec!["answer".into(), "transfer".into()]));
    assert_eq!(calls_counted(&app).await, (1, 0));
}

/// A call the company places (POST /v1/companies/{id}/calls, marked as its own by a Dial client
/// state) counts once as outgoing, however often its call.initiated arrives; its answer counts
/// nothing.
async fn a_call_the_company_places_counts_once_as_outgoing(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim, TransferCallerId::Caller).await;
    let application = sim.add_call_control_application("demo", &format!("{}/webhooks/telnyx", app.address));
    let mut settings = app.store.get_settings(DEMO_COMPANY_ID).await.expect("settings");
    settings.call_control_application_id = Some(application);
    app.store.put_settings(DEMO_COMPANY_ID, &settings).await.expect("settings");

    let placed: Value = app
        .client
        .post(format!("{}/v1/companies/{DEMO_COMPANY_ID}/calls", app.address))
        .bearer_auth(OPERATOR)
        .json(&json!({"to": "+13035550199"}))
        .send()
        .await
        .expect("the daemon answers")
        .json()
        .await
        .expect("json");
    let ccid = placed["call_control_id"].as_str().unwrap_or_else(|| panic!("no call placed: {placed}")).to_owned();
    let leg = sim.wait_outgoing_leg(|l| l.call_control_id == ccid).await;
    assert_eq!((leg.from.as_str(), leg.delivery.status), (placed["from"].as_str().unwrap_or_default(), Some(200)));
    let answered = sim.answer_leg(&leg.call_control_id).await;
    assert!(answered.iter().all(|d| d.status == Some(200)), "{answered:?}");
    assert_eq!(sim.redeliver(&leg.delivery).await.status, Some(200));
    assert_eq!(calls_counted(&app).await, (0, 1));
    assert!(sim.requests().iter().all(|r| r.is("POST /calls")), "no command on the placed call");
}
