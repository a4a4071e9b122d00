//! Contract suite: every Telnyx client method against Prism serving the real OpenAPI spec with
//! request validation on. Any request the spec rejects makes Prism answer 422 with the reason in
//! its `sl-violations` header, which the client turns into the error's details.
//!
//! Runs when `TELNYX_OPENAPI_SPEC` points at the spec (e.g. ../shared/telnyx/openapi-spec3.yml);
//! Prism comes from ./node_modules (installed by scripts/install-prism.sh if missing), see
//! tests/common/prism.rs.
#[path = "common/prism.rs"]
mod prism;

use std::time::Duration;

use prism::{spec_from_env, Prism};
use secrecy::SecretString;
use switchboard::domain::{CompanyId, Features, PhoneNumber};
use switchboard::telnyx::client::*;
use url::Url;

fn e164(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).expect("e164")
}

/// Collects failures so one run reports every invalid request, not just the first.
#[derive(Default)]
struct Report {
    failures: Vec<String>,
    checked: usize,
}

impl Report {
    fn check<T>(&mut self, operation: &str, result: Result<T, TelnyxError>) -> Option<T> {
        self.checked += 1;
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.failures.push(format!("{operation}: {e}"));
                None
            }
        }
    }
}

#[tokio::test]
async fn telnyx_client_requests_match_the_openapi_spec() {
    let Some(spec) = spec_from_env("telnyx contract suite") else {
        return;
    };
    let mut prism = Prism::start(&spec);
    prism.wait_ready().await;
    let client = TelnyxClient::new(TelnyxClientConfig {
        base_url: prism.base_url(),
        api_key: SecretString::from("KEYcontract_test"),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
        max_retries: 0,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
    })
    .expect("client");

    let offset = prism.log_len();
    let report = exercise_every_method(&client).await;

    assert!(
        report.failures.is_empty(),
        "{} of {} Telnyx calls were rejected by the spec:\n{}\n--- prism log ---\n{}",
        report.failures.len(),
        report.checked,
        report.failures.join("\n"),
        prism.log_tail()
    );
    // Also from Prism's side: every request it logged passed validation.
    let logged = prism.exchanges_since(offset, report.checked).await;
    let invalid: Vec<_> = logged.iter().filter(|e| !e.violations.is_empty() || e.status.is_none()).collect();
    assert!(invalid.is_empty(), "prism logged invalid requests: {invalid:#?}");
    assert_eq!(logged.len(), report.checked, "one logged request per call: {logged:#?}");
    eprintln!("telnyx contract suite: {} calls valid against the spec", report.checked);
}

