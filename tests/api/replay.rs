//! Webhook replay from Telnyx's delivery log (a wiremock serving GET /webhook_deliveries records
//! shaped as the spec's `webhook_delivery`): exactly once, dead letters, malformed records, the
//! operator-only endpoint, window checks, Telnyx errors and the CLI.
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use switchboard::domain::CompanyId;
use switchboard::store::Usage;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::backend_tests;
use crate::helpers::{spawn_app_with, Db, TestApp};
use crate::telnyx_events::*;
use crate::webhooks::{post_signed, seed, usage, ACME_SALES, ACME_SUPPORT, CUSTOMER, OTHER_MAIN};

backend_tests!(failed_deliveries_count_exactly_once_even_when_replayed_again);

pub const OPERATOR: &str = "operator-token-for-replay-tests";
pub const API_KEY: &str = "KEY-replay-secret-0123";

/// An app whose Telnyx API is `telnyx`, with the webhook key, an operator token and no replay delay.
pub async fn app_with_telnyx(
    db: Db,
    telnyx: &MockServer,
    tweak: impl FnOnce(&mut switchboard::config::Settings),
) -> TestApp {
    use base64::Engine;
    let key: [u8; 32] = base64::engine::general_purpose::STANDARD.decode(public_key_b64()).unwrap().try_into().unwrap();
    let base_url = telnyx.uri().parse().unwrap();
    spawn_app_with(db, move |s| {
        s.telnyx.public_key = Some(key);
        s.telnyx.api_key = Some(API_KEY.to_string().into());
        s.telnyx.base_url = base_url;
        s.telnyx.max_retries = 0;
        s.admin.operator_token = Some(OPERATOR.to_string().into());
        s.replay.delay_secs = 0;
        tweak(s);
    })
    .await
}

/// A `webhook_delivery` record that failed, holding the `data` of `envelope` as its webhook.
pub fn failed_delivery(id: &str, envelope: &[u8]) -> Value {
    let env: Value = serde_json::from_slice(envelope).unwrap();
    json!({
        "id": id, "record_type": "webhook_delivery", "status": "failed",
        "user_id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0",
        "started_at": "2026-11-25T10:00:00.000Z", "finished_at": "2026-11-25T10:06:05.595Z",
        "attempts": [{
            "status": "failed", "started_at": "2026-11-25T10:06:05.004Z", "finished_at": "2026-11-25T10:06:05.360Z",
            "errors": [75499],
            "http": {"request": {"url": "https://sb.example.com/webhooks/telnyx", "headers": [["Accept", "*/*"]]},
                     "response": {"status": 503, "headers": [["Content-Type", "application/problem+json"]],
                                  "body": "{\"detail\":\"commit deadline passed; retry\"}"}}
        }],
        "webhook": env["data"]
    })
}

