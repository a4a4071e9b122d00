//! Tenancy: with company A's token, every endpoint on company B's resources answers 404 and
//! nothing of B changes; a missing or bad token answers 401.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::admin_support::{spawn_admin, Admin};
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(company_tokens_reach_only_their_company, missing_or_bad_tokens_are_401);

/// B's whole visible state, read by the operator.
async fn snapshot(admin: &Admin, b: Uuid) -> Vec<Value> {
    let mut out = Vec::new();
    for part in
        ["", "/numbers", "/default-number", "/departments", "/locations", "/routing", "/assignments", "/opt-outs"]
    {
        let (s, v) = admin.op(Method::GET, &format!("/v1/companies/{b}{part}"), None).await;
        assert_eq!(s, StatusCode::OK, "{part}: {v}");
        out.push(v);
    }
    let (_, tokens) = admin.op(Method::GET, &format!("/v1/companies/{b}/tokens"), None).await;
    out.push(tokens);
    out
}

async fn company_tokens_reach_only_their_company(db: Db) {
    let admin = spawn_admin(db).await;
    let (_a, token_a) = admin.company("A").await;
    let (b, _token_b) = admin.company("B").await;
    let n = admin.number(b, json!({"phone_number": "+18314280176", "department": "Sales"})).await;
    let number_id = n["id"].as_str().unwrap().to_owned();
    let dest = json!({"destinations": {"call": "+16505555678", "message": "https://b.example.com/in"}});
    admin.op(Method::PUT, &format!("/v1/companies/{b}/departments/Sales"), Some(dest.clone())).await;
    admin.op(Method::PUT, &format!("/v1/companies/{b}/locations/SF"), Some(dest.clone())).await;
    let assign = json!({"phone_number": "+18314280176"});
    admin.op(Method::PUT, &format!("/v1/companies/{b}/assignments/+14155550100"), Some(assign.clone())).await;
    admin.op(Method::PUT, &format!("/v1/companies/{b}/opt-outs/+14155550101"), None).await;
    admin.op(Method::PUT, &format!("/v1/companies/{b}/default-number"), Some(assign.clone())).await;
    let (_, tokens) = admin.op(Method::GET, &format!("/v1/companies/{b}/tokens"), None).await;
    let token_id = tokens["data"][0]["id"].as_str().unwrap().to_owned();
    let before = snapshot(&admin, b).await;

    let base = format!("/v1/companies/{b}");
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, base.clone(), None),
        (Method::GET, format!("{base}/numbers"), None),
        (Method::POST, format!("{base}/numbers"), Some(json!({"phone_number": "+12125550100"}))),
        (Method::GET, format!("{base}/numbers/{number_id}"), None),
        (Method::PATCH, format!("{base}/numbers/{number_id}"), Some(json!({"status": "suspended"}))),
        (Method::GET, format!("{base}/default-number"), None),
        (Method::PUT, format!("{base}/default-number"), Some(assign.clone())),
        (Method::GET, format!("{base}/departments"), None),
        (Method::GET, format!("{base}/departments/Sales"), None),
        (Method::PUT, format!("{base}/departments/Sales"), Some(json!({}))),
        (Method::DELETE, format!("{base}/departments/Sales"), None),
        (Method::GET, format!("{base}/locations"), None),
        (Method::GET, format!("{base}/locations/SF"), None),
        (Method::PUT, format!("{base}/locations/SF"), Some(json!({}))),
        (Method::DELETE, format!("{base}/locations/SF"), None),
        (Method::GET, format!("{base}/routing"), None),
        (Method::PUT, format!("{base}/routing"), Some(json!({"unrouted_policy": "hangup"}))),
        (
            Method::POST,
            format!("{base}/routing/explain"),
            Some(json!({"from": "+14155550100", "to": "+18314280176", "kind": "call"})),
        ),
        (Method::GET, format!("{base}/assignments"), None),
        (Method::GET, format!("{base}/assignments/+14155550100"), None),
        (Method::PUT, format!("{base}/assignments/+14155550100"), Some(assign.clone())),
        (Method::DELETE, format!("{base}/assignments/+14155550100"), None),
        (Method::GET, format!("{base}/opt-outs"), None),
        (Method::PUT, format!("{base}/opt-outs/+14155550199"), None),
        (Method::DELETE, format!("{base}/opt-outs/+14155550101"), None),
        (Method::GET, format!("{base}/routing-log"), None),
        (Method::GET, format!("{base}/routing-log/ev-1"), None),
        (Method::GET, format!("{base}/outbox"), None),
        (Method::GET, format!("{base}/tokens"), None),
        (Method::POST, format!("{base}/tokens"), Some(json!({"name": "stolen"}))),
        (Method::DELETE, format!("{base}/tokens/{token_id}"), None),
        (Method::POST, "/v1/companies".to_owned(), Some(json!({"name": "C"}))),
    ];
    for (method, path, body) in cases {
        let (s, e) = admin.call(method.clone(), &path, Some(&token_a), body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "A's token on {method} {path}: {e}");
        assert_eq!(e["status"], 404, "problem+json body: {e}");
        assert!(!e.to_string().contains("Sales") && !e.to_string().contains("+1831"), "leaks B's data: {e}");
    }
    assert_eq!(snapshot(&admin, b).await, before, "B changed");
    let (_, companies) = admin.call(Method::GET, "/v1/companies", Some(&token_a), None).await;
    assert_eq!(companies["data"].as_array().unwrap().len(), 1, "A sees only itself: {companies}");
    assert_eq!(companies["data"][0]["name"], "A");
}

async fn missing_or_bad_tokens_are_401(db: Db) {
    let admin = spawn_admin(db).await;
    let (b, _) = admin.company("B").await;
    for token in [None, Some("sbt_not-a-real-token"), Some("")] {
        for path in ["/v1/companies".to_owned(), format!("/v1/companies/{b}/numbers")] {
            let (s, e) = admin.call(Method::GET, &path, token, None).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{token:?} {path}: {e}");
            assert_eq!(e["status"], 401);
        }
    }
}
