//! A company's forward secret can be rotated: for the grace period every forward carries a
//! signature with each secret (space separated, as Standard Webhooks allows), then only the new.
use std::sync::Arc;

use chrono::Utc;

use reqwest::{Method, StatusCode};
use switchboard::domain::CompanyId;
use switchboard::outbox::forward::sign;
use switchboard::outbox::OutboxWorker;
use switchboard::telnyx::api::TelnyxApi;
use tokio::sync::Notify;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::admin_support::spawn_admin;
use crate::backend_tests;
use crate::helpers::{loopback_deliverer, Db, TestApp};

backend_tests!(a_rotated_secret_signs_beside_the_old_one_during_the_grace);

/// Queues a forward of `event` for `company` to `url` and delivers it once.
async fn forward(app: &TestApp, company: CompanyId, event: &str, url: &str) {
    let item = crate::helpers::forward_item(company, event, url);
    app.store.insert_outbox_items(&[item]).await.unwrap();
    let worker = OutboxWorker::new(app.store.clone(), loopback_deliverer(TelnyxApi(None)), Arc::new(Notify::new()));
    worker.run_once().await.unwrap();
}

async fn a_rotated_secret_signs_beside_the_old_one_during_the_grace(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, token) = admin.company("Acme").await;
    let company = CompanyId::from_uuid(acme);
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&receiver).await;
    let url = format!("{}/hook", receiver.uri());
    let (_, defaults) = admin.call(Method::GET, &format!("/v1/companies/{acme}/routing"), Some(&token), None).await;
    let old = defaults["forward_secret"].as_str().unwrap().to_owned();

    let path = format!("/v1/companies/{acme}/routing/forward-secret");
    let (status, rotated) = admin.call(Method::POST, &path, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["forward_secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated["previous_valid_until"].is_string(), "{rotated}");
    let (_, defaults) = admin.call(Method::GET, &format!("/v1/companies/{acme}/routing"), Some(&token), None).await;
    assert_eq!(defaults["forward_secret"], new.as_str(), "the routing defaults show the new secret");

    forward(&admin.app, company, "ev-rotated", &url).await;
    let got = &receiver.received_requests().await.unwrap()[0];
    let header = |n: &str| got.headers.get(n).unwrap().to_str().unwrap().to_owned();
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
    let signatures: Vec<String> = header("webhook-signature").split(' ').map(str::to_owned).collect();
    let expect = |secret: &str| sign(secret, "ev-rotated", timestamp, &got.body).unwrap();
    assert_eq!(signatures, vec![expect(&new), expect(&old)], "the new secret's signature first, then the old one's");

    // A rotation with no grace left (rotating again while the store says the previous expired):
    // only the current secret signs.
    let expired = Utc::now() - chrono::Duration::seconds(1);
    let latest =
        admin.app.store.rotate_forward_secret(company, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", expired).await;
    let latest = latest.unwrap().current;
    forward(&admin.app, company, "ev-after-grace", &url).await;
    let got = &receiver.received_requests().await.unwrap()[1];
    let timestamp: i64 = got.headers.get("webhook-timestamp").unwrap().to_str().unwrap().parse().unwrap();
    assert_eq!(
        got.headers.get("webhook-signature").unwrap().to_str().unwrap(),
        sign(&latest, "ev-after-grace", timestamp, &got.body).unwrap()
    );

    // A read token cannot rotate.
    let (_, reader) = admin
        .op(
            Method::POST,
            &format!("/v1/companies/{acme}/tokens"),
            Some(serde_json::json!({"name": "r", "scopes": ["read"]})),
        )
        .await;
    let (status, _) = admin.call(Method::POST, &path, reader["token"].as_str(), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
