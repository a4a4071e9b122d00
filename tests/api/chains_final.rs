//! The end of a call chain end to end (issue 20): the voicemail, the announcement, a machine that
//! answers a step, and `/routing/explain` of a live call. The simulator plays Telnyx, its targets
//! scripted to fail or answer by themselves; every command the daemon sends is spec-checked.
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use switchboard::demo::DEMO_COMPANY_ID;
use switchboard::outbox::forward::sign;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::admin_support::{eventually, OPERATOR};
use crate::backend_tests;
use crate::chains::{daemon_with, desks_chain, queued, transfers, CUSTOMER, DESKS, HANGUP, SUPPORT, TRANSFER};
use crate::helpers::{Db, TestApp};
use crate::telnyx_sim::{HangupCause, TargetScript, TelnyxSim, RECORDING_BASE};

backend_tests!(
    every_step_fails_and_the_voicemail_reaches_the_product_once_signed,
    every_step_fails_and_the_announcement_is_spoken_then_the_caller_hung_up,
    a_machine_on_step_one_is_hung_up_and_step_two_rings,
    explain_shows_the_chain_and_the_step_a_live_call_is_on
);

const SPEAK: &str = "POST /calls/{call_control_id}/actions/speak";
const RECORD: &str = "POST /calls/{call_control_id}/actions/record_start";

/// Every desk fails by itself: busy, no answer, rejected.
fn every_desk_fails(sim: &TelnyxSim) {
    let causes = [HangupCause::UserBusy, HangupCause::NoAnswer, HangupCause::CallRejected];
    for (desk, cause) in DESKS.iter().zip(causes) {
        sim.script_target(desk, TargetScript::End(cause));
    }
}

/// Waits until none of the company's outbox items is pending (what the acknowledged events queued
/// was delivered or given up).
async fn outbox_settled(app: &TestApp) {
    eventually("the outbox settles", || async {
        let items = app.store.list_outbox(DEMO_COMPANY_ID, 100).await.expect("outbox");
        items.iter().all(|e| e.status != "pending").then_some(())
    })
    .await
}

/// A product endpoint that accepts only correctly signed forwards: what it accepted.
async fn product(app: &TestApp) -> (MockServer, Arc<Mutex<Vec<Value>>>) {
    let secret = app.store.get_routing_defaults(DEMO_COMPANY_ID).await.expect("defaults").forward_secret;
    let server = MockServer::start().await;
    let accepted: Arc<Mutex<Vec<Value>>> = Arc::default();
    let got = accepted.clone();
    Mock::given(method("POST"))
        .and(path("/voicemail"))
        .respond_with(move |req: &Request| {
            let header = |n: &str| req.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            let (id, ts) = (header("webhook-id"), header("webhook-timestamp"));
            let expected = ts.parse().ok().and_then(|ts| sign(&secret, &id, ts, &req.body).ok());
            if expected.as_deref() != Some(header("webhook-signature").as_str()) {
                return ResponseTemplate::new(401);
            }
            got.lock().expect("lock").push(serde_json::from_slice(&req.body).unwrap_or(Value::Null));
            ResponseTemplate::new(204)
        })
        .mount(&server)
        .await;
    (server, accepted)
}

