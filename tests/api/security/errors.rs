//! No SQL, constraint or driver text in any answer: conflicts say what they mean (without telling
//! who holds a number), failures on the daemon's side carry an id the log has the details under,
//! and the unauthenticated /readyz names the failing check only.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::admin_support::spawn_admin;
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(conflicts_name_no_constraint_and_no_holder, database_failures_show_an_id_not_the_driver);

/// Words that only database or driver text would contain.
fn leaks(body: &Value) -> Vec<&'static str> {
    let text = body.to_string().to_lowercase();
    ["constraint", "duplicate key", "_pkey", "phone_numbers", "sqlx", "pool", "sqlite", "postgres", "unique"]
        .into_iter()
        .filter(|w| text.contains(w))
        .collect()
}

async fn conflicts_name_no_constraint_and_no_holder(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, _) = admin.company("Acme").await;
    let (other, other_token) = admin.company("Other").await;
    admin.number(acme, json!({"phone_number": "+18314280176"})).await;
    let (status, problem) = admin
        .call(
            Method::POST,
            &format!("/v1/companies/{other}/numbers"),
            Some(&other_token),
            Some(json!({"phone_number": "+18314280176"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(leaks(&problem).is_empty(), "{:?} in {problem}", leaks(&problem));
    assert!(!problem.to_string().contains(&acme.to_string()), "the holder is not named: {problem}");
    let (status, problem) = admin.op(Method::POST, "/v1/companies", Some(json!({"id": acme, "name": "Again"}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(leaks(&problem).is_empty(), "{:?} in {problem}", leaks(&problem));
}

async fn database_failures_show_an_id_not_the_driver(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, token) = admin.company("Acme").await;
    // The database goes away for this app.
    admin.app.store.close().await;
    let (status, problem) = admin.call(Method::GET, &format!("/v1/companies/{acme}/numbers"), Some(&token), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["detail"], "the database is unavailable; retry later");
    assert!(problem["request_id"].as_str().is_some_and(|id| id.len() == 32), "{problem}");
    assert!(leaks(&problem).is_empty(), "{:?} in {problem}", leaks(&problem));
    let res = admin.app.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"status": "not ready", "database": "unreachable"}));
}