/// Serves `pages` as pages 1.. of the failed deliveries (any window), with the spec's meta.
pub async fn mount_pages(telnyx: &MockServer, pages: &[Vec<Value>]) {
    let total: usize = pages.iter().map(Vec::len).sum();
    for (i, records) in pages.iter().enumerate() {
        Mock::given(method("GET"))
            .and(path("/webhook_deliveries"))
            .and(query_param("filter[status][eq]", "failed"))
            .and(query_param("page[number]", (i + 1).to_string()))
            .and(header("authorization", format!("Bearer {API_KEY}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "data": records,
                "meta": {"page_number": i + 1, "page_size": 250, "total_pages": pages.len(), "total_results": total}
            })))
            .mount(telnyx)
            .await;
    }
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn replay(app: &TestApp, token: Option<&str>, body: Value) -> (StatusCode, Value, String) {
    let mut req = app.client.post(format!("{}/v1/webhook-replays", app.address)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let content_type = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let text = res.text().await.unwrap();
    assert!(!text.contains(API_KEY), "the API key leaked: {text}");
    if !status.is_success() {
        assert_eq!(content_type, "application/problem+json", "{text}");
    }
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

/// The last hour, as the operator would ask for it.
pub fn last_hour() -> Value {
    let now = Utc::now();
    json!({"from": rfc3339(now - Duration::hours(1)), "to": rfc3339(now)})
}

fn counts(s: &Value) -> [u64; 7] {
    ["pages", "records", "counted", "duplicates", "acknowledged", "dead_letters", "failed"]
        .map(|k| s[k].as_u64().unwrap_or_else(|| panic!("{k} missing in {s}")))
}

async fn all_usage(app: &TestApp, acme: CompanyId, other: CompanyId) -> [Usage; 3] {
    [usage(app, acme, ACME_SALES).await, usage(app, acme, ACME_SUPPORT).await, usage(app, other, OTHER_MAIN).await]
}

async fn failed_deliveries_count_exactly_once_even_when_replayed_again(db: Db) {
    let telnyx = MockServer::start().await;
    let app = app_with_telnyx(db, &telnyx, |_| {}).await;
    let (acme, other) = seed(&app).await;
    // Delivered and counted live; Telnyx's log lists it as failed all the same (our 200 was lost).
    let live = message_received("rp-live", CUSTOMER, &[ACME_SALES], &[], "hi");
    assert_eq!(post_signed(&app, &live).await.status(), 200);
    mount_pages(
        &telnyx,
        &[
            vec![
                failed_delivery("d1", &call_initiated("rp-1", CUSTOMER, ACME_SALES, "incoming")),
                failed_delivery("d2", &message_received("rp-2", CUSTOMER, &[ACME_SUPPORT], &[], "hello")),
                failed_delivery("d3", &message_sent("rp-3", OTHER_MAIN, CUSTOMER)),
                failed_delivery("d4", &live),
            ],
            vec![
                failed_delivery("d5", &call_initiated("rp-5", CUSTOMER, "+19995550000", "incoming")),
                // Acknowledged: a call.bridged counts nothing.
                failed_delivery("d6", &call_event("rp-6", "call.bridged", CUSTOMER, ACME_SALES, "incoming")),
                // A webhook without its event id, and a record that is not a webhook_delivery.
                json!({"id": "d7", "status": "failed", "webhook": {"event_type": "message.received", "payload": {}}}),
                json!({"status": 12, "webhook": "nope"}),
            ],
        ],
    )
    .await;

    let window = last_hour();
    let (status, first, text) = replay(&app, Some(OPERATOR), window.clone()).await;

    assert_eq!(status, StatusCode::OK, "{text}");
    // pages, records, counted, duplicates, acknowledged, dead letters, failed
    assert_eq!(counts(&first), [2, 8, 3, 1, 1, 1, 2], "{first}");
    assert_eq!(first["complete"], true);
    assert_eq!(
        first["from"].as_str().map(|t| t.parse::<DateTime<Utc>>().unwrap()),
        window["from"].as_str().map(|t| t.parse().unwrap())
    );
    let failures = first["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2, "{first}");
    assert_eq!(failures[0]["delivery_id"], "d7");
    assert!(failures[0]["reason"].as_str().unwrap().contains("missing data.id"), "{first}");
    assert!(failures[1]["reason"].as_str().unwrap().contains("unreadable webhook_delivery record"), "{first}");
    let after_first = all_usage(&app, acme, other).await;
    assert_eq!(after_first[0].incoming_calls_count, 1);
    assert_eq!(after_first[0].sms_received_count, 1, "the live event counted once");
    assert_eq!(after_first[1].sms_received_count, 1);
    assert_eq!(after_first[2].sms_sent_count, 1);
    let dead = app.store.dead_letters(10).await.unwrap();
    assert_eq!(dead, vec![("rp-5".to_string(), "call.initiated".to_string(), "unknown_number".to_string())]);

    // The window Telnyx was asked for is the operator's, failed deliveries only, every page.
    let requests = telnyx.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        let q: std::collections::HashMap<String, String> = r.url.query_pairs().into_owned().collect();
        assert_eq!(q["filter[started_at][gte]"], window["from"].as_str().unwrap());
        assert_eq!(q["filter[started_at][lte]"], window["to"].as_str().unwrap());
        assert_eq!(q["page[size]"], "250");
    }

    // The same window again: nothing more is counted.
    let (status, second, text) = replay(&app, Some(OPERATOR), window).await;

    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(counts(&second), [2, 8, 0, 4, 1, 1, 2], "{second}");
    assert_eq!(all_usage(&app, acme, other).await, after_first);
    assert_eq!(app.store.dead_letters(10).await.unwrap().len(), 1);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(r#"switchboard_webhook_replays_total{trigger="operator",outcome="ok"}"#), "{metrics}");
    assert!(metrics.contains(r#"switchboard_webhook_replay_records_total{outcome="duplicate"}"#), "{metrics}");
}

#[actix_web::test]
async fn replay_is_for_the_operator_only() {
    let telnyx = MockServer::start().await;
    let app = app_with_telnyx(Db::Sqlite, &telnyx, |_| {}).await;
    let (acme, _) = seed(&app).await;
    let company_token = "sbt_company-token-for-replay-tests";
    let hash = switchboard::routes::auth::hash_token(company_token);
    let token = switchboard::store::NewToken {
        company: acme,
        name: "ci",
        token_hash: &hash,
        scopes: switchboard::domain::Scopes::DEFAULT,
        expires_at: None,
    };
    app.store.insert_token(&token).await.unwrap();

    let (no_token, _, _) = replay(&app, None, last_hour()).await;
    let (company, problem, _) = replay(&app, Some(company_token), last_hour()).await;

    assert_eq!(no_token, StatusCode::UNAUTHORIZED);
    assert_eq!(company, StatusCode::NOT_FOUND, "{problem}");
    assert!(telnyx.received_requests().await.unwrap().is_empty(), "Telnyx was asked for a refused replay");
}

#[actix_web::test]
async fn bad_windows_are_refused_naming_the_field() {
    let telnyx = MockServer::start().await;
    let app = app_with_telnyx(Db::Sqlite, &telnyx, |s| s.ledger.dedupe_retention_hours = 48).await;
    let now = Utc::now();
    let t = |h: i64| rfc3339(now - Duration::hours(h));
    let cases = [
        (json!({"from": t(1), "to": t(1)}), "to", "before"),
        (json!({"from": t(1), "to": t(2)}), "to", "before"),
        (json!({"from": t(47), "to": rfc3339(now + Duration::hours(200))}), "to", "7 days"),
        (json!({"from": t(49), "to": t(1)}), "from", "dedupe_retention_hours"),
        (json!({"from": "yesterday", "to": t(1)}), "from", "RFC 3339"),
        (json!({"from": t(2), "to": "2026-13-01T00:00:00Z"}), "to", "RFC 3339"),
        (json!({"from": t(2)}), "body", "to"),
        (json!({"from": t(2), "to": t(1), "extra": 1}), "body", "extra"),
    ];
    for (body, field, words) in cases {
        let (status, problem, text) = replay(&app, Some(OPERATOR), body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {text}");
        assert_eq!(problem["field"], field, "{body}: {text}");
        assert!(problem["detail"].as_str().unwrap().contains(words), "{body}: {text}");
    }
    assert!(telnyx.received_requests().await.unwrap().is_empty());
}

#[actix_web::test]
async fn without_an_api_key_the_replay_answers_503() {
    let telnyx = MockServer::start().await;
    let app = app_with_telnyx(Db::Sqlite, &telnyx, |s| s.telnyx.api_key = None).await;

    let (status, problem, text) = replay(&app, Some(OPERATOR), last_hour()).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{text}");
    assert!(problem["detail"].as_str().unwrap().contains("telnyx.api_key"), "{text}");
}

#[actix_web::test]
async fn telnyx_errors_answer_502_with_what_failed() {
    let telnyx = MockServer::start().await;
    let app = app_with_telnyx(Db::Sqlite, &telnyx, |_| {}).await;
    let (acme, _) = seed(&app).await;
    // Page 1 reads; page 2 is refused (the key was revoked meanwhile).
    Mock::given(method("GET"))
        .and(path("/webhook_deliveries"))
        .and(query_param("page[number]", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [failed_delivery("d1", &call_initiated("te-1", CUSTOMER, ACME_SALES, "incoming"))],
            "meta": {"page_number": 1, "page_size": 250, "total_pages": 2, "total_results": 2}
        })))
        .mount(&telnyx)
        .await;
    Mock::given(method("GET"))
        .and(path("/webhook_deliveries"))
        .and(query_param("page[number]", "2"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "errors": [{"code": "10009", "title": "Authentication failed", "detail": "The API key is not valid."}]
        })))
        .mount(&telnyx)
        .await;

    let (status, problem, text) = replay(&app, Some(OPERATOR), last_hour()).await;

    assert_eq!(status, StatusCode::BAD_GATEWAY, "{text}");
    let detail = problem["detail"].as_str().unwrap();
    for words in ["page 2", "1 records ingested", "HTTP 401", "Authentication failed", "run it again"] {
        assert!(detail.contains(words), "{words:?} not in {detail}");
    }
    // What page 1 held is counted (and a rerun would not count it again).
    assert_eq!(usage(&app, acme, ACME_SALES).await.incoming_calls_count, 1);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(r#"switchboard_webhook_replays_total{trigger="operator",outcome="error"}"#), "{metrics}");
}

#[actix_web::test]
async fn the_cli_asks_the_daemon_and_prints_the_summary() {
    let telnyx = MockServer::start().await;
    let app = app_with_telnyx(Db::Sqlite, &telnyx, |_| {}).await;
    let (acme, _) = seed(&app).await;
    mount_pages(&telnyx, &[vec![failed_delivery("d1", &message_sent("cli-1", ACME_SALES, CUSTOMER))]]).await;
    let now = Utc::now();
    let cli = |from: String, to: String| {
        // tokio's Command: the app's ledger runs on this test's runtime, which must keep running.
        tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(["replay", "--from", &from, "--to", &to, "--url", &app.address])
            .env("SWITCHBOARD__ADMIN__OPERATOR_TOKEN", OPERATOR)
            .env("SWITCHBOARD__LOG__LEVEL", "warn")
            .output()
    };

    let ok = cli(rfc3339(now - Duration::hours(1)), rfc3339(now)).await.unwrap();
    let refused = cli(rfc3339(now), rfc3339(now - Duration::hours(1))).await.unwrap();

    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(ok.status.success(), "{stdout}{}", String::from_utf8_lossy(&ok.stderr));
    assert!(stdout.contains("pages 1, records 1"), "{stdout}");
    assert!(stdout.contains("counted 1, already counted 0"), "{stdout}");
    assert_eq!(usage(&app, acme, ACME_SALES).await.sms_sent_count, 1);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("HTTP 400") && stderr.contains("to: from must be before to"), "{stderr}");
}