async fn exercise_every_method(c: &TelnyxClient) -> Report {
    let mut r = Report::default();
    let hook = Url::parse("https://switchboard.example.com/webhooks/telnyx?company=c1").expect("url");
    let failover = Url::parse("https://backup.example.com/webhooks/telnyx").expect("url");

    let profile = r.check(
        "create_messaging_profile",
        c.create_messaging_profile(&NewMessagingProfile {
            name: "acme".into(),
            whitelisted_destinations: vec![CountryCode::US, CountryCode::CA],
            webhook_url: hook.clone(),
            webhook_failover_url: Some(failover.clone()),
        })
        .await,
    );
    let profile = profile.unwrap_or_else(|| "4001767e-ce0f-4cae-9d5f-0d5e636e7809".into());
    let app = r.check(
        "create_call_control_application",
        c.create_call_control_application(&NewCallControlApplication {
            application_name: "acme".into(),
            webhook_event_url: hook.clone(),
            webhook_event_failover_url: Some(failover),
        })
        .await,
    );
    let app = app.unwrap_or_else(|| "1293384261075731499".into());
    r.check("find_messaging_profiles", c.find_messaging_profiles("switchboard acme").await);

    let voice = r.check(
        "create_outbound_voice_profile",
        c.create_outbound_voice_profile(&NewOutboundVoiceProfile {
            name: "switchboard acme".into(),
            whitelisted_destinations: vec![CountryCode::US, CountryCode::CA],
        })
        .await,
    );
    let voice = voice.unwrap_or_else(|| "1293384261075731499".into());
    r.check("find_outbound_voice_profiles", c.find_outbound_voice_profiles("switchboard acme").await);
    let application = NewCallControlApplication {
        application_name: "switchboard acme".into(),
        webhook_event_url: hook.clone(),
        webhook_event_failover_url: None,
    };
    r.check(
        "create_call_control_application_with_profile",
        c.create_call_control_application_with_profile(&application, Some(&voice)).await,
    );
    r.check(
        "update_call_control_application",
        c.update_call_control_application(&app, &application, Some(&voice)).await,
    );
    r.check("find_call_control_applications", c.find_call_control_applications("switchboard acme").await);

    let search = AvailableNumberSearch {
        country_code: CountryCode::US,
        national_destination_code: Some("415".into()),
        features: Features::ALL,
        limit: Some(5),
    };
    let found = r.check("search_available_numbers", c.search_available_numbers(&search).await);
    let number = found.and_then(|v| v.into_iter().next()).map_or_else(|| e164("+14155550100"), |n| n.phone_number);
    let order = r.check(
        "create_number_order",
        c.create_number_order(&NumberOrderRequest {
            phone_numbers: vec![number.clone()],
            connection_id: Some(app.clone()),
            messaging_profile_id: Some(profile.clone()),
            customer_reference: Some("job-1".into()),
        })
        .await,
    );
    let order_id = order.map_or_else(|| "12ade33a-21c0-473b-b055-b3c836e1c292".into(), |o| o.id);
    r.check("get_number_order", c.get_number_order(&order_id).await);
    let filter = PhoneNumberFilter { phone_number: Some(number), page_number: Some(1), page_size: Some(1) };
    let owned = r.check("list_phone_numbers", c.list_phone_numbers(&filter).await);
    let number_id = owned.and_then(|v| v.into_iter().next()).map_or_else(|| "1293384261075731499".into(), |n| n.id);
    r.check("update_number_messaging", c.update_number_messaging(&number_id, &profile).await);
    r.check("update_number_connection", c.update_number_connection(&number_id, &app).await);

    let sms = SendMessageRequest {
        from: e164("+14155550100"),
        to: e164("+12125550199"),
        text: Some("Hello from switchboard".into()),
        media_urls: vec![],
        messaging_profile_id: profile.clone(),
        webhook_url: None,
    };
    r.check("send_message (sms)", c.send_message(&sms).await);
    let mms = SendMessageRequest {
        media_urls: vec![Url::parse("https://cdn.example.com/cat.png").expect("url")],
        webhook_url: Some(hook),
        ..sms
    };
    r.check("send_message (mms)", c.send_message(&mms).await);

    let state = ClientState::encode("company=c1;direction=outbound");
    let call = r.check(
        "dial",
        c.dial(&DialRequest {
            connection_id: app.clone(),
            to: e164("+12125550199"),
            from: e164("+14155550100"),
            command_id: Some(CommandId::new()),
            client_state: Some(state.clone()),
        })
        .await,
    );
    let without_id = DialRequest {
        connection_id: app.clone(),
        to: e164("+12125550199"),
        from: e164("+14155550100"),
        command_id: None,
        client_state: None,
    };
    r.check("dial (command_id made by the client)", c.dial(&without_id).await);
    let id = call.map_or_else(|| "v3:contract-call".into(), |c| c.call_control_id);
    let answer = AnswerRequest { command_id: CommandId::new(), client_state: None };
    r.check("answer", c.answer(&id, &answer).await);
    let transfer =
        TransferRequest { client_state: Some(state), ..TransferRequest::new("+13105550123", CommandId::new()) };
    r.check("transfer", c.transfer(&id, &transfer).await);
    let leg = LegState::Transfer {
        company: CompanyId::new(),
        event_id: "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0".into(),
        step: 1,
    };
    let full = TransferRequest {
        from: Some(e164("+12125550199")),
        timeout_secs: Some(RingTimeout::from_secs(25).expect("timeout")),
        client_state: Some(leg.client_state()),
        target_leg_client_state: Some(leg.client_state()),
        ..TransferRequest::new("sip:frontdesk@acme.sip.telnyx.com", CommandId::new())
    };
    r.check("transfer (caller id, timeout, leg state)", c.transfer(&id, &full).await);
    let hangup = HangupRequest { command_id: CommandId::new(), client_state: None };
    r.check("hangup", c.hangup(&id, &hangup).await);

    let now = chrono::Utc::now();
    let mut deliveries = WebhookDeliveryFilter::failed_between(now - chrono::Duration::hours(1), now);
    deliveries.page_size = Some(250);
    r.check("list_webhook_deliveries", c.list_webhook_deliveries(&deliveries).await);
    r
}
