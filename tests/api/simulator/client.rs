//! Every method of switchboard's Telnyx client against the simulator, in one realistic flow: the
//! simulator's spec check must find nothing (the drop check fails the test otherwise), and the
//! state must follow. Also the validator's own teeth: a bad response or webhook is caught.
use chrono::Utc;
use serde_json::json;
use switchboard::domain::{Features, PhoneNumber};
use switchboard::telnyx::client::{
    AnswerRequest, AvailableNumberSearch, ClientState, CommandId, CountryCode, DeliveryRecord, DialRequest,
    HangupRequest, NewCallControlApplication, NewMessagingProfile, NumberOrderRequest, PhoneNumberFilter,
    SendMessageRequest, TransferRequest, WebhookDeliveryFilter,
};
use url::Url;

use super::client;
use super::receiver::Receiver;
use crate::telnyx_sim::{Spec, TelnyxSim};

fn e164(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).expect("e164")
}

#[actix_web::test]
async fn switchboards_client_makes_only_spec_valid_requests() {
    let sim = TelnyxSim::start().await;
    // Two call events first (the dialled leg's), then the inbound call's is refused.
    let hooks = Receiver::start(&[200, 200, 500]);
    let c = client(&sim);
    let hook = Url::parse(&hooks.url).expect("url");
    let profile = c
        .create_messaging_profile(&NewMessagingProfile {
            name: "acme".into(),
            whitelisted_destinations: vec![CountryCode::US],
            webhook_url: hook.clone(),
            webhook_failover_url: None,
        })
        .await
        .expect("profile");
    let app = c
        .create_call_control_application(&NewCallControlApplication {
            application_name: "acme".into(),
            webhook_event_url: hook.clone(),
            webhook_event_failover_url: None,
        })
        .await
        .expect("application");
    sim.add_available_numbers("US", "415", 2);
    let search = AvailableNumberSearch {
        country_code: CountryCode::US,
        national_destination_code: Some("415".into()),
        features: Features::ALL,
        limit: Some(5),
    };
    let number = c.search_available_numbers(&search).await.expect("search").remove(0).phone_number;
    let order = NumberOrderRequest {
        phone_numbers: vec![number.clone()],
        connection_id: Some(app.clone()),
        messaging_profile_id: Some(profile.clone()),
        customer_reference: Some("job-1".into()),
    };
    let order = c.create_number_order(&order).await.expect("order");
    c.get_number_order(&order.id).await.expect("get order");
    let filter = PhoneNumberFilter { phone_number: Some(number.clone()), page_number: Some(1), page_size: Some(1) };
    let found = c.list_phone_numbers(&filter).await.expect("list");
    // The spec: "Non-numerical characters will result in no values being returned": the client
    // sends the digits, so it finds the number it bought.
    assert_eq!(found.iter().map(|n| n.phone_number.as_str()).collect::<Vec<_>>(), vec![number.as_str()]);
    let id = sim.owned_numbers()[0].id.clone();
    c.update_number_messaging(&id, &profile).await.expect("messaging");
    c.update_number_connection(&id, &app).await.expect("connection");

    let sms = SendMessageRequest {
        from: number.clone(),
        to: e164("+12125550199"),
        text: Some("Hello".into()),
        media_urls: vec![Url::parse("https://cdn.example.com/cat.png").expect("url")],
        messaging_profile_id: profile,
        webhook_url: Some(hook),
    };
    let sent = c.send_message(&sms).await.expect("send");
    assert_eq!(sim.messages()[0].id, sent.id);

    let state = ClientState::encode("company=c1");
    let dial = DialRequest {
        connection_id: app,
        to: e164("+12125550199"),
        from: number.clone(),
        command_id: Some(CommandId::new()),
        client_state: Some(state.clone()),
    };
    let out = c.dial(&dial).await.expect("dial");
    sim.wait_outgoing_leg(|l| l.call_control_id == out.call_control_id).await;
    sim.answer_leg(&out.call_control_id).await;
    let inbound = sim.inbound_call("+12125550100", number.as_str()).await;
    assert_eq!(inbound.delivery.status, Some(500), "the receiver refused the first webhook");
    let ccid = inbound.call_control_id;
    c.answer(&ccid, &AnswerRequest { command_id: CommandId::new(), client_state: Some(state.clone()) })
        .await
        .expect("answer");
    let transfer = TransferRequest::new("sip:desk@example.com", CommandId::new());
    c.transfer(&ccid, &transfer).await.expect("transfer");
    c.hangup(&ccid, &HangupRequest { command_id: CommandId::new(), client_state: None }).await.expect("hangup");

    let failed = WebhookDeliveryFilter::failed_between(Utc::now() - chrono::Duration::minutes(5), Utc::now());
    let page = c.list_webhook_deliveries(&failed).await.expect("deliveries");
    let events: Vec<String> = page
        .data
        .iter()
        .map(|r| match r {
            DeliveryRecord::Parsed(d) => d.webhook["event_type"].as_str().unwrap_or_default().to_owned(),
            DeliveryRecord::Malformed { reason, .. } => panic!("malformed record: {reason}"),
        })
        .collect();
    assert_eq!(events, ["call.initiated"], "only the refused delivery is listed as failed");
    sim.assert_no_violations();
}

#[actix_web::test]
async fn the_validator_catches_bad_responses_and_webhooks() {
    let Some(spec) = Spec::global() else { return };
    let ok = json!({ "data": { "event_type": "call.initiated", "id": "e", "payload": { "direction": "incoming" } } });
    assert!(spec.check_webhook("call.initiated", &ok).is_empty());
    let bad = json!({ "data": { "event_type": "call.initiated", "id": "e", "payload": { "direction": "sideways" } } });
    assert!(!spec.check_webhook("call.initiated", &bad).is_empty());
    let (op, _) = spec.find("POST", "/messages").expect("operation");
    assert!(spec.check_response(op, 200, &json!({ "data": { "direction": "outbound" } })).is_empty());
    assert!(!spec.check_response(op, 200, &json!({ "data": { "direction": "inbound" } })).is_empty());
    let (op, params) = spec.find("POST", "/calls/v3:abc/actions/answer").expect("operation");
    assert_eq!((op.template.as_str(), params[0].1.as_str()), ("/calls/{call_control_id}/actions/answer", "v3:abc"));
}
