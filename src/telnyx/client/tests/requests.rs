//! What each operation puts on the wire (method, path, headers, body, query) and what it reads.
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{client, config, e164, API_KEY};
use crate::domain::Features;
use crate::telnyx::client::*;

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
}

#[tokio::test]
async fn telnyx_send_message_sends_bearer_json_and_single_to() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/messages"))
        .and(header("authorization", format!("Bearer {API_KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "from": "+14155550100",
            "to": "+12125550199",
            "text": "Hello",
            "media_urls": ["https://cdn.example.com/a.png"],
            "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
            "webhook_url": "https://sb.example.com/webhooks/telnyx?company=c1"
        })))
        .respond_with(ok(json!({
            "id": "40385f64-5717-4562-b3fc-2c963f66afa6", "record_type": "message",
            "to": [{"phone_number": "+12125550199", "status": "queued"}]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let sent = client(&server)
        .send_message(&SendMessageRequest {
            from: e164("+14155550100"),
            to: e164("+12125550199"),
            text: Some("Hello".into()),
            media_urls: vec![Url::parse("https://cdn.example.com/a.png").expect("url")],
            messaging_profile_id: "4001767e-ce0f-4cae-9d5f-0d5e636e7809".into(),
            webhook_url: Some(Url::parse("https://sb.example.com/webhooks/telnyx?company=c1").expect("url")),
        })
        .await
        .expect("sent");

    assert_eq!(sent.id, "40385f64-5717-4562-b3fc-2c963f66afa6");
}

#[tokio::test]
async fn telnyx_dial_and_call_commands() {
    let server = MockServer::start().await;
    let state = ClientState::encode("company=c1");
    let leg = LegState::Dial { company: crate::domain::CompanyId::new() }.client_state();
    Mock::given(method("POST"))
        .and(path("/v2/calls"))
        .and(body_json(json!({
            "connection_id": "1293384261075731499", "to": "+12125550199", "from": "+14155550100",
            "command_id": "cmd-dial", "client_state": state.as_str()
        })))
        .respond_with(ok(json!({
            "call_control_id": "v3:abc/def", "call_leg_id": "leg", "call_session_id": "sess",
            "is_alive": false, "record_type": "call"
        })))
        .expect(1)
        .mount(&server)
        .await;
    // The id's '/' must stay inside one path segment.
    for (action, body) in [
        ("answer", json!({"command_id": "cmd-a"})),
        (
            "transfer",
            json!({"to": "+13105550123", "from": "+12125550199", "timeout_secs": 20, "command_id": "cmd-t",
                "client_state": state.as_str(), "target_leg_client_state": leg.as_str()}),
        ),
        ("hangup", json!({"command_id": "cmd-h"})),
    ] {
        Mock::given(method("POST"))
            .and(path(format!("/v2/calls/v3:abc%2Fdef/actions/{action}").as_str()))
            .and(header("content-type", "application/json"))
            .and(body_json(body))
            .respond_with(ok(json!({"result": "ok"})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let c = client(&server);
    let cmd = |s: &str| s.parse::<CommandId>().expect("command id");

    let call = c
        .dial(&DialRequest {
            connection_id: "1293384261075731499".into(),
            to: e164("+12125550199"),
            from: e164("+14155550100"),
            command_id: Some(cmd("cmd-dial")),
            client_state: Some(state.clone()),
        })
        .await
        .expect("dial");
    assert_eq!((call.call_leg_id.as_str(), call.call_session_id.as_str()), ("leg", "sess"));
    let id = call.call_control_id.as_str();
    c.answer(id, &AnswerRequest { command_id: cmd("cmd-a"), client_state: None }).await.expect("answer");
    let mut transfer = TransferRequest::new("+13105550123", cmd("cmd-t"));
    transfer.from = Some(e164("+12125550199"));
    transfer.timeout_secs = Some(RingTimeout::from_secs(20).expect("timeout"));
    transfer.client_state = Some(state);
    transfer.target_leg_client_state = Some(leg);
    c.transfer(id, &transfer).await.expect("transfer");
    c.hangup(id, &HangupRequest { command_id: cmd("cmd-h"), client_state: None }).await.expect("hangup");
}

#[tokio::test]
async fn telnyx_creates_profile_and_application_with_webhook_api_v2() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/messaging_profiles"))
        .and(body_json(json!({
            "name": "acme", "whitelisted_destinations": ["US", "CA"],
            "webhook_url": "https://sb.example.com/webhooks/telnyx?company=c1",
            "webhook_api_version": "2"
        })))
        .respond_with(ok(json!({"id": "prof-1", "record_type": "messaging_profile"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/call_control_applications"))
        .and(body_json(json!({
            "application_name": "acme",
            "webhook_event_url": "https://sb.example.com/webhooks/telnyx?company=c1",
            "webhook_event_failover_url": "https://backup.example.com/hooks",
            "webhook_api_version": "2"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "1293384261075731499"}})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let hook = Url::parse("https://sb.example.com/webhooks/telnyx?company=c1").expect("url");

    let profile = c
        .create_messaging_profile(&NewMessagingProfile {
            name: "acme".into(),
            whitelisted_destinations: vec![CountryCode::US, CountryCode::CA],
            webhook_url: hook.clone(),
            webhook_failover_url: None,
        })
        .await
        .expect("profile");
    let app = c
        .create_call_control_application(&NewCallControlApplication {
            application_name: "acme".into(),
            webhook_event_url: hook,
            webhook_event_failover_url: Some(Url::parse("https://backup.example.com/hooks").expect("url")),
        })
        .await
        .expect("application");

    assert_eq!((profile.as_str(), app.as_str()), ("prof-1", "1293384261075731499"));
}

#[tokio::test]
async fn telnyx_number_search_order_and_attach() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/available_phone_numbers"))
        .and(query_param("filter[country_code]", "US"))
        .and(query_param("filter[national_destination_code]", "415"))
        .and(query_param("filter[best_effort]", "false"))
        .and(query_param("filter[features]", "sms,mms,voice"))
        .and(query_param("filter[limit]", "2"))
        .respond_with(ok(json!([
            {"phone_number": "+14155550100", "features": [{"name": "sms"}, {"name": "mms"}, {"name": "voice"}],
                "best_effort": false},
            {"phone_number": "+16505550100", "features": [{"name": "sms"}], "best_effort": true},
            {"phone_number": "+16505550101", "features": [{"name": "sms"}]}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let order = json!({"id": "ord-1", "status": "pending", "customer_reference": "job-7",
        "phone_numbers": [{"id": "line-1", "phone_number": "+14155550100", "status": "pending"}]});
    Mock::given(method("POST"))
        .and(path("/v2/number_orders"))
        .and(body_json(json!({
            "phone_numbers": [{"phone_number": "+14155550100"}],
            "connection_id": "app-1", "messaging_profile_id": "prof-1", "customer_reference": "job-7"
        })))
        .respond_with(ok(order.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders/ord-1"))
        .respond_with(ok(order))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/phone_numbers"))
        .and(query_param("filter[phone_number]", "14155550100"))
        .and(query_param("page[size]", "1"))
        .respond_with(ok(json!([{"id": "1293384261075731499", "phone_number": "+14155550100",
            "status": "active", "connection_id": null, "messaging_profile_id": "prof-1"}])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/phone_numbers/1293384261075731499/messaging"))
        .and(body_json(json!({"messaging_profile_id": "prof-1"})))
        .respond_with(ok(json!({"id": "1293384261075731499"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v2/phone_numbers/1293384261075731499"))
        .and(body_json(json!({"connection_id": "app-1"})))
        .respond_with(ok(json!({"id": "1293384261075731499"})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);

    let found = c
        .search_available_numbers(&AvailableNumberSearch {
            country_code: CountryCode::US,
            national_destination_code: Some("415".into()),
            features: Features::ALL,
            limit: Some(2),
        })
        .await
        .expect("search");
    assert_eq!(found.len(), 1, "best-effort and other-area numbers dropped: {found:?}");
    assert_eq!(found[0].features, Features::ALL);
    let placed = c
        .create_number_order(&NumberOrderRequest {
            phone_numbers: vec![found[0].phone_number.clone()],
            connection_id: Some("app-1".into()),
            messaging_profile_id: Some("prof-1".into()),
            customer_reference: Some("job-7".into()),
        })
        .await
        .expect("order");
    let polled = c.get_number_order(&placed.id).await.expect("get order");
    assert_eq!(polled.status, OrderStatus::Pending);
    assert_eq!(polled.phone_numbers[0].phone_number, e164("+14155550100"));
    let owned = c
        .list_phone_numbers(&PhoneNumberFilter {
            phone_number: Some(e164("+14155550100")),
            page_number: None,
            page_size: Some(1),
        })
        .await
        .expect("list");
    assert_eq!(owned[0].connection_id, None);
    c.update_number_messaging(&owned[0].id, "prof-1").await.expect("messaging");
    c.update_number_connection(&owned[0].id, "app-1").await.expect("connection");
}

#[tokio::test]
async fn telnyx_lists_failed_webhook_deliveries_in_a_window() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/webhook_deliveries"))
        .and(query_param("filter[status][eq]", "failed"))
        .and(query_param("filter[started_at][gte]", "2024-05-01T10:00:00Z"))
        .and(query_param("filter[started_at][lte]", "2024-05-01T11:00:00Z"))
        .respond_with(ok(json!([{"id": "d1", "status": "failed", "record_type": "webhook_delivery",
            "webhook": {"event_type": "message.received", "id": "e1", "payload": {"id": "m1"}}}])))
        .expect(1)
        .mount(&server)
        .await;
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).expect("time").to_utc();
    let filter = WebhookDeliveryFilter::failed_between(t("2024-05-01T10:00:00Z"), t("2024-05-01T11:00:00Z"));

    let page = client(&server).list_webhook_deliveries(&filter).await.expect("deliveries");

    assert_eq!(page.data.len(), 1);
    let DeliveryRecord::Parsed(delivery) = &page.data[0] else { panic!("{:?}", page.data[0]) };
    assert_eq!(delivery.status, WebhookDeliveryStatus::Failed);
    assert_eq!(delivery.webhook["event_type"], "message.received");
}

#[tokio::test]
async fn telnyx_base_url_without_path_prefix() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/number_orders/o%201"))
        .respond_with(ok(json!({"id": "o 1", "status": "success"})))
        .expect(1)
        .mount(&server)
        .await;
    let mut cfg = config(&server);
    cfg.base_url = Url::parse(&server.uri()).expect("url");

    let order = TelnyxClient::new(cfg).expect("client").get_number_order("o 1").await.expect("order");

    assert_eq!(order.status, OrderStatus::Success);
}

#[tokio::test]
async fn telnyx_debug_output_never_shows_the_key() {
    let server = MockServer::start().await;
    let cfg = config(&server);
    let c = TelnyxClient::new(cfg.clone()).expect("client");

    let shown = format!("{cfg:?} {c:?} {cfg:#?} {c:#?}");

    assert!(!shown.contains(API_KEY), "{shown}");
    assert!(shown.contains("REDACTED"), "{shown}");
}

#[tokio::test]
async fn telnyx_decode_error_on_unexpected_success_body() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/number_orders/o1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>hello</html>"))
        .mount(&server)
        .await;

    let err = client(&server).get_number_order("o1").await.expect_err("decode error");

    assert!(matches!(err, TelnyxError::Decode { status: 200, .. }), "{err:?}");
}
