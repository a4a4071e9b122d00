//! Retry behaviour per policy: what is retried, what is surfaced, what is reported as ambiguous.
use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{client, config, e164};
use crate::telnyx::client::*;

fn order_request() -> NumberOrderRequest {
    NumberOrderRequest {
        phone_numbers: vec![e164("+14155550100")],
        connection_id: None,
        messaging_profile_id: None,
        customer_reference: Some("job-1".into()),
    }
}

fn message() -> SendMessageRequest {
    SendMessageRequest {
        from: e164("+14155550100"),
        to: e164("+12125550199"),
        text: Some("hi".into()),
        media_urls: vec![],
        messaging_profile_id: "prof-1".into(),
        webhook_url: None,
    }
}

fn order_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "ord-1", "status": "pending", "phone_numbers": []}}))
}

async fn received(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

#[tokio::test]
async fn telnyx_500_then_200_is_retried_for_safe_requests() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders/ord-1"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders/ord-1"))
        .respond_with(order_ok())
        .expect(1)
        .mount(&server)
        .await;

    let order = client(&server).get_number_order("ord-1").await.expect("retried");

    assert_eq!(order.id, "ord-1");
}

#[tokio::test]
async fn telnyx_call_command_retried_with_the_same_command_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/calls/v3:x/actions/hangup"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/calls/v3:x/actions/hangup"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"result": "ok"}})))
        .mount(&server)
        .await;
    let req = HangupRequest { command_id: CommandId::new(), client_state: None };

    client(&server).hangup("v3:x", &req).await.expect("retried");

    let bodies: Vec<Vec<u8>> =
        server.received_requests().await.unwrap_or_default().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 3);
    assert!(bodies.iter().all(|b| b == &bodies[0]), "same body (and command_id) every time");
}

#[tokio::test]
async fn telnyx_429_retry_after_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/messages"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"errors": [{"code": "10011", "title": "Too many requests"}]})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "m1"}})))
        .mount(&server)
        .await;
    let mut cfg = config(&server);
    cfg.max_backoff = Duration::from_secs(5);
    let c = TelnyxClient::new(cfg).expect("client");
    let started = Instant::now();

    let sent = c.send_message(&message()).await.expect("sent after waiting");

    assert_eq!(sent.id, "m1");
    assert_eq!(received(&server).await, 2);
    // A lower bound only: the backoff alone (1-20 ms) could never reach it.
    assert!(started.elapsed() >= Duration::from_secs(1), "waited {:?}", started.elapsed());
}

#[tokio::test]
async fn telnyx_429_exhausted_is_rate_limited() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders/ord-1"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after-ms", "5"))
        .expect(4)
        .mount(&server)
        .await;

    let err = client(&server).get_number_order("ord-1").await.expect_err("rate limited");

    assert!(
        matches!(err, TelnyxError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_millis(5)),
        "{err:?}"
    );
}

#[tokio::test]
async fn telnyx_422_is_not_retried_and_detail_is_surfaced() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/messages"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"errors": [{
            "code": "10015", "title": "Invalid parameter", "detail": "The 'to' number is not valid",
            "source": {"pointer": "/to"}
        }]})))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).send_message(&message()).await.expect_err("422");

    let TelnyxError::Api { status, errors, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*status, 422);
    assert_eq!(errors[0].code, "10015");
    assert_eq!(errors[0].source_pointer.as_deref(), Some("/to"));
    assert!(err.to_string().contains("The 'to' number is not valid (at /to)"), "{err}");
}

#[tokio::test]
async fn telnyx_order_timeout_is_ambiguous_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/number_orders"))
        .respond_with(order_ok().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let mut cfg = config(&server);
    cfg.request_timeout = Duration::from_millis(300);
    let c = TelnyxClient::new(cfg).expect("client");

    let err = c.create_number_order(&order_request()).await.expect_err("timeout");

    assert!(err.is_ambiguous(), "{err:?}");
    assert!(err.to_string().contains("reconcile"), "{err}");
    assert_eq!(received(&server).await, 1, "an order must not be re-sent blindly");
}

