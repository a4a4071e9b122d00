//! Number health, end to end with the Telnyx simulator (issue 22 acceptance): the simulator
//! reports 60% of one number's messages as 40003 (blocked as spam) over 20 finalized messages;
//! that number turns unhealthy in the admin API, leaves automatic sender choice (local presence,
//! the default), a customer sticky to it moves to the healthy number of its department (the
//! routing log shows the note), and an explicit `from` still sends with a warning.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchboard::domain::CompanyId;
use switchboard::telnyx::client::{CountryCode, NewMessagingProfile};
use url::Url;

use crate::admin_support::{eventually, OPERATOR};
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Db, TestApp};
use crate::telnyx_sim::{MessageOutcome, TelnyxSim};

backend_tests!(a_number_blocked_as_spam_turns_unhealthy_and_leaves_automatic_choice);

/// Sales has two numbers; OTHER has none of the tags.
pub(super) const SICK: &str = "+14155550001";
pub(super) const SIBLING: &str = "+14155550002";
const OTHER: &str = "+14155550003";
/// Sticky to SICK from its first contact (area code 206: no local number).
const STICKY: &str = "+12065550123";

pub(super) async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = app.client.request(method, format!("{}{path}", app.address)).bearer_auth(OPERATOR);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(super) async fn send(app: &TestApp, co: CompanyId, body: Value) -> (StatusCode, Value) {
    call(app, Method::POST, &format!("/v1/companies/{co}/messages"), Some(body)).await
}

/// Telnyx's id of the queued message `id`, once the send queue sent it.
async fn telnyx_id(app: &TestApp, co: CompanyId, id: &Value) -> String {
    let path = format!("/v1/companies/{co}/messages/{}", id.as_str().expect("message id"));
    eventually("the message sent", || async {
        let (_, m) = call(app, Method::GET, &path, None).await;
        m["telnyx_message_id"].as_str().map(str::to_owned)
    })
    .await
}

/// Waits until the send queue holds nothing for the company (every message sent or ended).
pub(super) async fn queue_drained(app: &TestApp, co: CompanyId) {
    eventually("the send queue drained", || async {
        let mut pending = 0;
        for status in ["queued", "sending"] {
            let path = format!("/v1/companies/{co}/messages?status={status}");
            let (_, page) = call(app, Method::GET, &path, None).await;
            pending += page["data"].as_array().map_or(1, Vec::len);
        }
        (pending == 0).then_some(())
    })
    .await
}

