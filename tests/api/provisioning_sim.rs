//! Provisioning against the Telnyx simulator (tests/common/telnyx_sim), on both backends: what a
//! company gets (one messaging profile, one outbound voice profile, one application that
//! references it, the numbers asked for, attached), and that nothing is ever bought twice (a
//! failed job resumes, concurrent requests share one job, an ambiguous create is looked up). Every
//! request the daemon sends is checked against the Telnyx spec (the simulator fails the test on a
//! violation when it is dropped).
use std::time::Duration;

use serde_json::{json, Value};
use switchboard::config::Settings;
use switchboard::domain::{CompanyId, CountryCode, PhoneNumber};
use switchboard::store::NumberFilter;

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Db, TestApp};
use crate::provisioning::{finished, post, OPERATOR};
use crate::telnyx_sim::{Fault, ProfileKind, TelnyxSim};

backend_tests!(
    provision_makes_one_of_each_and_buys_three_in_415,
    a_failed_order_poll_resumes_without_ordering_again,
    twenty_concurrent_provisions_share_one_job,
    failover_urls_reach_profile_and_application,
    numbers_are_searched_in_the_configured_country,
    ambiguous_creates_are_looked_up_not_repeated,
    a_company_provisioned_before_voice_profiles_gets_one,
    a_job_that_ended_is_not_run_again,
    a_purchase_with_unsettled_orders_resumes_with_its_request,
);

/// The daemon on the simulator: one retry, short timeouts.
pub async fn app_on(sim: &TelnyxSim, db: Db, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let base_url = sim.base_url();
    spawn_app_with(db, move |s| {
        s.telnyx.api_key = Some("KEYsim_provisioning".to_string().into());
        s.telnyx.base_url = base_url;
        s.telnyx.max_retries = 1;
        s.telnyx.request_timeout = Duration::from_secs(5);
        s.public_base_url = Some("https://sb.example.com".parse().expect("url"));
        s.admin.operator_token = Some(OPERATOR.to_string().into());
        tweak(s);
    })
    .await
}

pub async fn company(app: &TestApp) -> CompanyId {
    let id = CompanyId::new();
    app.store.create_company(id, "Acme").await.expect("company");
    id
}

pub async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app.client.get(format!("{}{path}", app.address)).bearer_auth(OPERATOR).send().await.expect("get");
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// POST /provision with `body`, then the job once it left `running` (any answer naming a job).
pub async fn provision(app: &TestApp, co: CompanyId, body: Value) -> Value {
    let res = post(app, &format!("/v1/companies/{co}/provision"), body).await;
    let status = res.status().as_u16();
    let location = res.headers().get("location").map(|l| l.to_str().expect("location").to_owned());
    let location = location.unwrap_or_else(|| panic!("provision answered {status} without a job"));
    finished(app, &location).await
}

fn count(sim: &TelnyxSim, operation: &str) -> usize {
    sim.requests_to(operation).len()
}

