//! Outbound voice profiles, messaging profiles and Call Control applications: creates, updates
//! and lookups by name, with the exact path, query and body each sends.
use serde_json::json;
use url::Url;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::client;
use crate::telnyx::client::*;

fn ok(data: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("url")
}

fn app() -> NewCallControlApplication {
    NewCallControlApplication {
        application_name: "switchboard acme".into(),
        webhook_event_url: url("https://sb.example.com/webhooks/telnyx?company=c1"),
        webhook_event_failover_url: Some(url("https://failover.example.com/webhooks/telnyx?company=c1")),
    }
}

/// The decoded query of the one request `server` received.
async fn only_query(server: &MockServer) -> Vec<(String, String)> {
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests[0].url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[tokio::test]
async fn telnyx_creates_an_outbound_voice_profile() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/outbound_voice_profiles"))
        .and(body_json(json!({
            "name": "switchboard acme", "whitelisted_destinations": ["US", "CA"],
            "traffic_type": "conversational", "service_plan": "global",
            "usage_payment_method": "rate-deck", "enabled": true
        })))
        .respond_with(ok(json!({"id": "1293384261075731499", "name": "switchboard acme",
            "record_type": "outbound_voice_profile"})))
        .expect(1)
        .mount(&server)
        .await;
    let profile = NewOutboundVoiceProfile {
        name: "switchboard acme".into(),
        whitelisted_destinations: vec![CountryCode::US, CountryCode::CA],
    };

    let id = client(&server).create_outbound_voice_profile(&profile).await.expect("created");

    assert_eq!(id, "1293384261075731499");
}

#[tokio::test]
async fn telnyx_finds_outbound_voice_profiles_by_exact_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/outbound_voice_profiles"))
        .respond_with(ok(json!([
            {"id": "1", "name": "switchboard acme"},
            {"id": "2", "name": "switchboard acme (old)"}
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let found = client(&server).find_outbound_voice_profiles("switchboard acme").await.expect("found");

    assert_eq!(found, vec![OutboundVoiceProfile { id: "1".into(), name: "switchboard acme".into() }]);
    assert_eq!(
        only_query(&server).await,
        pairs(&[("filter[name][contains]", "switchboard acme"), ("page[size]", "250")])
    );
}

#[tokio::test]
async fn telnyx_finds_messaging_profiles_by_exact_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/messaging_profiles"))
        .respond_with(ok(json!([
            {"id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809", "name": "switchboard acme", "enabled": true},
            {"id": "other", "name": "Switchboard Acme"}
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let found = client(&server).find_messaging_profiles("switchboard acme").await.expect("found");

    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "4001767e-ce0f-4cae-9d5f-0d5e636e7809");
    assert_eq!(only_query(&server).await, pairs(&[("filter[name][eq]", "switchboard acme"), ("page[size]", "250")]));
}

#[tokio::test]
async fn telnyx_finds_call_control_applications_by_exact_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/call_control_applications"))
        .respond_with(ok(json!([
            {"id": "11", "application_name": "switchboard acme", "outbound": {"outbound_voice_profile_id": "7"}},
            {"id": "12", "application_name": "switchboard acme 2", "outbound": null}
        ])))
        .expect(1)
        .mount(&server)
        .await;

    let found = client(&server).find_call_control_applications("switchboard acme").await.expect("found");

    let want = CallControlApplication {
        id: "11".into(),
        application_name: "switchboard acme".into(),
        outbound_voice_profile_id: Some("7".into()),
    };
    assert_eq!(found, vec![want]);
    assert_eq!(
        only_query(&server).await,
        pairs(&[("filter[application_name][contains]", "switchboard acme"), ("page[size]", "250")])
    );
}

#[tokio::test]
async fn telnyx_creates_an_application_with_its_voice_profile_and_failover_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/call_control_applications"))
        .and(body_json(json!({
            "application_name": "switchboard acme",
            "webhook_event_url": "https://sb.example.com/webhooks/telnyx?company=c1",
            "webhook_event_failover_url": "https://failover.example.com/webhooks/telnyx?company=c1",
            "webhook_api_version": "2",
            "outbound": {"outbound_voice_profile_id": "1293384261075731499"}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "app-1"}})))
        .expect(1)
        .mount(&server)
        .await;

    let id = client(&server)
        .create_call_control_application_with_profile(&app(), Some("1293384261075731499"))
        .await
        .expect("created");

    assert_eq!(id, "app-1");
}

#[tokio::test]
async fn telnyx_updates_an_application_to_set_its_voice_profile() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path("/v2/call_control_applications/app-1"))
        .and(body_json(json!({
            "application_name": "switchboard acme",
            "webhook_event_url": "https://sb.example.com/webhooks/telnyx?company=c1",
            "webhook_event_failover_url": "https://failover.example.com/webhooks/telnyx?company=c1",
            "webhook_api_version": "2",
            "outbound": {"outbound_voice_profile_id": "7"}
        })))
        .respond_with(ok(json!({"id": "app-1", "application_name": "switchboard acme"})))
        .expect(1)
        .mount(&server)
        .await;

    client(&server).update_call_control_application("app-1", &app(), Some("7")).await.expect("updated");
}

#[tokio::test]
async fn telnyx_messaging_profile_carries_its_failover_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/messaging_profiles"))
        .and(body_json(json!({
            "name": "switchboard acme", "whitelisted_destinations": ["US"],
            "webhook_url": "https://sb.example.com/webhooks/telnyx?company=c1",
            "webhook_failover_url": "https://failover.example.com/webhooks/telnyx?company=c1",
            "webhook_api_version": "2"
        })))
        .respond_with(ok(json!({"id": "prof-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let profile = NewMessagingProfile {
        name: "switchboard acme".into(),
        whitelisted_destinations: vec![CountryCode::US],
        webhook_url: url("https://sb.example.com/webhooks/telnyx?company=c1"),
        webhook_failover_url: Some(url("https://failover.example.com/webhooks/telnyx?company=c1")),
    };

    assert_eq!(client(&server).create_messaging_profile(&profile).await.expect("created"), "prof-1");
}
