//! Number health from calls, end to end with the Telnyx simulator: inbound calls to one number are
//! answered by the daemon and ring Sales' desk, and most callers hang up 2 s after the call
//! started (the simulator's clock moves, nothing sleeps). The number's rollup counts each ended
//! call once (a redelivered hangup adds nothing), it turns unhealthy by its short calls once it has
//! `min_calls`, and automatic sender choice leaves it while an explicit `from` still sends with a
//! warning that says why.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use switchboard::domain::CompanyId;

use super::health::{call, number, queue_drained, send, setup_with, SIBLING, SICK};
use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::telnyx_sim::{HangupCause, TelnyxSim};

backend_tests!(a_number_whose_callers_hang_up_at_once_turns_unhealthy_and_leaves_automatic_choice);

const DESK: &str = "sip:desk@pbx.example.com";

/// Today's call outcomes of `e164` from the usage API: [ended, answered, short].
async fn calls_today(app: &TestApp, co: CompanyId, e164: &str) -> [i64; 3] {
    let id = number(app, co, e164).await["id"].as_str().expect("number id").to_owned();
    let (s, r) = call(app, Method::GET, &format!("/v1/companies/{co}/numbers/{id}/usage?from={}", today()), None).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    ["calls_ended", "calls_answered", "calls_short"].map(|k| r["total"][k].as_i64().expect("a count"))
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

/// A customer calls SICK; the daemon answers and rings the desk; the caller hangs up `after` the
/// call started. Returns the deliveries of the caller's `call.hangup`.
async fn call_hung_up_after(sim: &TelnyxSim, customer: &str, after: Duration) -> crate::telnyx_sim::Delivery {
    let a = sim.inbound_call(customer, SICK).await;
    assert_eq!(a.delivery.status, Some(200), "the daemon took the call");
    sim.wait_transfer_leg(&a.call_control_id, 1).await;
    sim.advance_clock(after);
    let ended = sim.hangup(&a.call_control_id, HangupCause::NormalClearing).await;
    let mine = ended
        .into_iter()
        .find(|d| d.payload()["call_control_id"] == a.call_control_id.as_str())
        .expect("the caller's call.hangup");
    assert_eq!(mine.status, Some(200), "the daemon took the hangup");
    mine
}

async fn a_number_whose_callers_hang_up_at_once_turns_unhealthy_and_leaves_automatic_choice(db: Db) {
    let sim = TelnyxSim::start().await;
    // Calls are judged from 5 ended calls here (20 by default).
    let (app, co) = setup_with(db, &sim, |s| s.number_health.min_calls = 5).await;
    sim.set_webhook_url(format!("{}/webhooks/telnyx", app.address));
    let (s, body) = call(
        &app,
        Method::PUT,
        &format!("/v1/companies/{co}/departments/Sales"),
        Some(json!({"destinations": {"call": DESK}})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // One caller stays 30 s; four hang up 2 s after the call started.
    call_hung_up_after(&sim, "+12065550300", Duration::from_secs(30)).await;
    let mut hangups = Vec::new();
    for i in 0..4 {
        if i == 3 {
            // 4 ended calls: not judged yet.
            assert_eq!(number(&app, co, SICK).await["health"]["status"], "insufficient_data");
        }
        hangups.push(call_hung_up_after(&sim, &format!("+1206555{:04}", 301 + i), Duration::from_secs(2)).await);
    }
    assert_eq!(calls_today(&app, co, SICK).await, [5, 5, 4], "ended, answered (by the daemon), short");
    // The desk's legs are the daemon's own, not calls of the company's.
    assert_eq!(calls_today(&app, co, SIBLING).await, [0, 0, 0]);
    let h = number(&app, co, SICK).await["health"].clone();
    assert_eq!(
        (
            &h["status"],
            &h["calls_ended"],
            &h["calls_answered"],
            &h["calls_short"],
            &h["answered_pct"],
            &h["short_call_pct"]
        ),
        (&json!("unhealthy"), &json!(5), &json!(5), &json!(4), &json!(100.0), &json!(80.0)),
        "{h}"
    );
    let reason = h["reason"].as_str().expect("a reason");
    assert_eq!(reason, "short calls (under 10 s) 80% of 5 answered", "{h}");
    assert_eq!(h["finalized"], 0, "unhealthy by calls alone: {h}");

    // Telnyx delivering the hangups again counts nothing.
    for d in &hangups[..2] {
        assert_eq!(sim.redeliver(d).await.status, Some(200));
    }
    assert_eq!(calls_today(&app, co, SICK).await, [5, 5, 4]);

    // Automatic choice skips it: local presence answers with the healthy sibling...
    let (s, local) = send(&app, co, json!({"to": "+14155559999", "text": "hi"})).await;
    assert_eq!(
        (s, &local["from"], &local["reason"]),
        (StatusCode::ACCEPTED, &json!(SIBLING), &json!("local_area_code")),
        "{local}"
    );
    // ...and the default (SICK) is not taken for a recipient nobody local serves.
    queue_drained(&app, co).await;
    let before = sim.requests_to("POST /messages").len();
    let (s, none) = send(&app, co, json!({"to": "+13035550100", "text": "hi"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{none}");
    assert_eq!(sim.requests_to("POST /messages").len(), before);
    // An explicit `from` is honoured, with a warning that says why.
    let (s, explicit) = send(&app, co, json!({"to": "+13035550100", "text": "hi", "from": SICK})).await;
    assert_eq!((s, &explicit["from"]), (StatusCode::ACCEPTED, &json!(SICK)), "{explicit}");
    let warning = explicit["warning"].as_str().expect("a warning");
    assert!(warning.contains("unhealthy (short calls (under 10 s) 80%"), "{explicit}");
}
