//! Token scopes and lifetime: a company token mints and revokes tokens only with the `tokens`
//! scope and never grants more than it has; `read` tokens change nothing; expired tokens
//! authenticate nothing; the last use is recorded.
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use switchboard::domain::{CompanyId, Scope, Scopes};
use switchboard::routes::auth::{hash_token, new_token};
use switchboard::store::NewToken;
use uuid::Uuid;

use crate::admin_support::{spawn_admin, Admin};
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(
    company_tokens_mint_and_revoke_only_with_the_tokens_scope,
    a_read_token_reads_and_changes_nothing,
    expired_tokens_authenticate_nothing_and_last_use_is_recorded
);

/// Mints a token for `company` with `body` as `by` (a token, or the operator when `None`).
async fn mint(admin: &Admin, company: Uuid, by: Option<&str>, body: Value) -> (StatusCode, Value) {
    let path = format!("/v1/companies/{company}/tokens");
    match by {
        Some(token) => admin.call(Method::POST, &path, Some(token), Some(body)).await,
        None => admin.op(Method::POST, &path, Some(body)).await,
    }
}

async fn company_tokens_mint_and_revoke_only_with_the_tokens_scope(db: Db) {
    let admin = spawn_admin(db).await;
    // The operator's token for the company has the default scopes: read, send, admin.
    let (acme, plain) = admin.company("Acme").await;
    let (status, problem) = mint(&admin, acme, Some(&plain), json!({"name": "spare"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("`tokens` scope"), "{problem}");
    let (_, tokens) = admin.op(Method::GET, &format!("/v1/companies/{acme}/tokens"), None).await;
    let first = tokens["data"][0]["id"].as_str().unwrap().to_owned();
    let revoke = format!("/v1/companies/{acme}/tokens/{first}");
    let (status, _) = admin.call(Method::DELETE, &revoke, Some(&plain), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "it cannot revoke either, not even itself");

    // A token minted with `tokens` (and read) by the operator mints what it has, no more.
    let (status, keeper) = mint(&admin, acme, None, json!({"name": "keeper", "scopes": ["tokens", "read"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{keeper}");
    assert_eq!(keeper["scopes"], json!(["read", "tokens"]));
    let keeper = keeper["token"].as_str().unwrap().to_owned();
    let (status, reader) = mint(&admin, acme, Some(&keeper), json!({"name": "reader", "scopes": ["read"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{reader}");
    let (status, problem) = mint(&admin, acme, Some(&keeper), json!({"name": "escalate", "scopes": ["admin"]})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = mint(&admin, acme, Some(&keeper), json!({"name": "x", "scopes": ["root"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, _) = admin.call(Method::DELETE, &revoke, Some(&keeper), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "a tokens token revokes");
    let (status, _) = admin.call(Method::GET, &format!("/v1/companies/{acme}/numbers"), Some(&plain), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the revoked token is dead");
}

async fn a_read_token_reads_and_changes_nothing(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, _) = admin.company("Acme").await;
    let (_, reader) = mint(&admin, acme, None, json!({"name": "dashboard", "scopes": ["read"]})).await;
    let reader = reader["token"].as_str().unwrap().to_owned();
    let at = |p: &str| format!("/v1/companies/{acme}{p}");
    let (status, _) = admin.call(Method::GET, &at("/numbers"), Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin.call(Method::GET, &at("/departments"), Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK);
    let explain = json!({"kind": "call", "from": "+13035550100", "to": "+18314280176"});
    let (status, body) = admin.call(Method::POST, &at("/routing/explain"), Some(&reader), Some(explain)).await;
    assert_ne!(status, StatusCode::FORBIDDEN, "explaining changes nothing: {body}");
    let writes = [
        (Method::PUT, "/departments/Sales", json!({"destinations": {"call": "+16505550100"}})),
        (Method::POST, "/numbers", json!({"phone_number": "+18314280176"})),
        (Method::PUT, "/routing", json!({"destinations": {}})),
        (Method::PUT, "/opt-outs/+13035550100", json!({})),
        (Method::POST, "/messages", json!({"to": "+13035550100", "text": "hi"})),
        (Method::POST, "/calls", json!({"to": "+13035550100"})),
        (Method::POST, "/tokens", json!({"name": "more"})),
    ];
    for (method, path, body) in writes {
        let (status, problem) = admin.call(method.clone(), &at(path), Some(&reader), Some(body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {problem}");
    }
    let (_, departments) = admin.op(Method::GET, &at("/departments"), None).await;
    assert_eq!(departments, json!({"data": [], "next_cursor": null}), "nothing was written");
}

async fn expired_tokens_authenticate_nothing_and_last_use_is_recorded(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, _) = admin.company("Acme").await;
    let company = CompanyId::from_uuid(acme);
    let numbers = format!("/v1/companies/{acme}/numbers");
    // Stored with an expiry already past (as time would make it).
    let old = new_token();
    let hash = hash_token(&old);
    let past = Some(Utc::now() - Duration::seconds(1));
    let stale = NewToken { company, name: "old", token_hash: &hash, scopes: Scopes::DEFAULT, expires_at: past };
    admin.app.store.insert_token(&stale).await.unwrap();
    let (status, _) = admin.call(Method::GET, &numbers, Some(&old), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, problem) = mint(&admin, acme, None, json!({"name": "x", "expires_at": "2020-01-01T00:00:00Z"})).await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("expires_at")));

    // A token that expires tomorrow works; what it mints expires no later.
    let tomorrow = (Utc::now() + Duration::days(1)).to_rfc3339();
    let body = json!({"name": "temp", "scopes": ["read", "tokens"], "expires_at": tomorrow});
    let (status, temp) = mint(&admin, acme, None, body).await;
    assert_eq!(status, StatusCode::CREATED, "{temp}");
    let temp = temp["token"].as_str().unwrap().to_owned();
    let (status, _) = admin.call(Method::GET, &numbers, Some(&temp), None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, child) = mint(&admin, acme, Some(&temp), json!({"name": "child", "scopes": ["read"]})).await;
    assert!(child["expires_at"].is_string(), "inherits its minter's expiry: {child}");
    let next_week = (Utc::now() + Duration::days(7)).to_rfc3339();
    let (status, problem) =
        mint(&admin, acme, Some(&temp), json!({"name": "c2", "scopes": ["read"], "expires_at": next_week})).await;
    assert_eq!((status, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("expires_at")));

    let (_, tokens) = admin.op(Method::GET, &format!("/v1/companies/{acme}/tokens"), None).await;
    let tokens = tokens["data"].as_array().unwrap();
    let used = tokens.iter().find(|t| t["name"] == "temp").unwrap();
    assert!(used["last_used_at"].is_string(), "{used}");
    let unused = tokens.iter().find(|t| t["name"] == "child").unwrap();
    assert!(unused["last_used_at"].is_null(), "{unused}");
    assert!(Scopes::DEFAULT.contains(Scope::Admin));
}
