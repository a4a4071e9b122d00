//! Guessing tokens is rate limited per client address: past its budget of failures, the address
//! gets 429 with Retry-After on every admin request, whatever token it carries; other work goes on.
use reqwest::{Method, StatusCode};

use crate::admin_support::OPERATOR;
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Db};

backend_tests!(failed_authentication_locks_the_address_out);

async fn failed_authentication_locks_the_address_out(db: Db) {
    let app = spawn_app_with(db, |s| {
        s.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
        s.admin.auth_failures_per_minute = 5;
    })
    .await;
    let call = |token: &'static str| {
        let req = app.client.request(Method::GET, format!("{}/v1/companies", app.address)).bearer_auth(token);
        async move { req.send().await.expect("request") }
    };
    assert_eq!(call(OPERATOR).await.status(), StatusCode::OK);
    for i in 0..5 {
        assert_eq!(call("sbt_guess").await.status(), StatusCode::UNAUTHORIZED, "guess {i} is within the budget");
    }
    let locked = call("sbt_guess").await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = locked.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(call(OPERATOR).await.status(), StatusCode::TOO_MANY_REQUESTS, "a right token is not told apart");
    // Webhooks are not admin requests: they go on.
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("switchboard_admin_auth_failures_total{outcome=\"locked\"}"), "{metrics}");
}
