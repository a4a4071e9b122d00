//! Provisioning jobs against a wiremock Telnyx: every case asserts one order per number and every
//! bought number stored.
use std::time::Duration;

use serde_json::{json, Value};
use switchboard::company::directory::Directory;
use switchboard::config::Settings;
use switchboard::domain::{CompanyId, NumberStatus, PhoneNumber};
use switchboard::provisioning::{resume_jobs, Job, JobKind, JobRequest, JobRunner, Progress, ProvisioningConfig};
use switchboard::store::{CompanySettings, NumberFilter};
use switchboard::telnyx::api::TelnyxApi;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, within, Db, TestApp};

backend_tests!(
    provision_full_flow_then_already_provisioned,
    order_timeout_is_reconciled_not_repeated,
    server_errors_then_success,
    rate_limited_order_honours_retry_after,
    pending_order_then_complete,
    crash_after_order_sent_resumes_and_reconciles,
    purchase_fewer_available_than_asked,
    order_pending_with_its_number_bought_goes_on,
    search_results_outside_the_area_code_are_not_bought,
    provision_without_public_base_url_is_refused,
);

pub const OPERATOR: &str = "op-secret";

pub fn tweak(settings: &mut Settings, telnyx: &MockServer) {
    settings.telnyx.api_key = Some("KEY-test".to_string().into());
    settings.telnyx.base_url = telnyx.uri().parse().expect("mock uri");
    settings.telnyx.request_timeout = Duration::from_millis(700);
    settings.telnyx.connect_timeout = Duration::from_millis(500);
    settings.telnyx.max_retries = 2;
    settings.public_base_url = Some("https://sb.example.com".parse().expect("url"));
    settings.admin.operator_token = Some(OPERATOR.to_string().into());
}

pub async fn app_with_telnyx(db: Db, telnyx: &MockServer) -> TestApp {
    spawn_app_with(db, |s| tweak(s, telnyx)).await
}

pub async fn post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.client
        .post(format!("http://127.0.0.1:{}{path}", app.port))
        .bearer_auth(OPERATOR)
        .json(&body)
        .send()
        .await
        .expect("post")
}

async fn company(app: &TestApp) -> CompanyId {
    let id = CompanyId::new();
    app.store.create_company(id, "Acme").await.expect("company");
    id
}

fn e164(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).expect("e164")
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "data": body }))
}

async fn mock_creates(telnyx: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/messaging_profiles"))
        .respond_with(ok(json!({"id": "prof-1"})))
        .expect(1)
        .mount(telnyx)
        .await;
    Mock::given(method("POST"))
        .and(path("/outbound_voice_profiles"))
        .respond_with(ok(json!({"id": "7654321"})))
        .expect(1)
        .mount(telnyx)
        .await;
    Mock::given(method("POST"))
        .and(path("/call_control_applications"))
        .and(wiremock::matchers::body_partial_json(json!({"outbound": {"outbound_voice_profile_id": "7654321"}})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "1234567"}})))
        .expect(1)
        .mount(telnyx)
        .await;
}

fn available(numbers: &[&str]) -> ResponseTemplate {
    let data: Vec<Value> = numbers
        .iter()
        .map(|n| json!({"phone_number": n, "features": [{"name": "sms"}, {"name": "mms"}, {"name": "voice"}]}))
        .collect();
    ok(json!(data))
}

fn order(id: &str, number: &str, status: &str) -> ResponseTemplate {
    order_with_line(id, number, status, status)
}

fn order_with_line(id: &str, number: &str, status: &str, line: &str) -> ResponseTemplate {
    ok(json!({"id": id, "status": status, "phone_numbers": [{"id": "line", "phone_number": number, "status": line}]}))
}

/// Search, GET order (success), GET /phone_numbers and both PATCHes for each number; the order
/// POST is left to each test.
async fn mock_number_path(telnyx: &MockServer, numbers: &[&str]) {
    Mock::given(method("GET"))
        .and(path("/available_phone_numbers"))
        .respond_with(available(numbers))
        .mount(telnyx)
        .await;
    for (i, n) in numbers.iter().enumerate() {
        let pn = format!("pn-{i}");
        Mock::given(method("GET"))
            .and(path(format!("/number_orders/order-{i}")))
            .respond_with(order(&format!("order-{i}"), n, "success"))
            .mount(telnyx)
            .await;
        Mock::given(method("GET"))
            .and(path("/phone_numbers"))
            // Digits only: Telnyx matches nothing for a filter with a '+'.
            .and(query_param("filter[phone_number]", n.trim_start_matches('+')))
            .respond_with(ok(json!([{"id": pn, "phone_number": n, "status": "active"}])))
            .mount(telnyx)
            .await;
        Mock::given(method("PATCH"))
            .and(path(format!("/phone_numbers/{pn}/messaging")))
            .respond_with(ok(json!({})))
            .mount(telnyx)
            .await;
        Mock::given(method("PATCH"))
            .and(path(format!("/phone_numbers/{pn}")))
            .respond_with(ok(json!({})))
            .mount(telnyx)
            .await;
    }
}