async fn every_step_fails_and_the_voicemail_reaches_the_product_once_signed(db: Db) {
    let sim = TelnyxSim::start().await;
    // The product's endpoint needs the company's secret: the demo company exists once the daemon
    // runs, so the chain is put after.
    let app = daemon_with(db, &sim, desks_chain(json!({"action": "hangup"}))).await;
    let (server, accepted) = product(&app).await;
    let voicemail = json!({"action": "voicemail", "greeting": "Please leave a message.",
        "url": format!("{}/voicemail", server.uri())});
    let (status, body) = crate::chains::put_support(&app, json!({"call": desks_chain(voicemail)})).await;
    assert_eq!(status, 200, "{body}");
    every_desk_fails(&sim);

    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    let record = sim.wait_for_request(|r| r.is(RECORD)).await;
    assert_eq!(record.path, format!("/calls/{}/actions/record_start", a.call_control_id));
    assert_eq!(record.status, 200);
    let speak = sim.requests_to(SPEAK);
    assert_eq!(speak.len(), 1, "the greeting, once");
    assert_eq!(speak[0].body.as_ref().map(|b| b["payload"].clone()), Some(json!("Please leave a message.")));
    // The caller speaks, then hangs up: the recording is saved.
    let ended = sim.hangup(&a.call_control_id, HangupCause::NormalClearing).await;
    let saved = ended.iter().find(|d| d.event_type == "call.recording.saved").expect("a recording").clone();
    assert_eq!(saved.status, Some(200));
    // The same event twice more (Telnyx redelivers): still one voicemail.
    for _ in 0..2 {
        assert_eq!(sim.redeliver(&saved).await.status, Some(200));
    }
    outbox_settled(&app).await;

    let got = accepted.lock().expect("lock").clone();
    assert_eq!(got.len(), 1, "the voicemail reaches the product once: {got:?}");
    let url = saved.payload()["recording_urls"]["mp3"].as_str().unwrap_or_default().to_owned();
    assert!(url.starts_with(RECORDING_BASE), "{url}");
    assert_eq!(got[0]["event_type"], "call.voicemail");
    assert_eq!(got[0]["event_id"], saved.event_id.as_str());
    assert_eq!(got[0]["voicemail"]["recording_url"], url.as_str());
    assert_eq!(got[0]["voicemail"]["number"], SUPPORT);
    assert_eq!(transfers(&sim), DESKS, "every step rang once");
    assert!(sim.requests_to(HANGUP).is_empty(), "the caller hung up; nothing else was sent");
    assert_eq!(
        queued(&app).await,
        [
            "call_answer",
            "call_record_start",
            "call_speak",
            "call_transfer",
            "call_transfer",
            "call_transfer",
            "forward_message"
        ]
    );
}

async fn every_step_fails_and_the_announcement_is_spoken_then_the_caller_hung_up(db: Db) {
    let sim = TelnyxSim::start().await;
    let announced = json!({"action": "hangup", "announcement": "Nobody can take your call. Goodbye."});
    let app = daemon_with(db, &sim, desks_chain(announced)).await;
    every_desk_fails(&sim);

    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    let hangup = sim.wait_for_request(|r| r.is(HANGUP)).await;
    assert_eq!((hangup.path, hangup.status), (format!("/calls/{}/actions/hangup", a.call_control_id), 200));
    let a_end = sim
        .wait_for_webhook(|d| {
            d.event_type == "call.hangup" && d.payload()["call_control_id"] == a.call_control_id.as_str()
        })
        .await;
    assert_eq!(a_end.status, Some(200));
    outbox_settled(&app).await;

    // Speak first, hang up after its call.speak.ended, each once.
    let commands: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with(&format!("/calls/{}/actions/", a.call_control_id)))
        .filter_map(|r| r.operation)
        .collect();
    assert_eq!(commands, ["POST /calls/{call_control_id}/actions/answer", TRANSFER, TRANSFER, TRANSFER, SPEAK, HANGUP]);
    let speak = sim.requests_to(SPEAK).remove(0).body.expect("a body");
    assert_eq!(speak["payload"], "Nobody can take your call. Goodbye.");
    let spoken = sim.deliveries().into_iter().find(|d| d.event_type == "call.speak.ended").expect("speak ended");
    assert_eq!(spoken.status, Some(200));
    assert_eq!(sim.redeliver(&spoken).await.status, Some(200), "a redelivered speak.ended");
    outbox_settled(&app).await;
    assert_eq!(sim.requests_to(HANGUP).len(), 1, "hung up once");
}