async fn provision_makes_one_of_each_and_buys_three_in_415(db: Db) {
    let sim = TelnyxSim::start().await;
    sim.add_available_numbers("US", "650", 2);
    let in_415 = sim.add_available_numbers("US", "415", 3);
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;

    let job = provision(&app, co, json!({"quantity": 3, "area_code": "415"})).await;
    assert_eq!(job["state"], "done", "{job}");

    let profiles = sim.profiles(ProfileKind::MessagingProfile);
    let voice = sim.profiles(ProfileKind::OutboundVoiceProfile);
    let apps = sim.profiles(ProfileKind::CallControlApplication);
    assert_eq!((profiles.len(), voice.len(), apps.len()), (1, 1, 1), "one of each");
    let (profile, ovp, app_id) = (&profiles[0]["id"], &voice[0]["id"], &apps[0]["id"]);
    assert_eq!(apps[0]["outbound"]["outbound_voice_profile_id"], *ovp, "the application can dial out");
    assert_eq!(apps[0]["webhook_api_version"], "2");
    let webhook = format!("https://sb.example.com/webhooks/telnyx?company={co}");
    assert_eq!(apps[0]["webhook_event_url"], webhook);
    assert_eq!(profiles[0]["webhook_url"], webhook);
    assert_eq!(voice[0]["name"], format!("switchboard {co}"));
    assert_eq!(apps[0]["webhook_event_failover_url"], Value::Null, "no failover URL configured");

    // Three numbers in 415, bought once each, attached, stored.
    assert_eq!(count(&sim, "POST /number_orders"), 3);
    let mut stored = app.store.list_numbers(co, NumberFilter::default()).await.expect("numbers");
    stored.sort_by(|a, b| a.phone_number.as_str().cmp(b.phone_number.as_str()));
    let got: Vec<&str> = stored.iter().map(|n| n.phone_number.as_str()).collect();
    assert_eq!(got, in_415.iter().map(String::as_str).collect::<Vec<_>>());
    for owned in sim.owned_numbers() {
        assert_eq!(owned.status, "active");
        assert_eq!(owned.messaging_profile_id.as_deref(), profile.as_str(), "{owned:?}");
        assert_eq!(owned.connection_id.as_deref(), app_id.as_str(), "{owned:?}");
        let ours = stored.iter().find(|n| n.phone_number.as_str() == owned.phone_number).expect("stored");
        assert_eq!(ours.telnyx_phone_number_id.as_deref(), Some(owned.id.as_str()));
        assert_eq!(ours.telnyx_connection_id.as_deref(), app_id.as_str());
    }

    // The company's Telnyx settings; the default number's id is Telnyx's.
    let (status, telnyx) = get(&app, &format!("/v1/companies/{co}/telnyx")).await;
    assert_eq!(status, 200, "{telnyx}");
    assert_eq!(telnyx["provisioned"], true);
    assert_eq!((&telnyx["messaging_profile_id"], &telnyx["call_control_application_id"]), (profile, app_id));
    assert_eq!(telnyx["outbound_voice_profile_id"], *ovp);
    let default = telnyx["default_outbound_number"].as_str().expect("a default number");
    let default_row = stored.iter().find(|n| n.phone_number.as_str() == default).expect("stored default");
    assert_eq!(telnyx["default_outbound_phone_number_id"].as_str(), default_row.telnyx_phone_number_id.as_deref());
    assert_eq!(telnyx["default_outbound_number_id"], default_row.id.to_string());

    // The jobs: one, done.
    let (status, jobs) = get(&app, &format!("/v1/companies/{co}/jobs")).await;
    assert_eq!(status, 200, "{jobs}");
    let jobs = &jobs["data"];
    assert_eq!(jobs.as_array().map(Vec::len), Some(1), "{jobs}");
    assert_eq!(
        (&jobs[0]["state"], &jobs[0]["step"], &jobs[0]["error"]),
        (&json!("done"), &json!("done"), &Value::Null)
    );
    assert_eq!(jobs[0]["bought"], 3);
    assert_eq!(jobs[0]["location"], format!("/v1/companies/{co}/jobs/{}", job["id"].as_str().expect("id")));

    // Again: nothing to do, Telnyx untouched.
    let before = sim.requests().len();
    let res = post(&app, &format!("/v1/companies/{co}/provision"), json!({})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["already_provisioned"], true);
    assert_eq!(sim.requests().len(), before);
    sim.assert_no_violations();
}