async fn mock_orders(telnyx: &MockServer, numbers: &[&str]) {
    for (i, n) in numbers.iter().enumerate() {
        Mock::given(method("POST"))
            .and(path("/number_orders"))
            .and(wiremock::matchers::body_partial_json(json!({"phone_numbers": [{"phone_number": n}]})))
            .respond_with(order(&format!("order-{i}"), n, "pending"))
            .expect(1)
            .mount(telnyx)
            .await;
    }
}

/// Polls the job until it leaves `running`; returns its JSON.
pub async fn finished(app: &TestApp, location: &str) -> Value {
    within("job", async {
        loop {
            let job: Value = app
                .client
                .get(format!("{}{location}", app.address))
                .bearer_auth(OPERATOR)
                .send()
                .await
                .expect("get job")
                .json()
                .await
                .expect("job json");
            if job["state"] != "running" {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

async fn start(app: &TestApp, path: &str, body: Value) -> Value {
    let res = post(app, path, body).await;
    assert!([201, 202].contains(&res.status().as_u16()), "status {}", res.status());
    let location = res.headers()["location"].to_str().expect("location").to_owned();
    finished(app, &location).await
}

async fn provision_ok(db: Db, telnyx: &MockServer) -> (TestApp, CompanyId, Value) {
    let app = app_with_telnyx(db, telnyx).await;
    let co = company(&app).await;
    let job = start(&app, &format!("/v1/companies/{co}/provision"), json!({})).await;
    (app, co, job)
}

async fn assert_stored(app: &TestApp, co: CompanyId, numbers: &[&str]) {
    let stored = app.store.list_numbers(co, NumberFilter::default()).await.expect("numbers");
    let mut got: Vec<&str> = stored.iter().map(|n| n.phone_number.as_str()).collect();
    got.sort();
    let mut want = numbers.to_vec();
    want.sort();
    assert_eq!(got, want);
    for n in &stored {
        assert_eq!(n.status, NumberStatus::Active);
        assert!(n.telnyx_phone_number_id.is_some());
    }
}

async fn provision_full_flow_then_already_provisioned(db: Db) {
    let telnyx = MockServer::start().await;
    mock_creates(&telnyx).await;
    mock_number_path(&telnyx, &["+14155550100"]).await;
    mock_orders(&telnyx, &["+14155550100"]).await;
    let (app, co, job) = provision_ok(db, &telnyx).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["messaging_profile_id"], "prof-1");
    assert_eq!(job["call_control_application_id"], "1234567");
    assert_stored(&app, co, &["+14155550100"]).await;
    let stored = app.store.list_numbers(co, NumberFilter::default()).await.expect("numbers");
    assert_eq!(stored[0].telnyx_messaging_profile_id.as_deref(), Some("prof-1"));
    assert_eq!(stored[0].telnyx_connection_id.as_deref(), Some("1234567"));
    let settings = app.store.get_settings(co).await.expect("settings");
    assert_eq!(settings.default_outbound_number, Some(e164("+14155550100")));
    assert_eq!(settings.default_outbound_number_id, Some(stored[0].id));
    assert_eq!(settings.default_outbound_phone_number_id.as_deref(), Some("pn-0"), "Telnyx's id, not ours");
    assert_eq!(settings.outbound_voice_profile_id.as_deref(), Some("7654321"));
    let profile_body: Value = telnyx.received_requests().await.expect("requests")[0].body_json().expect("json");
    assert_eq!(profile_body["webhook_url"], format!("https://sb.example.com/webhooks/telnyx?company={co}"));

    // Again: the existing settings, no Telnyx call (the .expect(1) mocks verify on drop).
    let before = telnyx.received_requests().await.expect("requests").len();
    let res = post(&app, &format!("/v1/companies/{co}/provision"), json!({})).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["already_provisioned"], true);
    assert_eq!(body["settings"]["messaging_profile_id"], "prof-1");
    assert_eq!(telnyx.received_requests().await.expect("requests").len(), before);
}

async fn order_timeout_is_reconciled_not_repeated(db: Db) {
    let telnyx = MockServer::start().await;
    mock_creates(&telnyx).await;
    mock_number_path(&telnyx, &["+14155550100"]).await;
    Mock::given(method("POST"))
        .and(path("/number_orders"))
        .respond_with(order("order-0", "+14155550100", "pending").set_delay(Duration::from_millis(1500)))
        .expect(1)
        .mount(&telnyx)
        .await;
    let (app, co, job) = provision_ok(db, &telnyx).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_stored(&app, co, &["+14155550100"]).await;
}

async fn server_errors_then_success(db: Db) {
    let telnyx = MockServer::start().await;
    mock_creates(&telnyx).await;
    for p in ["/available_phone_numbers", "/phone_numbers/pn-0/messaging"] {
        Mock::given(path(p))
            .respond_with(ResponseTemplate::new(500))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&telnyx)
            .await;
    }
    mock_number_path(&telnyx, &["+14155550100"]).await;
    mock_orders(&telnyx, &["+14155550100"]).await;
    let (app, co, job) = provision_ok(db, &telnyx).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_stored(&app, co, &["+14155550100"]).await;
}

async fn rate_limited_order_honours_retry_after(db: Db) {
    let telnyx = MockServer::start().await;
    mock_creates(&telnyx).await;
    mock_number_path(&telnyx, &["+14155550100"]).await;
    Mock::given(method("POST"))
        .and(path("/number_orders"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&telnyx)
        .await;
    mock_orders(&telnyx, &["+14155550100"]).await;
    let (app, co, job) = provision_ok(db, &telnyx).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_stored(&app, co, &["+14155550100"]).await;
}

async fn pending_order_then_complete(db: Db) {
    let telnyx = MockServer::start().await;
    mock_creates(&telnyx).await;
    Mock::given(method("GET"))
        .and(path("/number_orders/order-0"))
        .respond_with(order("order-0", "+14155550100", "pending"))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&telnyx)
        .await;
    mock_number_path(&telnyx, &["+14155550100"]).await;
    mock_orders(&telnyx, &["+14155550100"]).await;
    let (app, co, job) = provision_ok(db, &telnyx).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_stored(&app, co, &["+14155550100"]).await;
}

async fn provisioned_company(app: &TestApp) -> CompanyId {
    let co = company(app).await;
    let settings = CompanySettings {
        messaging_profile_id: Some("prof-1".into()),
        call_control_application_id: Some("1234567".into()),
        ..Default::default()
    };
    app.store.put_settings(co, &settings).await.expect("settings");
    co
}

async fn crash_after_order_sent_resumes_and_reconciles(db: Db) {
    let telnyx = MockServer::start().await;
    mock_number_path(&telnyx, &["+14155550100"]).await;
    Mock::given(method("POST"))
        .and(path("/number_orders"))
        .respond_with(order("order-0", "+14155550100", "pending").set_delay(Duration::from_millis(600)))
        .mount(&telnyx)
        .await;
    let app = app_with_telnyx(db, &telnyx).await;
    assert_eq!(app.db.db, db);
    // The same settings as the app's: a second runner on the same database, as after a restart.
    let mut settings = crate::helpers::test_settings(&app.db.url);
    tweak(&mut settings, &telnyx);
    let co = provisioned_company(&app).await;
    let runner = || {
        JobRunner::new(
            app.store.clone(),
            TelnyxApi::from_settings(&settings.telnyx).expect("telnyx"),
            Directory::detached(app.store.clone()),
            ProvisioningConfig::from_settings(&settings),
        )
    };
    let first = runner();
    let progress = Progress {
        messaging_profile_id: Some("prof-1".into()),
        call_control_application_id: Some("1234567".into()),
        ..Default::default()
    };
    let job = Job::new(co, JobKind::Purchase, JobRequest { quantity: 1, area_code: Some("415".into()) }, progress);
    first.submit(job.clone()).await.expect("submit");
    within("order sent", async {
        while !telnyx.received_requests().await.expect("requests").iter().any(|r| r.url.path() == "/number_orders") {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    first.abort_all(); // the crash: the order's answer is never recorded
    let stored: Job = app.store.get_job(co, job.id).await.expect("job").try_into().expect("job");
    assert!(stored.progress.numbers[0].order_sent && stored.progress.numbers[0].order_id.is_none());

    let second = runner();
    resume_jobs(&second).await.expect("resume");
    let done = finished(&app, &format!("/v1/companies/{co}/jobs/{}", job.id)).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_stored(&app, co, &["+14155550100"]).await;
    // Counted from the requests received: the aborted connection may not count as a mock match.
    let orders = telnyx.received_requests().await.expect("requests");
    assert_eq!(orders.iter().filter(|r| r.url.path() == "/number_orders").count(), 1);
}

async fn purchase_fewer_available_than_asked(db: Db) {
    let telnyx = MockServer::start().await;
    let numbers = ["+14155550101", "+14155550102"];
    mock_number_path(&telnyx, &numbers).await;
    mock_orders(&telnyx, &numbers).await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = provisioned_company(&app).await;
    let job =
        start(&app, &format!("/v1/companies/{co}/numbers/purchase"), json!({"quantity": 3, "area_code": "415"})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["available"], 2);
    assert_eq!(job["note"], "asked for 3 numbers but only 2 were available in area code 415");
    assert_stored(&app, co, &numbers).await;
    let search = &telnyx.received_requests().await.expect("requests")[0];
    assert!(search.url.query().unwrap_or_default().contains("national_destination_code%5D=415"));
}

async fn provision_without_public_base_url_is_refused(db: Db) {
    let telnyx = MockServer::start().await;
    let app = spawn_app_with(db, |s| {
        tweak(s, &telnyx);
        s.public_base_url = None;
    })
    .await;
    let co = company(&app).await;
    let res = post(&app, &format!("/v1/companies/{co}/provision"), json!({})).await;
    assert_eq!(res.status(), 422);
    assert!(telnyx.received_requests().await.expect("requests").is_empty());
}

/// Telnyx's documented example (and Prism's answer): the order still `pending`, its only number
/// `success`. The number is bought: the job goes on at the first poll.
async fn order_pending_with_its_number_bought_goes_on(db: Db) {
    let telnyx = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/number_orders/order-0"))
        .respond_with(order_with_line("order-0", "+14155550100", "pending", "success"))
        .expect(1)
        .with_priority(1)
        .mount(&telnyx)
        .await;
    mock_number_path(&telnyx, &["+14155550100"]).await;
    mock_orders(&telnyx, &["+14155550100"]).await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = provisioned_company(&app).await;
    let job = start(&app, &format!("/v1/companies/{co}/numbers/purchase"), json!({"quantity": 1})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_stored(&app, co, &["+14155550100"]).await;
}

/// A search may answer best-effort numbers from other area codes: only those in the asked one
/// are bought (the client drops the others), and none at all is a clear failure.
async fn search_results_outside_the_area_code_are_not_bought(db: Db) {
    let telnyx = MockServer::start().await;
    let in_415 = ["+14155550101", "+14155550102"];
    Mock::given(method("GET"))
        .and(path("/available_phone_numbers"))
        .and(query_param("filter[national_destination_code]", "628"))
        .respond_with(available(&["+19705555098"]))
        .with_priority(1)
        .mount(&telnyx)
        .await;
    Mock::given(method("GET"))
        .and(path("/available_phone_numbers"))
        .respond_with(available(&["+14155550101", "+16285550100", "+14155550102"]))
        .with_priority(2)
        .mount(&telnyx)
        .await;
    mock_number_path(&telnyx, &in_415).await;
    mock_orders(&telnyx, &in_415).await;
    let app = app_with_telnyx(db, &telnyx).await;
    let co = provisioned_company(&app).await;
    let job =
        start(&app, &format!("/v1/companies/{co}/numbers/purchase"), json!({"quantity": 3, "area_code": "415"})).await;
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["note"], "asked for 3 numbers but only 2 were available in area code 415");
    assert_stored(&app, co, &in_415).await;

    let res =
        post(&app, &format!("/v1/companies/{co}/numbers/purchase"), json!({"quantity": 1, "area_code": "628"})).await;
    assert_eq!(res.status(), 502);
    let problem: Value = res.json().await.expect("problem");
    let detail = problem["detail"].as_str().unwrap_or_default();
    let why = "no number with sms, mms and voice is available in area code 628";
    assert!(detail.ends_with(why), "{problem}");
    assert_stored(&app, co, &in_415).await;
    let orders = telnyx.received_requests().await.expect("requests");
    assert_eq!(orders.iter().filter(|r| r.url.path() == "/number_orders").count(), 2);
}

/// The job a provisioning or purchase answer names (its Location); the answer itself when it
/// names none, so that a refusal says why.
pub async fn job_location(res: reqwest::Response) -> String {
    let status = res.status();
    match res.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned) {
        Some(location) => location,
        None => panic!("answered {status} without a job: {}", res.text().await.unwrap_or_default()),
    }
}
