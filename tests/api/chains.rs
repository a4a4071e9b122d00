//! Call chains end to end (issue 20): the demo's Support department rings three desks in turn,
//! then hangs up. The simulator plays Telnyx; every command the daemon sends is spec-checked.
//! "Nothing more was sent" is read from the outbox: whatever an acknowledged webhook causes is
//! queued in the commit that acknowledged it, so once the webhook is answered it is there.
use serde_json::{json, Value};
use switchboard::demo::{self, load_demo_routing, DEMO_COMPANY_ID};
use switchboard::store::changes::Change;
use switchboard::telnyx::client::LegState;

use crate::admin_support::OPERATOR;
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Db, TestApp};
use crate::telnyx_sim::{CallHandle, HangupCause, RequestRecord, TelnyxSim};

backend_tests!(
    step_one_answers_one_transfer_and_no_step_two,
    step_one_times_out_and_step_two_rings_once,
    every_step_fails_and_the_call_is_hung_up_once,
    the_caller_hanging_up_during_step_one_stops_the_chain,
    a_hangup_delivered_three_times_and_out_of_order_moves_the_chain_once,
    an_invalid_chain_is_refused_naming_its_field
);

pub const SUPPORT: &str = "+14155551234";
pub const CUSTOMER: &str = "+12065550123";
pub const TRANSFER: &str = "POST /calls/{call_control_id}/actions/transfer";
pub const HANGUP: &str = "POST /calls/{call_control_id}/actions/hangup";
pub const DESKS: [&str; 3] = ["sip:desk1@pbx.example.com", "sip:desk2@pbx.example.com", "+16505550199"];

/// Support's chain in the tests: [`DESKS`] in turn (10, 11, 12 s), then `final_action`.
pub fn desks_chain(final_action: Value) -> Value {
    let steps: Vec<Value> =
        DESKS.iter().enumerate().map(|(i, d)| json!({"targets": [d], "timeout_secs": 10 + i})).collect();
    json!({"steps": steps, "final_action": final_action})
}

/// The daemon on `db` with the demo company, Support ringing [`DESKS`] in turn.
async fn daemon(db: Db, sim: &TelnyxSim) -> TestApp {
    daemon_with(db, sim, desks_chain(json!({"action": "hangup"}))).await
}

/// The daemon on `db` with the demo company, Support's call destination `call`.
pub async fn daemon_with(db: Db, sim: &TelnyxSim, call: Value) -> TestApp {
    let (key, base_url) = (sim.public_key_bytes(), sim.base_url());
    let app = spawn_app_with(db, move |s| {
        s.telnyx.public_key = Some(key);
        s.telnyx.api_key = Some(secrecy::SecretString::from("KEYdaemon_test"));
        s.telnyx.base_url = base_url;
        s.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
    })
    .await;
    demo::load(app.store.as_ref()).await.expect("demo");
    load_demo_routing(app.store.as_ref(), DEMO_COMPANY_ID).await.expect("routing");
    app.directory.refresh(DEMO_COMPANY_ID, Change::Numbers).await;
    let (status, body) = put_support(&app, json!({"call": call})).await;
    assert_eq!(status, 200, "{body}");
    sim.set_webhook_url(format!("{}/webhooks/telnyx", app.address));
    app
}