#[tokio::test]
async fn telnyx_order_500_is_ambiguous_but_503_with_retry_after_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/number_orders"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/number_orders"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/v2/number_orders")).respond_with(order_ok()).mount(&server).await;
    let c = client(&server);

    let err = c.create_number_order(&order_request()).await.expect_err("503 retried, then 500");
    assert!(err.is_ambiguous(), "{err:?}");
    assert_eq!(received(&server).await, 2);

    let order = c.create_number_order(&order_request()).await.expect("third mock answers");
    assert_eq!(order.id, "ord-1");
}

#[tokio::test]
async fn telnyx_safe_request_timeout_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders/ord-1"))
        .respond_with(order_ok().set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v2/number_orders/ord-1")).respond_with(order_ok()).mount(&server).await;
    let mut cfg = config(&server);
    cfg.request_timeout = Duration::from_millis(300);

    let order = TelnyxClient::new(cfg).expect("client").get_number_order("ord-1").await;

    assert_eq!(order.expect("retried after timeout").id, "ord-1");
}

#[tokio::test]
async fn telnyx_connection_refused_is_transport_not_ambiguous() {
    let server = MockServer::start().await;
    let mut cfg = config(&server);
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    cfg.base_url = url::Url::parse(&format!("http://127.0.0.1:{port}/v2")).expect("url");

    let err = TelnyxClient::new(cfg).expect("client").create_number_order(&order_request()).await;

    let err = err.expect_err("refused");
    assert!(matches!(err, TelnyxError::Transport { .. }), "{err:?}");
    assert!(!err.is_ambiguous());
}

fn dial_request(command_id: Option<CommandId>) -> DialRequest {
    DialRequest {
        connection_id: "1293384261075731499".into(),
        to: e164("+12125550199"),
        from: e164("+14155550100"),
        command_id,
        client_state: None,
    }
}

fn dialled() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"data": {
        "call_control_id": "v3:c", "call_leg_id": "l", "call_session_id": "s", "is_alive": false, "record_type": "call"
    }}))
}

/// The `command_id` of every request `server` received.
async fn command_ids(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).expect("json body");
            body["command_id"].as_str().expect("a command_id on every dial").to_owned()
        })
        .collect()
}

#[tokio::test]
async fn telnyx_dial_5xx_is_retried_with_the_same_command_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/calls"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/calls"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/v2/calls")).respond_with(dialled()).mount(&server).await;

    let call = client(&server).dial(&dial_request(Some("cmd-dial".parse().expect("id")))).await.expect("retried");

    assert_eq!(call.call_control_id, "v3:c");
    assert_eq!(command_ids(&server).await, ["cmd-dial"; 3]);
}

#[tokio::test]
async fn telnyx_dial_without_a_command_id_gets_one_kept_across_retries() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/calls"))
        .respond_with(dialled().set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/calls"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/v2/calls")).respond_with(dialled()).mount(&server).await;
    let mut cfg = config(&server);
    cfg.request_timeout = Duration::from_millis(300);

    TelnyxClient::new(cfg).expect("client").dial(&dial_request(None)).await.expect("retried after a timeout");

    let ids = command_ids(&server).await;
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| id == &ids[0]) && !ids[0].is_empty(), "{ids:?}");
}

#[tokio::test]
async fn telnyx_dial_failing_every_attempt_after_sending_is_ambiguous() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/v2/calls")).respond_with(ResponseTemplate::new(502)).mount(&server).await;

    let err = client(&server).dial(&dial_request(None)).await.expect_err("every attempt failed");

    assert!(err.is_ambiguous(), "a dial that may have rung must be reconciled: {err:?}");
    assert_eq!(received(&server).await, 4, "first attempt and 3 retries");
}

#[tokio::test]
async fn telnyx_dial_422_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/calls"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"errors": [{"code": "10015", "title": "Bad"}]})))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).dial(&dial_request(None)).await.expect_err("422");

    assert_eq!(err.status(), Some(422));
    assert!(!err.is_ambiguous());
}