async fn a_failed_order_poll_resumes_without_ordering_again(db: Db) {
    let sim = TelnyxSim::start().await;
    let bought = sim.add_available_numbers("US", "415", 2);
    // Every attempt of the first poll fails (one retry allowed): the job fails after ordering.
    for _ in 0..2 {
        sim.fail_next("GET /number_orders/{number_order_id}", Fault::Status(500));
    }
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;
    let failed = provision(&app, co, json!({"quantity": 2, "area_code": "415"})).await;
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(failed["error"].as_str().is_some_and(|e| e.contains("HTTP 500")), "{failed}");
    assert_eq!(count(&sim, "POST /number_orders"), 1, "the first number was ordered");

    let res = post(&app, &format!("/v1/companies/{co}/provision"), json!({})).await;
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(location, format!("/v1/companies/{co}/jobs/{}", failed["id"].as_str().expect("id")), "the same job");
    let done = finished(&app, &location).await;
    assert_eq!(done["state"], "done", "{done}");

    // Each number ordered once; one profile, voice profile and application; all stored.
    assert_eq!(count(&sim, "POST /number_orders"), 2);
    for kind in [ProfileKind::MessagingProfile, ProfileKind::OutboundVoiceProfile, ProfileKind::CallControlApplication]
    {
        assert_eq!(sim.profiles(kind).len(), 1, "{kind:?}");
    }
    let mut stored: Vec<String> = app
        .store
        .list_numbers(co, NumberFilter::default())
        .await
        .expect("numbers")
        .into_iter()
        .map(|n| n.phone_number.to_string())
        .collect();
    stored.sort();
    assert_eq!(stored, bought);
    assert_eq!(sim.owned_numbers().len(), 2);
    let (_, jobs) = get(&app, &format!("/v1/companies/{co}/jobs")).await;
    assert_eq!(jobs["data"].as_array().map(Vec::len), Some(1), "resumed, not replaced: {jobs}");
}

async fn twenty_concurrent_provisions_share_one_job(db: Db) {
    let sim = TelnyxSim::start().await;
    sim.add_available_numbers("US", "415", 5);
    // A slow first step keeps the job running while the requests arrive.
    sim.fail_next("POST /messaging_profiles", Fault::Delay(Duration::from_millis(300)));
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;
    let path = format!("/v1/companies/{co}/provision");
    let answers = futures::future::join_all((0..20).map(|_| post(&app, &path, json!({})))).await;
    let mut locations = std::collections::BTreeSet::new();
    for res in answers {
        let status = res.status().as_u16();
        assert!([200, 201, 202].contains(&status), "answered {status}");
        if let Some(l) = res.headers().get("location") {
            locations.insert(l.to_str().expect("location").to_owned());
        }
    }
    assert_eq!(locations.len(), 1, "one job: {locations:?}");
    let job = finished(&app, locations.first().expect("a job")).await;
    assert_eq!(job["state"], "done", "{job}");
    let (_, jobs) = get(&app, &format!("/v1/companies/{co}/jobs")).await;
    assert_eq!(jobs["data"].as_array().map(Vec::len), Some(1), "{jobs}");
    for kind in [ProfileKind::MessagingProfile, ProfileKind::OutboundVoiceProfile, ProfileKind::CallControlApplication]
    {
        assert_eq!(sim.profiles(kind).len(), 1, "{kind:?}");
    }
    assert_eq!(count(&sim, "POST /number_orders"), 1);
}

async fn failover_urls_reach_profile_and_application(db: Db) {
    let sim = TelnyxSim::start().await;
    sim.add_available_numbers("US", "415", 1);
    let app = app_on(&sim, db, |s| {
        s.telnyx.failover_base_url = Some("https://failover.example.com/sb".parse().expect("url"))
    })
    .await;
    let co = company(&app).await;
    let job = provision(&app, co, json!({})).await;
    assert_eq!(job["state"], "done", "{job}");
    let failover = format!("https://failover.example.com/sb/webhooks/telnyx?company={co}");
    assert_eq!(sim.profiles(ProfileKind::MessagingProfile)[0]["webhook_failover_url"], failover);
    assert_eq!(sim.profiles(ProfileKind::CallControlApplication)[0]["webhook_event_failover_url"], failover);
}