pub async fn put_support(app: &TestApp, destinations: Value) -> (u16, Value) {
    let res = app
        .client
        .put(format!("{}/v1/companies/{DEMO_COMPANY_ID}/departments/Support", app.address))
        .bearer_auth(OPERATOR)
        .json(&json!({"destinations": destinations}))
        .send()
        .await
        .expect("the daemon answers");
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// A call from the customer to Support, answered by the daemon: (leg A, the step 0 transfer).
pub async fn ringing(sim: &TelnyxSim) -> (CallHandle, RequestRecord) {
    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    assert_eq!(a.delivery.status, Some(200));
    let first = transfer(sim, &a, 1).await;
    (a, first)
}

/// The `nth` transfer request (from 1) of leg A, once its leg B rings.
pub async fn transfer(sim: &TelnyxSim, a: &CallHandle, nth: usize) -> RequestRecord {
    sim.wait_transfer_leg(&a.call_control_id, nth).await;
    let path = format!("/calls/{}/actions/transfer", a.call_control_id);
    let mine: Vec<RequestRecord> = sim.requests_to(TRANSFER).into_iter().filter(|r| r.path == path).collect();
    mine.get(nth - 1).cloned().unwrap_or_else(|| panic!("no transfer {nth}: {mine:?}"))
}

/// The transfer targets asked for so far, in order.
pub fn transfers(sim: &TelnyxSim) -> Vec<String> {
    sim.requests_to(TRANSFER)
        .iter()
        .filter(|r| r.status == 200)
        .filter_map(|r| r.body.as_ref().and_then(|b| b["to"].as_str()).map(str::to_owned))
        .collect()
}

/// The kinds of the company's outbox items (what every acknowledged webhook queued).
pub async fn queued(app: &TestApp) -> Vec<String> {
    let items = app.store.list_outbox(DEMO_COMPANY_ID, 100).await.expect("outbox");
    let mut kinds: Vec<String> = items.iter().map(|e| e.item.kind.as_str().to_owned()).collect();
    kinds.sort();
    kinds
}

async fn step_one_answers_one_transfer_and_no_step_two(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim).await;
    let (a, first) = ringing(&sim).await;
    let body = first.body.expect("a JSON body");
    assert_eq!((body["to"].as_str(), body["timeout_secs"].as_u64()), (Some(DESKS[0]), Some(10)));
    let state = body["target_leg_client_state"].as_str().and_then(LegState::from_client_state);
    assert!(matches!(state, Some(LegState::Chain(_))), "{body}");

    let b = sim.wait_transfer_leg(&a.call_control_id, 1).await;
    assert_eq!(b.delivery.status, Some(200));
    let answered = sim.answer_leg(&b.call_control_id).await;
    assert!(answered.iter().all(|d| d.status == Some(200)), "{answered:?}");
    // The conversation ends: both legs hang up normally.
    let ended = sim.hangup(&b.call_control_id, HangupCause::NormalClearing).await;
    assert!(ended.iter().all(|d| d.status == Some(200)), "{ended:?}");

    assert_eq!(queued(&app).await, ["call_answer", "call_transfer"], "one answer, one transfer");
    assert_eq!(transfers(&sim), [DESKS[0]]);
    assert!(sim.requests_to(HANGUP).is_empty());
}

async fn step_one_times_out_and_step_two_rings_once(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim).await;
    let (a, _) = ringing(&sim).await;
    let b1 = sim.wait_transfer_leg(&a.call_control_id, 1).await;
    let ended = sim.hangup(&b1.call_control_id, HangupCause::Timeout).await;
    assert_eq!(ended.len(), 1, "leg A stays up");
    assert_eq!(ended[0].status, Some(200));

    let second = transfer(&sim, &a, 2).await;
    assert_eq!(second.status, 200, "leg A is answered and accepts another transfer");
    let body = second.body.expect("a JSON body");
    assert_eq!((body["to"].as_str(), body["timeout_secs"].as_u64()), (Some(DESKS[1]), Some(11)));
    let b2 = sim.wait_transfer_leg(&a.call_control_id, 2).await;
    sim.answer_leg(&b2.call_control_id).await;

    assert_eq!(queued(&app).await, ["call_answer", "call_transfer", "call_transfer"]);
    assert_eq!(transfers(&sim), [DESKS[0], DESKS[1]], "step 2's command sent once");
}

