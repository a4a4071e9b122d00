//! Per-company limits (issue 19): messages and calls per minute and numbers bought per day, from
//! `[limits]` with an operator override per company; over a limit the request answers 429
//! problem+json with Retry-After and nothing reaches Telnyx. A company reads its limits and cannot
//! change them. Counting is one statement in the database, so concurrent requests (any node)
//! cannot overrun a limit.
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use switchboard::domain::CompanyId;
use switchboard::store::{LimitKind, Take};

use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::provisioning::{finished, post};
use crate::provisioning_sim::{app_on, company, provision};
use crate::telnyx_sim::TelnyxSim;

backend_tests!(a_company_over_its_limits_gets_429_and_nothing_is_sent, concurrent_takes_never_overrun_a_limit);

/// Waits out the last seconds of the current window (a minute, or a UTC day), so that a test
/// counting within one window does not straddle two: a clock boundary, not an event to await.
async fn away_from_window_edge(length: i64) {
    let now = chrono::Utc::now().timestamp();
    let left = length - now.rem_euclid(length);
    if left <= 10 {
        tokio::time::sleep(Duration::from_secs(left as u64 + 1)).await;
    }
}

async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value, Option<u64>) {
    let mut req = app.client.request(method, format!("{}{path}", app.address)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let content_type = res.headers().get("content-type").map(|v| v.to_str().unwrap_or_default().to_owned());
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if status == StatusCode::TOO_MANY_REQUESTS {
        assert_eq!(content_type.as_deref(), Some("application/problem+json"), "{body}");
    }
    (status, body, retry)
}

async fn company_token(app: &TestApp, co: CompanyId) -> String {
    let res = post(app, &format!("/v1/companies/{co}/tokens"), json!({"name": "crm"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let t: Value = res.json().await.expect("token");
    t["token"].as_str().expect("token").to_owned()
}

async fn a_company_over_its_limits_gets_429_and_nothing_is_sent(db: Db) {
    // Provisioning and the purchases below count in the same UTC day.
    away_from_window_edge(86_400).await;
    let sim = TelnyxSim::start().await;
    sim.add_available_numbers("US", "415", 4);
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;
    let job = provision(&app, co, json!({"area_code": "415"})).await;
    assert_eq!(job["state"], "done", "{job}");
    let token = company_token(&app, co).await;
    let limits = format!("/v1/companies/{co}/limits");
    use reqwest::Method;

    // The company reads the defaults; it cannot change them; the operator can.
    let (status, got, _) = call(&app, Method::GET, &limits, &token, None).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(
        got,
        json!({"messages_per_minute": 600, "calls_per_minute": 60, "purchases_per_day": 20,
               "overrides": {"messages_per_minute": null, "calls_per_minute": null, "purchases_per_day": null}})
    );
    let tight = json!({"messages_per_minute": 2, "calls_per_minute": 1, "purchases_per_day": 2});
    let (status, refused, _) = call(&app, Method::PUT, &limits, &token, Some(tight.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    let (status, bad, _) =
        call(&app, Method::PUT, &limits, crate::provisioning::OPERATOR, Some(json!({"calls_per_minute": -1}))).await;
    assert_eq!((status, bad["field"].as_str()), (StatusCode::BAD_REQUEST, Some("calls_per_minute")), "{bad}");
    let (status, set, _) = call(&app, Method::PUT, &limits, crate::provisioning::OPERATOR, Some(tight)).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!(
        (set["messages_per_minute"].as_i64(), set["overrides"]["calls_per_minute"].as_i64()),
        (Some(2), Some(1))
    );

    // Messages: two are queued and go out, the third is refused before it is queued.
    away_from_window_edge(60).await;
    let message = json!({"to": "+12065550100", "text": "hello"});
    let messages = format!("/v1/companies/{co}/messages");
    for _ in 0..2 {
        let (status, sent, _) = call(&app, Method::POST, &messages, &token, Some(message.clone())).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    }
    let (status, problem, retry) = call(&app, Method::POST, &messages, &token, Some(message.clone())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("2 messages per minute"), "{problem}");
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "Retry-After {retry:?}");
    crate::admin_support::eventually("both queued messages sent", || async {
        (sim.requests_to("POST /messages").len() >= 2).then_some(())
    })
    .await;
    let (_, queued, _) = call(&app, Method::GET, &messages, &token, None).await;
    assert_eq!(queued["data"].as_array().map(Vec::len), Some(2), "the refused message was never queued: {queued}");
    assert_eq!(sim.requests_to("POST /messages").len(), 2, "the refused message never reached Telnyx");

    // Calls: one, then 429.
    let dial = json!({"to": "+12065550100"});
    let calls = format!("/v1/companies/{co}/calls");
    let (status, placed, _) = call(&app, Method::POST, &calls, &token, Some(dial.clone())).await;
    assert_eq!(status, StatusCode::OK, "{placed}");
    let (status, problem, retry) = call(&app, Method::POST, &calls, &token, Some(dial)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert!(retry.is_some_and(|s| (1..=60).contains(&s)), "Retry-After {retry:?}");
    assert_eq!(sim.requests_to("POST /calls").len(), 1);

    // Purchases: provisioning bought one today; two more would pass the 2 a day, one does not.
    let purchase = format!("/v1/companies/{co}/numbers/purchase");
    let orders = sim.requests_to("POST /number_orders").len();
    let (status, problem, retry) =
        call(&app, Method::POST, &purchase, &token, Some(json!({"quantity": 2, "area_code": "415"}))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert!(problem["detail"].as_str().unwrap_or_default().contains("nothing was bought"), "{problem}");
    assert!(retry.is_some_and(|s| (1..=86_400).contains(&s)), "Retry-After {retry:?}");
    assert_eq!(sim.requests_to("POST /number_orders").len(), orders, "nothing ordered");
    let res = post(&app, &purchase, json!({"quantity": 1, "area_code": "415"})).await;
    let location = crate::provisioning::job_location(res).await;
    assert_eq!(finished(&app, &location).await["state"], "done");
    let (status, problem, _) =
        call(&app, Method::POST, &purchase, &token, Some(json!({"quantity": 1, "area_code": "415"}))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert_eq!(sim.requests_to("POST /number_orders").len(), orders + 1);

    // Back to the defaults: null overrides.
    let (status, reset, _) = call(&app, Method::PUT, &limits, crate::provisioning::OPERATOR, Some(json!({}))).await;
    assert_eq!((status, reset["messages_per_minute"].as_i64()), (StatusCode::OK, Some(600)), "{reset}");
    let (status, sent, _) = call(&app, Method::POST, &messages, &token, Some(message)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
}

async fn concurrent_takes_never_overrun_a_limit(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on(&sim, db, |_| {}).await;
    let co = company(&app).await;
    let take = Take { kind: LimitKind::Calls, window_start: 1_000_000_020, amount: 1, default_limit: 5 };
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = app.store.clone();
            tokio::spawn(async move { store.take(co, &take).await.expect("take") })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        granted += usize::from(t.await.expect("task").is_some());
    }
    assert_eq!(granted, 5, "exactly the limit is granted among concurrent takes");
    // A larger amount than what is left is refused whole; a new window starts from zero.
    let next = Take { window_start: take.window_start + 60, amount: 5, ..take };
    assert_eq!(app.store.take(co, &Take { amount: 6, ..next }).await.expect("take"), None);
    assert_eq!(app.store.take(co, &next).await.expect("take"), Some(5));
    app.store.give_back(co, &Take { amount: 2, ..next }).await.expect("give back");
    assert_eq!(app.store.take(co, &Take { amount: 2, ..next }).await.expect("take"), Some(5));
}
