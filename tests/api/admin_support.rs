//! Helpers for the admin API tests: an app with an operator token, JSON requests, bounded polling.
use std::future::Future;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::helpers::{spawn_app_with, Db, TestApp};

pub const OPERATOR: &str = "operator-token-for-tests-0123456789";

pub struct Admin {
    pub app: TestApp,
}

pub async fn spawn_admin(db: Db) -> Admin {
    spawn_admin_with(db, |_| {}).await
}

/// [`spawn_admin`] after `tweak` adjusted the settings.
pub async fn spawn_admin_with(db: Db, tweak: impl FnOnce(&mut switchboard::config::Settings)) -> Admin {
    let key = crate::telnyx_events::public_key_b64();
    let app = spawn_app_with(db, move |s| {
        s.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
        s.telnyx.public_key = Some(crate::webhooks::base64_32(&key));
        tweak(s);
    })
    .await;
    Admin { app }
}

impl Admin {
    /// Sends a request with an optional bearer token and JSON body; returns status and JSON (Null if none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.app.client.request(method, format!("{}{path}", self.app.address));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn op(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call(method, path, Some(OPERATOR), body).await
    }

    /// Creates a company (operator) and a token for it.
    pub async fn company(&self, name: &str) -> (Uuid, String) {
        let (s, c) = self.op(Method::POST, "/v1/companies", Some(json!({ "name": name }))).await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let id: Uuid = c["id"].as_str().unwrap().parse().unwrap();
        let (s, t) = self.op(Method::POST, &format!("/v1/companies/{id}/tokens"), Some(json!({"name": "ci"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        (id, t["token"].as_str().unwrap().to_owned())
    }

    /// Registers a number (operator) and returns its record.
    pub async fn number(&self, company: Uuid, body: Value) -> Value {
        let (s, n) = self.op(Method::POST, &format!("/v1/companies/{company}/numbers"), Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{n}");
        n
    }
}

/// Polls `check` until it returns `Some`, failing after 30 s (a hang, not a timing assertion).
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: condition not met within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