async fn numbers_are_searched_in_the_configured_country(db: Db) {
    let sim = TelnyxSim::start().await;
    let canadian = sim.add_available_numbers("CA", "604", 1);
    let app = app_on(&sim, db, |s| s.telnyx.number_country = CountryCode::parse("CA").expect("CA")).await;
    let co = company(&app).await;
    let job = provision(&app, co, json!({"area_code": "604"})).await;
    assert_eq!(job["state"], "done", "{job}");
    let search = &sim.requests_to("GET /available_phone_numbers")[0];
    assert_eq!(search.query_value("filter[country_code]"), Some("CA"));
    let stored = app.store.list_numbers(co, NumberFilter::default()).await.expect("numbers");
    assert_eq!(stored[0].phone_number.as_str(), canadian[0]);
}

/// Telnyx makes the profile and the application but the answers are lost (500 after the
/// effect): the daemon finds them by name instead of creating more.
async fn ambiguous_creates_are_looked_up_not_repeated(db: Db) {
    let sim = TelnyxSim::start().await;
    sim.add_available_numbers("US", "415", 1);
    for op in ["POST /messaging_profiles", "POST /outbound_voice_profiles", "POST /call_control_applications"] {
        sim.fail_next(op, Fault::FailAfterEffect(500));
    }
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;
    let job = provision(&app, co, json!({})).await;
    assert_eq!(job["state"], "done", "{job}");
    for (kind, op) in [
        (ProfileKind::MessagingProfile, "POST /messaging_profiles"),
        (ProfileKind::OutboundVoiceProfile, "POST /outbound_voice_profiles"),
        (ProfileKind::CallControlApplication, "POST /call_control_applications"),
    ] {
        assert_eq!(sim.profiles(kind).len(), 1, "{kind:?}");
        assert_eq!(count(&sim, op), 1, "{op} sent once");
    }
    let (ovp, apps) =
        (sim.profiles(ProfileKind::OutboundVoiceProfile), sim.profiles(ProfileKind::CallControlApplication));
    assert_eq!(apps[0]["outbound"]["outbound_voice_profile_id"], ovp[0]["id"]);
    assert_eq!(job["messaging_profile_id"], sim.profiles(ProfileKind::MessagingProfile)[0]["id"]);
    assert_eq!(job["call_control_application_id"], apps[0]["id"]);
}

/// A company provisioned before outbound voice profiles: provisioning again creates one and
/// gives it to the existing application (PATCH), buying nothing.
async fn a_company_provisioned_before_voice_profiles_gets_one(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;
    let app_id =
        sim.add_call_control_application(&format!("switchboard {co}"), "https://sb.example.com/webhooks/telnyx");
    let number = app
        .store
        .insert_number(&switchboard::store::NewNumber::new(co, PhoneNumber::parse("+14155550100").expect("e164")))
        .await
        .expect("number");
    let old = switchboard::store::CompanySettings {
        messaging_profile_id: Some("40017f8e-49bd-4f16-9e3d-ef103f916228".into()),
        call_control_application_id: Some(app_id.clone()),
        default_outbound_number: Some(number.phone_number.clone()),
        default_outbound_number_id: Some(number.id),
        ..Default::default()
    };
    app.store.put_settings(co, &old).await.expect("settings");
    let (_, before) = get(&app, &format!("/v1/companies/{co}/telnyx")).await;
    assert_eq!(before["provisioned"], false, "{before}");

    let job = provision(&app, co, json!({})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["request"]["quantity"], 0, "nothing bought: {job}");
    let voice = sim.profiles(ProfileKind::OutboundVoiceProfile);
    assert_eq!(voice.len(), 1);
    let patches = sim.requests_to("PATCH /call_control_applications/{id}");
    assert_eq!(patches.len(), 1);
    assert_eq!(patches[0].path, format!("/call_control_applications/{app_id}"));
    let apps = sim.profiles(ProfileKind::CallControlApplication);
    assert_eq!(apps[0]["outbound"]["outbound_voice_profile_id"], voice[0]["id"]);
    assert_eq!(apps[0]["webhook_event_url"], format!("https://sb.example.com/webhooks/telnyx?company={co}"));
    assert_eq!(count(&sim, "GET /available_phone_numbers") + count(&sim, "POST /number_orders"), 0);
    let (_, after) = get(&app, &format!("/v1/companies/{co}/telnyx")).await;
    assert_eq!(after["provisioned"], true, "{after}");
    assert_eq!(after["outbound_voice_profile_id"], voice[0]["id"]);
    assert_eq!(after["default_outbound_number"], "+14155550100");
    // The body is optional (null as well); when given, it is checked.
    let path = format!("/v1/companies/{co}/provision");
    assert_eq!(post(&app, &path, Value::Null).await.status(), 200);
    let res = app.client.post(format!("{}{path}", app.address)).bearer_auth(OPERATOR).send().await.expect("post");
    assert_eq!(res.status(), 200, "no body at all");
    for bad in [json!([]), json!({"quantity": 0}), json!({"area_code": "41"})] {
        let res = post(&app, &path, bad.clone()).await;
        assert_eq!(res.status(), 400, "{bad}");
    }
}

