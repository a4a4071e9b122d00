//! Messages: queued on send, then message.sent and message.finalized with per-recipient status
//! and error codes at the profile's webhook URL; inbound messages.
use switchboard::domain::PhoneNumber;
use switchboard::telnyx::client::{CountryCode, NewMessagingProfile, SendMessageRequest};
use url::Url;

use super::client;
use super::receiver::Receiver;
use crate::telnyx_sim::{MessageOutcome, TelnyxSim};

#[actix_web::test]
async fn sent_messages_get_status_webhooks_at_the_profile_url() {
    let sim = TelnyxSim::start().await;
    let profile_hooks = Receiver::start(&[]);
    let telnyx = client(&sim);
    let profile = NewMessagingProfile {
        name: "acme".into(),
        whitelisted_destinations: vec![CountryCode::US],
        webhook_url: Url::parse(&profile_hooks.url).expect("url"),
        webhook_failover_url: None,
    };
    let profile_id = telnyx.create_messaging_profile(&profile).await.expect("profile");
    let e164 = |s: &str| PhoneNumber::parse(s).expect("e164");
    let send = |to: &str| SendMessageRequest {
        from: e164("+14155550001"),
        to: e164(to),
        text: Some("hello".into()),
        media_urls: vec![],
        messaging_profile_id: profile_id.clone(),
        webhook_url: None,
    };
    let sent = telnyx.send_message(&send("+12125550100")).await.expect("send");
    let queued = sim.requests_to("POST /messages");
    assert_eq!(queued.len(), 1);
    assert_eq!(sim.messages()[0].status, "queued");

    let d = sim.message_sent(&sent.id).await;
    assert_eq!((d.url.as_str(), d.status), (profile_hooks.url.as_str(), Some(200)));
    assert_eq!(d.payload()["id"], sent.id.as_str());
    assert_eq!(d.payload()["to"][0]["status"], "sent");

    let d = sim.message_finalized(&sent.id, MessageOutcome::DeliveryFailed(40003)).await;
    assert_eq!(d.event_type, "message.finalized");
    assert_eq!(d.payload()["to"][0]["status"], "delivery_failed");
    assert_eq!(d.payload()["errors"][0]["code"], "40003");

    let other = telnyx.send_message(&send("+12125550101")).await.expect("send");
    let d = sim.message_finalized(&other.id, MessageOutcome::SendingFailed(40011)).await;
    assert_eq!(
        (d.payload()["to"][0]["status"].as_str(), d.payload()["errors"][0]["code"].as_str()),
        (Some("sending_failed"), Some("40011"))
    );

    // Automatic outcome: both events follow the send by themselves.
    sim.set_message_outcome(Some(MessageOutcome::Delivered));
    let third = telnyx.send_message(&send("+12125550102")).await.expect("send");
    let done =
        sim.wait_for_webhook(|d| d.event_type == "message.finalized" && d.payload()["id"] == third.id.as_str()).await;
    assert_eq!(done.payload()["to"][0]["status"], "delivered");
    assert_eq!(profile_hooks.received().len(), 5);
}

#[actix_web::test]
async fn inbound_messages_reach_the_numbers_profile_or_the_default_url() {
    let sim = TelnyxSim::start().await;
    let default = Receiver::start(&[]);
    sim.set_webhook_url(&default.url);
    let d = sim.inbound_message("+12125550100", "+14155550001", "hi there", &["https://media.example.com/a.jpg"]).await;
    assert_eq!((d.url.as_str(), d.status), (default.url.as_str(), Some(200)));
    let p = d.payload();
    assert_eq!((p["direction"].as_str(), p["type"].as_str()), (Some("inbound"), Some("MMS")));
    assert_eq!(p["from"]["phone_number"], "+12125550100");
    assert_eq!(p["to"][0]["phone_number"], "+14155550001");
    assert_eq!(p["media"][0]["url"], "https://media.example.com/a.jpg");
    assert_eq!(default.received().len(), 1);
}
