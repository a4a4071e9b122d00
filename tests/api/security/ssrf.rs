//! Forward destinations cannot reach this machine, its private network or a metadata service:
//! refused when set (400 naming the field), and at connection time for names that resolve there
//! (the test maps names to loopback with its own resolver; nothing is sent off this machine).
//! Redirects are not followed, and the outbox shows the receiver's status code, nothing else.
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::json;
use switchboard::domain::CompanyId;
use switchboard::outbox::guard::{ForwardPolicy, StaticLookup, SystemLookup};
use switchboard::outbox::{Deliverer, OutboxWorker};
use switchboard::store::outbox::OutboxEntry;
use switchboard::telnyx::api::TelnyxApi;
use tokio::sync::Notify;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::admin_support::{Admin, OPERATOR};
use crate::backend_tests;
use crate::helpers::{spawn_app, spawn_app_with, Db, TestApp};

backend_tests!(
    private_and_insecure_destinations_are_refused_when_set,
    a_name_that_resolves_to_loopback_is_refused_before_any_connection,
    a_redirect_is_not_followed_and_the_outbox_shows_only_the_status
);

/// An admin app with the strict default policy (no insecure hosts, no allowed ranges).
async fn strict_admin(db: Db) -> Admin {
    let app = spawn_app_with(db, |s| {
        s.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
        s.forwards = Default::default();
    })
    .await;
    Admin { app }
}

async fn private_and_insecure_destinations_are_refused_when_set(db: Db) {
    let admin = strict_admin(db).await;
    let (company, _) = admin.company("Acme").await;
    let refused = [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://192.168.0.10:8443/hook",
        "http://crm.example.com/hook",
        "https://user:pw@crm.example.com/hook",
    ];
    for target in refused {
        let (status, problem) = admin
            .op(
                Method::PUT,
                &format!("/v1/companies/{company}/departments/Sales"),
                Some(json!({"destinations": {"message": target}})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{target}: {problem}");
        assert_eq!(problem["field"], "destinations.message", "{target}: {problem}");
        let after_hours = json!({"hours": {"time_zone": "UTC", "open": [], "after_hours": {"message": target}}});
        let (status, problem) =
            admin.op(Method::PUT, &format!("/v1/companies/{company}/locations/Denver"), Some(after_hours)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{target}: {problem}");
        assert_eq!(problem["field"], "hours.after_hours.message", "{target}: {problem}");
        let (status, problem) = admin
            .op(
                Method::PUT,
                &format!("/v1/companies/{company}/routing"),
                Some(json!({"destinations": {"message": target}})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{target}: {problem}");
        assert_eq!(problem["field"], "destinations.message", "{target}: {problem}");
    }
    let (status, body) = admin
        .op(
            Method::PUT,
            &format!("/v1/companies/{company}/departments/Sales"),
            Some(json!({"destinations": {"message": "https://crm.example.com/hook"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a public https URL is fine: {body}");
}

/// A forward of event `event` queued for `company` to `url`.
async fn queue_forward(app: &TestApp, event: &str, url: &str) -> CompanyId {
    let company = CompanyId::new();
    app.store.create_company(company, "Acme").await.unwrap();
    let item = crate::helpers::forward_item(company, event, url);
    app.store.insert_outbox_items(&[item]).await.unwrap();
    company
}

/// One delivery attempt of every due item through `deliverer`; the company's outbox afterwards.
async fn attempt(app: &TestApp, deliverer: Deliverer, company: CompanyId) -> OutboxEntry {
    let worker = OutboxWorker::new(app.store.clone(), deliverer, Arc::new(Notify::new()));
    worker.run_once().await.unwrap();
    app.store.list_outbox(company, 10).await.unwrap().remove(0)
}

async fn a_name_that_resolves_to_loopback_is_refused_before_any_connection(db: Db) {
    let app = spawn_app(db).await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
    let port = receiver.address().port();
    let company = queue_forward(&app, "ev-rebind", &format!("http://rebind.test:{port}/hook")).await;
    // The name is allowed over http (as a development host would be), but it resolves to
    // loopback and no range is allowed: refused at connection time.
    let lookup = || Arc::new(StaticLookup([("rebind.test".to_string(), vec!["127.0.0.1".parse().unwrap()])].into()));
    let strict = ForwardPolicy::new(vec!["rebind.test".into()], vec![]);
    let entry = attempt(&app, Deliverer::new(TelnyxApi(None), Arc::new(strict), lookup()), company).await;
    assert_eq!(entry.status, "pending", "retried later, not delivered");
    assert_eq!(entry.last_error.as_deref(), Some("refused: the destination resolves to no public address"));
    assert!(receiver.received_requests().await.unwrap().is_empty(), "no connection was made");
    // The same name and receiver with loopback allowed: delivered, so the mapping did work and
    // the refusal above was the policy's.
    let allowed = ForwardPolicy::new(vec!["rebind.test".into()], vec!["127.0.0.0/8".parse().unwrap()]);
    let other = queue_forward(&app, "ev-rebind-allowed", &format!("http://rebind.test:{port}/hook")).await;
    let entry = attempt(&app, Deliverer::new(TelnyxApi(None), Arc::new(allowed), lookup()), other).await;
    assert_eq!(entry.status, "delivered", "{:?}", entry.last_error);
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
}

async fn a_redirect_is_not_followed_and_the_outbox_shows_only_the_status(db: Db) {
    let app = spawn_app(db).await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&elsewhere).await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", format!("{}/stolen", elsewhere.uri())))
        .mount(&receiver)
        .await;
    let loopback = || Arc::new(ForwardPolicy::new(vec!["127.0.0.1".into()], vec!["127.0.0.0/8".parse().unwrap()]));
    let company = queue_forward(&app, "ev-307", &format!("{}/hook", receiver.uri())).await;
    let entry = attempt(&app, Deliverer::new(TelnyxApi(None), loopback(), Arc::new(SystemLookup)), company).await;
    assert_eq!(entry.last_error.as_deref(), Some("receiver answered 307"));
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
    assert!(elsewhere.received_requests().await.unwrap().is_empty(), "the signed body went nowhere else");

    let chatty = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("db password is hunter2 at 10.0.0.5"))
        .mount(&chatty)
        .await;
    let company = queue_forward(&app, "ev-500", &format!("{}/hook", chatty.uri())).await;
    let entry = attempt(&app, Deliverer::new(TelnyxApi(None), loopback(), Arc::new(SystemLookup)), company).await;
    assert_eq!(entry.last_error.as_deref(), Some("receiver answered 500"), "the status code, nothing of the body");
}