/// A task restarted for a job that ended meanwhile (a request read it running just before) reads
/// it again and leaves it alone: nothing is created or ordered again.
async fn a_job_that_ended_is_not_run_again(db: Db) {
    let sim = TelnyxSim::start().await;
    sim.add_available_numbers("US", "415", 2);
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;
    let job = provision(&app, co, json!({})).await;
    assert_eq!(job["state"], "done", "{job}");
    let before = sim.requests().len();
    let mut settings = crate::helpers::test_settings(&app.db.url);
    settings.telnyx.api_key = Some("KEYsim_provisioning".to_string().into());
    settings.telnyx.base_url = sim.base_url();
    settings.public_base_url = Some("https://sb.example.com".parse().expect("url"));
    let other_node = switchboard::provisioning::JobRunner::new(
        app.store.clone(),
        switchboard::telnyx::api::TelnyxApi::from_settings(&settings.telnyx).expect("telnyx"),
        switchboard::company::directory::Directory::detached(app.store.clone()),
        switchboard::provisioning::ProvisioningConfig::from_settings(&settings),
    );
    let id: uuid::Uuid = job["id"].as_str().expect("id").parse().expect("uuid");
    other_node.restart(co, id).expect("a task").await.expect("the task ends");
    assert_eq!(sim.requests().len(), before, "Telnyx untouched");
    let (_, again) = get(&app, &format!("/v1/companies/{co}/jobs/{id}")).await;
    assert_eq!((&again["state"], &again["updated_at"]), (&job["state"], &job["updated_at"]));
}

/// A purchase that failed after ordering: another purchase is refused (409 naming it) until the
/// same request resumes it; the number is ordered once and stored.
async fn a_purchase_with_unsettled_orders_resumes_with_its_request(db: Db) {
    let sim = TelnyxSim::start().await;
    sim.add_available_numbers("US", "415", 2);
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;
    assert_eq!(provision(&app, co, json!({})).await["state"], "done");
    for _ in 0..2 {
        sim.fail_next("GET /number_orders/{number_order_id}", Fault::Status(503));
    }
    let path = format!("/v1/companies/{co}/numbers/purchase");
    let ask = json!({"quantity": 1, "area_code": "415"});
    let res = post(&app, &path, ask.clone()).await;
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    let failed = finished(&app, &location).await;
    assert_eq!(failed["state"], "failed", "{failed}");

    let res = post(&app, &path, json!({"quantity": 2})).await;
    assert_eq!(res.status(), 409);
    assert_eq!(res.headers()["location"].to_str().expect("location"), location);
    let problem: Value = res.json().await.expect("problem");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("area code 415")), "{problem}");

    let res = post(&app, &path, ask).await;
    assert_eq!(res.headers()["location"].to_str().expect("location"), location, "the same job");
    let done = finished(&app, &location).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(count(&sim, "POST /number_orders"), 2, "one for provisioning, one for the purchase");
    let stored = app.store.list_numbers(co, NumberFilter::default()).await.expect("numbers");
    assert_eq!(stored.len(), 2);
}