pub(super) async fn number(app: &TestApp, co: CompanyId, e164: &str) -> Value {
    let (s, page) = call(app, Method::GET, &format!("/v1/companies/{co}/numbers"), None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["data"].as_array().unwrap().iter().find(|n| n["phone_number"] == e164).expect("number").clone()
}

/// The daemon on `db` talking to `sim`, a company with three 415 numbers (two in Sales, SICK the
/// default) and a messaging profile whose events reach the daemon.
async fn setup(db: Db, sim: &TelnyxSim) -> (TestApp, CompanyId) {
    setup_with(db, sim, |_| {}).await
}

/// [`setup`] with settings changed by `tweak` (after the test's own).
pub(super) async fn setup_with(
    db: Db,
    sim: &TelnyxSim,
    tweak: impl FnOnce(&mut switchboard::config::Settings),
) -> (TestApp, CompanyId) {
    let (key, base_url) = (sim.public_key_bytes(), sim.base_url());
    let app = spawn_app_with(db, move |s| {
        s.telnyx.public_key = Some(key);
        s.telnyx.api_key = Some(secrecy::SecretString::from("KEYhealth_test"));
        s.telnyx.base_url = base_url;
        s.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
        // Read health again right after each outcome this node commits (the default waits up to
        // a second between reads), and count the gauge every second.
        s.number_health.refresh_min_ms = 0;
        s.number_health.refresh_secs = 1;
        tweak(s);
    })
    .await;
    let co = CompanyId::new();
    app.store.create_company(co, "Acme").await.expect("company");
    for (n, department) in [(SICK, Some("Sales")), (SIBLING, Some("Sales")), (OTHER, None)] {
        let (s, body) = call(
            &app,
            Method::POST,
            &format!("/v1/companies/{co}/numbers"),
            Some(json!({"phone_number": n, "department": department})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let profile = NewMessagingProfile {
        name: "acme".into(),
        whitelisted_destinations: vec![CountryCode::US],
        webhook_url: Url::parse(&format!("{}/webhooks/telnyx", app.address)).expect("url"),
        webhook_failover_url: None,
    };
    let profile = crate::simulator::client(sim).create_messaging_profile(&profile).await.expect("profile");
    let mut settings = app.store.get_settings(co).await.expect("settings");
    settings.messaging_profile_id = Some(profile);
    app.directory.put_settings(co, &settings).await.expect("settings");
    let (s, body) =
        call(&app, Method::PUT, &format!("/v1/companies/{co}/default-number"), Some(json!({"phone_number": SICK})))
            .await;
    assert!(s.is_success(), "{body}");
    (app, co)
}

async fn a_number_blocked_as_spam_turns_unhealthy_and_leaves_automatic_choice(db: Db) {
    let sim = TelnyxSim::start().await;
    let (app, co) = setup(db, &sim).await;

    // The first contact with an explicit `from` makes the customer sticky to it.
    let (s, first) = send(&app, co, json!({"to": STICKY, "text": "hello", "from": SICK})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{first}");
    assert!(first.get("warning").is_none(), "healthy so far: {first}");
    let (s, sticky) = call(&app, Method::GET, &format!("/v1/companies/{co}/assignments/{STICKY}"), None).await;
    assert_eq!((s, &sticky["phone_number"]), (StatusCode::OK, &json!(SICK)), "{sticky}");

    // 19 more from SICK; the simulator finalizes 12 of the 20 as 40003 (60%) and delivers 8.
    let mut queued = vec![first["id"].clone()];
    for i in 0..19 {
        let (s, sent) =
            send(&app, co, json!({"to": format!("+1206555{:04}", 200 + i), "text": "offer", "from": SICK})).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{sent}");
        queued.push(sent["id"].clone());
    }
    let mut ids = Vec::new();
    for q in &queued {
        ids.push(telnyx_id(&app, co, q).await);
    }
    let mut deliveries = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let outcome = if i < 12 { MessageOutcome::DeliveryFailed(40003) } else { MessageOutcome::Delivered };
        let d = sim.message_finalized(id, outcome).await;
        assert_eq!(d.status, Some(200), "the daemon took the outcome");
        deliveries.push(d);
        if i == 18 {
            // 19 finalized: not judged yet.
            assert_eq!(number(&app, co, SICK).await["health"]["status"], "insufficient_data");
        }
    }
    // Telnyx delivering outcomes again counts nothing.
    for d in &deliveries[..3] {
        assert_eq!(sim.redeliver(d).await.status, Some(200));
    }

    let sick = number(&app, co, SICK).await;
    let h = &sick["health"];
    assert_eq!(
        (&h["status"], &h["finalized"], &h["deliverability_pct"], &h["spam_block_pct"], &h["window_days"]),
        (&json!("unhealthy"), &json!(20), &json!(40.0), &json!(60.0), &json!(7)),
        "{sick}"
    );
    assert_eq!(number(&app, co, SIBLING).await["health"]["status"], "insufficient_data");
    let id = sick["id"].as_str().unwrap();
    let (s, one) = call(&app, Method::GET, &format!("/v1/companies/{co}/numbers/{id}"), None).await;
    assert_eq!((s, &one["health"]["status"]), (StatusCode::OK, &json!("unhealthy")), "{one}");

    // The sticky customer moves to the healthy number of the same department, with a note.
    let (s, moved) = send(&app, co, json!({"to": STICKY, "text": "still there?"})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{moved}");
    assert_eq!(
        (&moved["from"], &moved["reason"], &moved["previous"]),
        (&json!(SIBLING), &json!("reassigned"), &json!(SICK))
    );
    let (_, sticky) = call(&app, Method::GET, &format!("/v1/companies/{co}/assignments/{STICKY}"), None).await;
    assert_eq!(sticky["phone_number"], SIBLING, "{sticky}");
    let (s, log) = call(&app, Method::GET, &format!("/v1/companies/{co}/routing-log?outcome=reassigned"), None).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let lines = log["data"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{log}");
    let note = &lines[0];
    assert_eq!(
        (&note["customer"], &note["phone_number"], &note["event_type"]),
        (&json!(STICKY), &json!(SIBLING), &json!("assignment.moved"))
    );
    assert_eq!(note["decision"]["previous"], SICK, "{note}");
    assert!(
        note["decision"]["note"]
            .as_str()
            .unwrap()
            .contains("+14155550001 is unhealthy (deliverability 40% of 20 finalized, spam blocks 60%"),
        "{note}"
    );
    // Sticky from now on, without another move.
    let (_, next) = send(&app, co, json!({"to": STICKY, "text": "again"})).await;
    assert_eq!((&next["from"], &next["reason"]), (&json!(SIBLING), &json!("assigned")), "{next}");

    // Local presence skips it: the lowest healthy 415 number answers a 415 customer.
    let (_, local) = send(&app, co, json!({"to": "+14155559999", "text": "hi"})).await;
    assert_eq!((&local["from"], &local["reason"]), (&json!(SIBLING), &json!("local_area_code")), "{local}");
    // The default (SICK) is skipped too: nothing healthy serves 303, so nothing is sent.
    queue_drained(&app, co).await;
    let before = sim.requests_to("POST /messages").len();
    let (s, none) = send(&app, co, json!({"to": "+13035550100", "text": "hi"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{none}");
    assert_eq!(sim.requests_to("POST /messages").len(), before);

    // An explicit `from` is honoured, with a warning.
    let (s, explicit) = send(&app, co, json!({"to": STICKY, "text": "from the old one", "from": SICK})).await;
    assert_eq!(
        (s, &explicit["from"], &explicit["reason"]),
        (StatusCode::ACCEPTED, &json!(SICK), &json!("explicit")),
        "{explicit}"
    );
    assert!(explicit["warning"].as_str().unwrap().contains("unhealthy"), "{explicit}");
    telnyx_id(&app, co, &explicit["id"]).await;
    assert_eq!(sim.messages().last().unwrap().from, SICK);

    // The gauge counts it (no labels); it is recomputed every refresh_secs (1 s here).
    let metric = eventually("the unhealthy gauge", || async {
        let text = app.client.get(format!("{}/metrics", app.address)).send().await.ok()?.text().await.ok()?;
        text.lines().find(|l| l.starts_with("switchboard_numbers_unhealthy ") && l.ends_with(" 1")).map(str::to_owned)
    })
    .await;
    assert_eq!(metric, "switchboard_numbers_unhealthy 1");
}