async fn every_step_fails_and_the_call_is_hung_up_once(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim).await;
    let (a, _) = ringing(&sim).await;
    for (i, cause) in [HangupCause::UserBusy, HangupCause::NoAnswer, HangupCause::CallRejected].into_iter().enumerate()
    {
        if i > 0 {
            transfer(&sim, &a, i + 1).await;
        }
        let b = sim.wait_transfer_leg(&a.call_control_id, i + 1).await;
        assert_eq!(sim.hangup(&b.call_control_id, cause).await[0].status, Some(200));
    }
    let hangup = sim.wait_for_request(|r| r.is(HANGUP)).await;
    assert_eq!(hangup.path, format!("/calls/{}/actions/hangup", a.call_control_id));
    assert_eq!(hangup.status, 200);
    let a_end = sim
        .wait_for_webhook(|d| {
            d.event_type == "call.hangup" && d.payload()["call_control_id"] == a.call_control_id.as_str()
        })
        .await;
    assert_eq!(a_end.status, Some(200));

    assert_eq!(transfers(&sim), DESKS);
    assert_eq!(sim.requests_to(HANGUP).len(), 1, "the final action runs once");
    assert_eq!(queued(&app).await, ["call_answer", "call_hangup", "call_transfer", "call_transfer", "call_transfer"]);
}

async fn the_caller_hanging_up_during_step_one_stops_the_chain(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim).await;
    let (a, _) = ringing(&sim).await;
    let b = sim.wait_transfer_leg(&a.call_control_id, 1).await;
    // Leg A's hangup, then leg B cancelled (originator_cancel), each answered 200.
    let ended = sim.hangup(&a.call_control_id, HangupCause::NormalClearing).await;
    assert_eq!(ended.len(), 2, "{ended:?}");
    assert!(ended.iter().all(|d| d.status == Some(200)), "{ended:?}");
    assert_eq!(ended[1].payload()["call_control_id"], b.call_control_id.as_str());

    assert_eq!(queued(&app).await, ["call_answer", "call_transfer"], "nothing queued after the caller left");
    assert_eq!(transfers(&sim), [DESKS[0]]);
    assert!(sim.requests_to(HANGUP).is_empty());
}

async fn a_hangup_delivered_three_times_and_out_of_order_moves_the_chain_once(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim).await;
    let (a, _) = ringing(&sim).await;
    let b1 = sim.wait_transfer_leg(&a.call_control_id, 1).await;
    let hangup = sim.hangup(&b1.call_control_id, HangupCause::Timeout).await.remove(0);
    transfer(&sim, &a, 2).await;
    let b2 = sim.wait_transfer_leg(&a.call_control_id, 2).await;
    // Step 2's leg answers; then step 1's hangup arrives twice more, after it.
    sim.answer_leg(&b2.call_control_id).await;
    for _ in 0..2 {
        assert_eq!(sim.redeliver(&hangup).await.status, Some(200));
    }
    // And a leg-B hangup of step 2 arriving before its bridge is over (normal clearing).
    sim.hangup(&b2.call_control_id, HangupCause::NormalClearing).await;

    assert_eq!(queued(&app).await, ["call_answer", "call_transfer", "call_transfer"]);
    assert_eq!(transfers(&sim), [DESKS[0], DESKS[1]], "the chain moved once");
    assert!(sim.requests_to(HANGUP).is_empty());
}

async fn an_invalid_chain_is_refused_naming_its_field(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = daemon(db, &sim).await;
    for (call, field) in [
        (json!([]), "destinations.call.steps"),
        (json!({"steps": []}), "destinations.call.steps"),
        (json!([{"targets": ["+14155550100"], "timeout_secs": 700}]), "destinations.call.steps[0].timeout_secs"),
        (
            json!([{"targets": (0..11).map(|i| format!("+1650555{i:04}")).collect::<Vec<_>>()}]),
            "destinations.call.steps[0].targets",
        ),
        (json!([{"targets": ["+14155550100"]}, {"targets": ["sip:nobody"]}]), "destinations.call.steps[1].targets[0]"),
        (
            json!({"steps": [{"targets": ["+14155550100"]}], "final_action": {"action": "voicemail"}}),
            "destinations.call.final_action.url",
        ),
        (
            json!({"steps": [{"targets": ["+14155550100"]}], "final_action": {"action": "ring_forever"}}),
            "destinations.call.final_action.action",
        ),
    ] {
        let (status, body) = put_support(&app, json!({"call": call})).await;
        assert_eq!((status, body["field"].as_str()), (400, Some(field)), "{call}: {body}");
    }
}