async fn a_machine_on_step_one_is_hung_up_and_step_two_rings(db: Db) {
    let sim = TelnyxSim::start().await;
    let steps = json!([
        {"targets": [DESKS[0]], "timeout_secs": 10, "machine_detection": true},
        {"targets": [DESKS[1]], "timeout_secs": 11}
    ]);
    let app = daemon_with(db, &sim, steps).await;
    sim.script_target(DESKS[0], TargetScript::Machine);
    sim.script_target(DESKS[1], TargetScript::Human);

    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    let b2 = sim.wait_transfer_leg(&a.call_control_id, 2).await;
    let bridged = sim
        .wait_for_webhook(|d| {
            d.event_type == "call.bridged" && d.payload()["call_control_id"] == b2.call_control_id.as_str()
        })
        .await;
    assert_eq!(bridged.status, Some(200));
    let machine = sim.wait_for_webhook(|d| d.event_type == "call.machine.detection.ended").await;
    assert_eq!((machine.payload()["result"].as_str(), machine.status), (Some("machine"), Some(200)));
    // The result once more: nothing more moves.
    assert_eq!(sim.redeliver(&machine).await.status, Some(200));
    outbox_settled(&app).await;

    let requests = sim.requests_to(TRANSFER);
    let asked: Vec<Option<&str>> =
        requests.iter().map(|r| r.body.as_ref().and_then(|b| b["answering_machine_detection"].as_str())).collect();
    assert_eq!(asked, [Some("detect"), None], "detection on step 1 only");
    let b1 = machine.payload()["call_control_id"].as_str().unwrap_or_default().to_owned();
    let hangups = sim.requests_to(HANGUP);
    assert_eq!(hangups.len(), 1, "{hangups:?}");
    assert_eq!(hangups[0].path, format!("/calls/{b1}/actions/hangup"), "the machine's leg is hung up");
    assert_eq!(transfers(&sim), [DESKS[0], DESKS[1]], "step 2 rang once");
    assert!(matches!(sim.leg(&a.call_control_id).map(|l| l.state), Some(crate::telnyx_sim::LegState::Bridged(_))));
}

async fn explain_shows_the_chain_and_the_step_a_live_call_is_on(db: Db) {
    let sim = TelnyxSim::start().await;
    let voicemail = json!({"action": "voicemail", "url": "https://crm.example.com/voicemail"});
    let app = daemon_with(db, &sim, desks_chain(voicemail)).await;
    sim.script_target(DESKS[0], TargetScript::End(HangupCause::Timeout));

    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    sim.wait_transfer_leg(&a.call_control_id, 2).await;
    let explain = |ccid: Option<&str>| {
        let mut body = json!({"from": CUSTOMER, "to": SUPPORT, "kind": "call"});
        if let Some(ccid) = ccid {
            body["call_control_id"] = json!(ccid);
        }
        app.client
            .post(format!("{}/v1/companies/{DEMO_COMPANY_ID}/routing/explain", app.address))
            .bearer_auth(OPERATOR)
            .json(&body)
            .send()
    };
    let res = explain(Some(&a.call_control_id)).await.expect("explain");
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["matched"]["name"], "Support", "{v}");
    let steps = v["chain"]["steps"].as_array().cloned().unwrap_or_default();
    let shown: Vec<(Value, Value)> = steps.iter().map(|s| (s["targets"].clone(), s["timeout_secs"].clone())).collect();
    assert_eq!(shown, [(json!([DESKS[0]]), json!(10)), (json!([DESKS[1]]), json!(11)), (json!([DESKS[2]]), json!(12))]);
    assert_eq!(v["chain"]["final_action"], json!({"action": "voicemail", "url": "https://crm.example.com/voicemail"}));
    assert_eq!(v["call"]["position"], "step", "{v}");
    assert_eq!(v["call"]["step"], 1, "the call is on step 2 (from 0: 1)");

    let unknown = explain(Some("v3:not-a-call")).await.expect("explain");
    assert_eq!(unknown.status(), 422);
    let problem: Value = unknown.json().await.expect("json");
    assert_eq!(problem["field"], "call_control_id");
}
