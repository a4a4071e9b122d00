//! A call chain across a crash and across nodes (issue 20): the walk is committed with the event
//! that moves it, so a kill -9 after step 1's hangup was acknowledged resumes at step 2, once;
//! and the events of one call reaching two nodes on one PostgreSQL move it once.
use std::time::Duration;

use serde_json::json;
use switchboard::demo::{self, load_demo_routing, DEMO_COMPANY_ID};
use switchboard::store::DynStore;

use crate::admin_support::OPERATOR;
use crate::backend_tests;
use crate::chains::{desks_chain, queued, transfers, CUSTOMER, DESKS, SUPPORT, TRANSFER};
use crate::helpers::{start, test_settings, Db, TestApp, TestDb};
use crate::reliability::daemon::{free_port, Daemon};
use crate::telnyx_sim::{Fault, HangupCause, TelnyxSim};

backend_tests!(kill_9_after_step_ones_hangup_was_acknowledged_step_two_runs_once);

/// Legs transferred from leg A so far.
fn legs_from(sim: &TelnyxSim, a: &str) -> usize {
    sim.legs().iter().filter(|l| l.transferred_from.as_deref() == Some(a)).count()
}

/// Polls `check` until it holds, failing after `limit` (a hang, not a timing assertion).
async fn until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until none of the company's outbox items is pending.
async fn settled(store: &DynStore, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let items = store.list_outbox(DEMO_COMPANY_ID, 100).await.expect("outbox");
        if items.iter().all(|e| e.status != "pending") {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the outbox did not settle within {limit:?}: {items:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The binary on `url` talking to `sim`.
fn daemon(url: &str, port: u16, log: std::path::PathBuf, sim: &TelnyxSim) -> Daemon {
    let env = [
        ("SWITCHBOARD__TELNYX__PUBLIC_KEY", sim.public_key_base64()),
        ("SWITCHBOARD__TELNYX__API_KEY", "KEYdaemon_test".to_owned()),
        ("SWITCHBOARD__TELNYX__BASE_URL", sim.base_url().to_string()),
        ("SWITCHBOARD__ADMIN__OPERATOR_TOKEN", OPERATOR.to_owned()),
    ];
    Daemon::start_with(url, port, log, &env)
}

async fn kill_9_after_step_ones_hangup_was_acknowledged_step_two_runs_once(db: Db) {
    // Arrange: the demo company in the database, the daemon running, Support's chain put.
    let sim = TelnyxSim::start().await;
    let test_db = TestDb::new(db).await;
    let store = switchboard::store::connect(&test_settings(&test_db.url).database).await.expect("connect");
    store.migrate().await.expect("migrate");
    demo::load(store.as_ref()).await.expect("demo");
    load_demo_routing(store.as_ref(), DEMO_COMPANY_ID).await.expect("routing");
    let logs = tempfile::tempdir().expect("log dir");
    let log = logs.path().join("switchboard.log");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let port = free_port();
    let mut first = daemon(&test_db.url, port, log.clone(), &sim);
    first.wait_ready(&client).await;
    let put = client
        .put(format!("{}/v1/companies/{DEMO_COMPANY_ID}/departments/Support", first.base))
        .bearer_auth(OPERATOR)
        .json(&json!({"destinations": {"call": desks_chain(json!({"action": "hangup"}))}}))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 200, "{}", put.text().await.unwrap_or_default());
    sim.set_webhook_url(format!("{}/webhooks/telnyx", first.base));
    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    let b1 = sim.wait_transfer_leg(&a.call_control_id, 1).await;

    // Act: step 1's leg times out; the hangup is acknowledged; step 2's transfer is on its way
    // (the simulator holds it unanswered, without effect) when the daemon is killed.
    sim.fail_next(TRANSFER, Fault::Hang);
    let ended = sim.hangup(&b1.call_control_id, HangupCause::Timeout).await;
    assert_eq!(ended[0].status, Some(200), "acknowledged");
    sim.wait_for_request(|r| r.is(TRANSFER) && r.fault.is_some()).await;
    first.kill_9();
    let mut second = daemon(&test_db.url, port, log.clone(), &sim);
    second.wait_ready(&client).await;

    // Assert: once the claim of the killed daemon lapses (60 s), step 2 rings, once.
    until("step 2 rings after the restart", Duration::from_secs(120), || legs_from(&sim, &a.call_control_id) >= 2)
        .await;
    settled(&store, Duration::from_secs(60)).await;
    assert_eq!(legs_from(&sim, &a.call_control_id), 2, "step 2 ran once; log: {}", second.log_tail());
    assert_eq!(transfers(&sim), [DESKS[0], DESKS[1]], "the held transfer and its one resend");
    let ids: Vec<String> = sim
        .requests_to(TRANSFER)
        .iter()
        .filter_map(|r| r.body.as_ref().and_then(|b| b["command_id"].as_str()).map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[1], ids[2], "the resend carries step 2's command id");
    let items = store.list_outbox(DEMO_COMPANY_ID, 100).await.expect("outbox");
    let mut kinds: Vec<&str> = items.iter().map(|e| e.item.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["call_answer", "call_transfer", "call_transfer"]);
}

/// Two in-process nodes on one PostgreSQL database, talking to `sim`, the chain put through A.
async fn two_nodes(sim: &TelnyxSim) -> (TestApp, TestApp) {
    let db = TestDb::new(Db::Postgres).await;
    let mut settings = test_settings(&db.url);
    settings.telnyx.public_key = Some(sim.public_key_bytes());
    settings.telnyx.api_key = Some(secrecy::SecretString::from("KEYdaemon_test"));
    settings.telnyx.base_url = sim.base_url();
    settings.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
    let url = db.url.clone();
    let a = start(settings.clone(), db).await;
    demo::load(a.store.as_ref()).await.expect("demo");
    load_demo_routing(a.store.as_ref(), DEMO_COMPANY_ID).await.expect("routing");
    a.directory.refresh(DEMO_COMPANY_ID, switchboard::store::changes::Change::Numbers).await;
    let (status, body) =
        crate::chains::put_support(&a, json!({"call": desks_chain(json!({"action": "hangup"}))})).await;
    assert_eq!(status, 200, "{body}");
    // B starts on what A wrote: its owner index and actors read it from the database.
    let b = start(settings, TestDb::borrowed(&url)).await;
    (a, b)
}

#[actix_web::test]
async fn events_of_one_call_at_two_nodes_move_its_chain_once() {
    let sim = TelnyxSim::start().await;
    let (a_node, b_node) = two_nodes(&sim).await;
    let (url_a, url_b) = (format!("{}/webhooks/telnyx", a_node.address), format!("{}/webhooks/telnyx", b_node.address));
    sim.set_webhook_url(&url_a);
    let a = sim.inbound_call(CUSTOMER, SUPPORT).await;
    let b1 = sim.wait_transfer_leg(&a.call_control_id, 1).await;

    // Step 1's hangup reaches node B, then both nodes at once again.
    sim.set_webhook_url(&url_b);
    let hangup = sim.hangup(&b1.call_control_id, HangupCause::Timeout).await.remove(0);
    assert_eq!(hangup.status, Some(200));
    let (mut to_a, to_b) = (hangup.clone(), hangup.clone());
    to_a.url = url_a;
    let (at_a, at_b) = futures::join!(sim.redeliver(&to_a), sim.redeliver(&to_b));
    assert_eq!((at_a.status, at_b.status), (Some(200), Some(200)));
    sim.wait_transfer_leg(&a.call_control_id, 2).await;
    settled(&a_node.store, Duration::from_secs(30)).await;

    assert_eq!(legs_from(&sim, &a.call_control_id), 2, "step 2 rang once");
    assert_eq!(transfers(&sim), [DESKS[0], DESKS[1]]);
    assert_eq!(queued(&b_node).await, ["call_answer", "call_transfer", "call_transfer"]);
}
