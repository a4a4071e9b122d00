//! A number the Telnyx account already holds, registered by hand (POST /v1/companies/{id}/numbers)
//! on a provisioned company, against the Telnyx simulator on both backends: it is attached to the
//! company's messaging profile and application through the API (the simulator sees both PATCHes),
//! or refused with the reason and nothing stored. Also the jobs list's bounds.
use reqwest::StatusCode;
use serde_json::{json, Value};
use switchboard::domain::CompanyId;
use switchboard::store::NumberFilter;

use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::provisioning::post;
use crate::provisioning_sim::{app_on, company, get, provision};
use crate::telnyx_sim::{Fault, ProfileKind, TelnyxSim};

backend_tests!(
    a_hand_registered_number_is_attached,
    a_number_that_cannot_be_attached_is_not_stored,
    the_jobs_list_is_bounded_and_newest_first,
);

const HELD: &str = "+14155550999";

async fn provisioned(sim: &TelnyxSim, app: &TestApp) -> CompanyId {
    sim.add_available_numbers("US", "415", 1);
    let co = company(app).await;
    let job = provision(app, co, json!({})).await;
    assert_eq!(job["state"], "done", "{job}");
    co
}

async fn register(app: &TestApp, co: CompanyId, body: Value) -> (StatusCode, Value) {
    let res = post(app, &format!("/v1/companies/{co}/numbers"), body).await;
    (res.status(), res.json().await.expect("json"))
}

async fn stored(app: &TestApp, co: CompanyId, number: &str) -> bool {
    let numbers = app.store.list_numbers(co, NumberFilter::default()).await.expect("numbers");
    numbers.iter().any(|n| n.phone_number.as_str() == number)
}

async fn a_hand_registered_number_is_attached(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on(&sim, db, |_| {}).await;
    let co = provisioned(&sim, &app).await;
    let held_id = sim.add_owned_number(HELD);
    let profile = sim.profiles(ProfileKind::MessagingProfile)[0]["id"].clone();
    let app_id = sim.profiles(ProfileKind::CallControlApplication)[0]["id"].clone();

    let (status, number) = register(&app, co, json!({"phone_number": HELD, "department": "Sales"})).await;
    assert_eq!(status, StatusCode::CREATED, "{number}");
    assert_eq!(number["telnyx_phone_number_id"], held_id.as_str(), "found in the account by number");
    assert_eq!(number["telnyx_messaging_profile_id"], profile);
    assert_eq!(number["telnyx_connection_id"], app_id);
    assert_eq!(number["department"], "Sales");
    let messaging = sim.requests_to("PATCH /phone_numbers/{id}/messaging");
    let voice = sim.requests_to("PATCH /phone_numbers/{id}");
    let attached = |r: &crate::telnyx_sim::RequestRecord| r.path.starts_with(&format!("/phone_numbers/{held_id}"));
    assert_eq!(messaging.iter().filter(|r| attached(r)).count(), 1);
    assert_eq!(voice.iter().filter(|r| attached(r)).count(), 1);
    let owned = sim.owned_numbers().into_iter().find(|n| n.phone_number == HELD).expect("owned");
    assert_eq!(owned.messaging_profile_id.as_deref(), profile.as_str());
    assert_eq!(owned.connection_id.as_deref(), app_id.as_str());

    // With its Telnyx id given (it must be the account's), as the default number.
    let other = "+14155550998";
    let other_id = sim.add_owned_number(other);
    let (status, n) = register(&app, co, json!({"phone_number": other, "telnyx_phone_number_id": other_id})).await;
    assert_eq!(status, StatusCode::CREATED, "{n}");
    assert_eq!(n["telnyx_connection_id"], app_id);
    let res = app
        .client
        .put(format!("{}/v1/companies/{co}/default-number", app.address))
        .bearer_auth(crate::provisioning::OPERATOR)
        .json(&json!({"phone_number": other}))
        .send()
        .await
        .expect("put");
    assert_eq!(res.status(), StatusCode::OK);
    let default: Value = res.json().await.expect("json");
    assert_eq!(default["telnyx_phone_number_id"], other_id.as_str());
    let (_, telnyx) = get(&app, &format!("/v1/companies/{co}/telnyx")).await;
    assert_eq!(telnyx["default_outbound_phone_number_id"], other_id.as_str(), "Telnyx's id: {telnyx}");
    assert_eq!(telnyx["default_outbound_number_id"], n["id"]);
}

