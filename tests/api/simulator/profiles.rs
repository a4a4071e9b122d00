//! Messaging profiles, outbound voice profiles and Call Control applications keep what was sent.
use reqwest::Method;
use serde_json::json;
use switchboard::telnyx::client::{CountryCode, NewCallControlApplication, NewMessagingProfile};
use url::Url;

use super::{client, raw};
use crate::telnyx_sim::{ProfileKind, TelnyxSim};

#[actix_web::test]
async fn profiles_and_applications_store_what_was_sent() {
    let sim = TelnyxSim::start().await;
    let telnyx = client(&sim);
    let url = |s: &str| Url::parse(s).expect("url");
    let profile = NewMessagingProfile {
        name: "acme".into(),
        whitelisted_destinations: vec![CountryCode::US, CountryCode::CA],
        webhook_url: url("https://sb.example.com/webhooks/telnyx?company=1"),
        webhook_failover_url: Some(url("https://failover.example.com/webhooks/telnyx?company=1")),
    };
    let profile_id = telnyx.create_messaging_profile(&profile).await.expect("profile");
    let stored = sim.profiles(ProfileKind::MessagingProfile);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["id"], profile_id.as_str());
    assert_eq!(stored[0]["webhook_url"], "https://sb.example.com/webhooks/telnyx?company=1");
    assert_eq!(stored[0]["webhook_failover_url"], "https://failover.example.com/webhooks/telnyx?company=1");
    assert_eq!(stored[0]["whitelisted_destinations"], json!(["US", "CA"]));
    assert_eq!(stored[0]["webhook_api_version"], "2");

    let app = NewCallControlApplication {
        application_name: "acme-calls".into(),
        webhook_event_url: url("https://sb.example.com/webhooks/telnyx"),
        webhook_event_failover_url: Some(url("https://failover.example.com/webhooks/telnyx")),
    };
    let app_id = telnyx.create_call_control_application(&app).await.expect("application");
    let (status, voice) =
        raw(&sim, Method::POST, "outbound_voice_profiles", Some(json!({ "name": "acme-voice" }))).await;
    assert_eq!(status, 200);
    let ovp = voice["data"]["id"].as_str().expect("ovp id").to_owned();
    // The spec's update body requires the name and the event URL again.
    let patch = json!({ "application_name": "acme-calls", "webhook_event_url": "https://sb.example.com/webhooks/telnyx",
                        "outbound": { "outbound_voice_profile_id": ovp } });
    let (status, _) = raw(&sim, Method::PATCH, &format!("call_control_applications/{app_id}"), Some(patch)).await;
    assert_eq!(status, 200);
    let apps = sim.profiles(ProfileKind::CallControlApplication);
    assert_eq!(apps[0]["webhook_event_url"], "https://sb.example.com/webhooks/telnyx");
    assert_eq!(apps[0]["webhook_event_failover_url"], "https://failover.example.com/webhooks/telnyx");
    assert_eq!(apps[0]["webhook_api_version"], "2");
    assert_eq!(apps[0]["outbound"]["outbound_voice_profile_id"], ovp.as_str());

    // Lists filter by name.
    telnyx
        .create_messaging_profile(&NewMessagingProfile { name: "other".into(), ..profile })
        .await
        .expect("second profile");
    let (_, listed) = raw(&sim, Method::GET, "messaging_profiles?filter[name]=acme", None).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["meta"]["total_results"], 1);
    let (_, apps) =
        raw(&sim, Method::GET, "call_control_applications?filter[application_name][contains]=ACME", None).await;
    assert_eq!(apps["data"][0]["id"], app_id.as_str());
    let (_, voices) = raw(&sim, Method::GET, "outbound_voice_profiles?filter[name][contains]=voice", None).await;
    assert_eq!(voices["data"][0]["name"], "acme-voice");
}