async fn a_number_that_cannot_be_attached_is_not_stored(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on(&sim, db, |_| {}).await;
    let co = provisioned(&sim, &app).await;
    let patches = || sim.requests_to("PATCH /phone_numbers/{id}/messaging").len();
    let after_provisioning = patches();

    // Not in the account.
    let (status, problem) = register(&app, co, json!({"phone_number": HELD})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "phone_number");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("not a number of the Telnyx account")), "{problem}");
    assert!(!stored(&app, co, HELD).await);

    // In the account under another id than the one given.
    let held_id = sim.add_owned_number(HELD);
    let (status, problem) = register(&app, co, json!({"phone_number": HELD, "telnyx_phone_number_id": "1"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "telnyx_phone_number_id");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains(&held_id)), "{problem}");
    assert_eq!(patches(), after_provisioning, "nothing attached");

    // Telnyx fails the attachment: 502, nothing stored; the same request again succeeds.
    for _ in 0..2 {
        sim.fail_next("PATCH /phone_numbers/{id}/messaging", Fault::Status(500));
    }
    let (status, problem) = register(&app, co, json!({"phone_number": HELD})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("nothing was stored")), "{problem}");
    assert!(!stored(&app, co, HELD).await);
    let (status, number) = register(&app, co, json!({"phone_number": HELD})).await;
    assert_eq!(status, StatusCode::CREATED, "{number}");

    // Another company's number: refused before Telnyx is asked to move it.
    let other = provisioned_elsewhere(&app).await;
    let before = sim.requests().len();
    let (status, problem) = register(&app, other, json!({"phone_number": HELD})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(sim.requests().len(), before, "Telnyx untouched");
    let owned = sim.owned_numbers().into_iter().find(|n| n.phone_number == HELD).expect("owned");
    assert_eq!(owned.messaging_profile_id.as_deref(), number["telnyx_messaging_profile_id"].as_str());

    // Not provisioned: stored as given, unattached.
    let plain = company(&app).await;
    let (status, n) = register(&app, plain, json!({"phone_number": "+14155550997"})).await;
    assert_eq!(status, StatusCode::CREATED, "{n}");
    assert_eq!((&n["telnyx_messaging_profile_id"], &n["telnyx_connection_id"]), (&Value::Null, &Value::Null));
}

/// A second company with a profile and an application recorded (no Telnyx needed).
async fn provisioned_elsewhere(app: &TestApp) -> CompanyId {
    let co = company(app).await;
    let settings = switchboard::store::CompanySettings {
        messaging_profile_id: Some("40017f8e-49bd-4f16-9e3d-ef103f916228".into()),
        call_control_application_id: Some("1494404757140276999".into()),
        ..Default::default()
    };
    app.store.put_settings(co, &settings).await.expect("settings");
    co
}

async fn the_jobs_list_is_bounded_and_newest_first(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on(&sim, db, |_| {}).await;
    let co = provisioned(&sim, &app).await;
    // A purchase with nothing to buy fails: a second job.
    let res = post(&app, &format!("/v1/companies/{co}/numbers/purchase"), json!({"area_code": "212"})).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let (status, jobs) = get(&app, &format!("/v1/companies/{co}/jobs")).await;
    assert_eq!(status, 200, "{jobs}");
    assert_eq!(jobs["next_cursor"], Value::Null, "{jobs}");
    let jobs = &jobs["data"];
    let kinds: Vec<(&str, &str)> = jobs
        .as_array()
        .expect("a list")
        .iter()
        .map(|j| (j["kind"].as_str().unwrap_or_default(), j["state"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(kinds, vec![("purchase", "failed"), ("provision", "done")]);
    assert!(jobs[0]["error"].as_str().is_some_and(|e| e.contains("area code 212")), "{jobs}");
    assert_eq!(jobs[0]["step"], "search");
    // A page of one, then the cursor to the next (and last) one.
    let (_, one) = get(&app, &format!("/v1/companies/{co}/jobs?limit=1")).await;
    assert_eq!(one["data"].as_array().map(Vec::len), Some(1), "{one}");
    assert_eq!(one["data"][0]["kind"], "purchase");
    let cursor = one["next_cursor"].as_str().expect("a cursor to the next page");
    let (_, two) = get(&app, &format!("/v1/companies/{co}/jobs?limit=1&cursor={cursor}")).await;
    assert_eq!(two["data"][0]["kind"], "provision", "{two}");
    assert_eq!(two["next_cursor"], Value::Null, "the last page: {two}");
    for bad in ["0", "1001", "x"] {
        let (status, problem) = get(&app, &format!("/v1/companies/{co}/jobs?limit={bad}")).await;
        assert_eq!(status, 400, "limit={bad}: {problem}");
    }
    // Another company sees none of them.
    let (status, none) = get(&app, &format!("/v1/companies/{}/jobs", company(&app).await)).await;
    assert_eq!((status, &none["data"]), (200, &json!([])), "{none}");
}
