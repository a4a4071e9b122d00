//! Call control: parked calls refuse commands until answered, transfer creates leg B with the
//! transfer's client state, leg B answers (bridged) or ends with a cause, command_id dedupe,
//! commands on ended calls, dial.
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use switchboard::telnyx::client::{AnswerRequest, ClientState, CommandId, DialRequest, HangupRequest, TransferRequest};

use super::receiver::Receiver;
use super::{client, error_code, raw};
use crate::telnyx_sim::{HangupCause, LegState, TelnyxSim};

const CALLER: &str = "+12125550100";
const COMPANY: &str = "+14155550001";

async fn sim_with_receiver() -> (TelnyxSim, Receiver) {
    let sim = TelnyxSim::start().await;
    let receiver = Receiver::start(&[]);
    sim.set_webhook_url(&receiver.url);
    (sim, receiver)
}

fn answer(command_id: &str, state: Option<&[u8]>) -> AnswerRequest {
    AnswerRequest { command_id: command_id.parse().expect("id"), client_state: state.map(ClientState::encode) }
}

#[actix_web::test]
async fn parked_call_refuses_transfer_until_answered_then_leg_b_carries_the_target_state() {
    let (sim, _receiver) = sim_with_receiver().await;
    let telnyx = client(&sim);
    let a = sim.inbound_call(CALLER, COMPANY).await;
    assert_eq!(a.delivery.status, Some(200));
    let initiated = a.delivery.payload();
    assert_eq!((initiated["direction"].as_str(), initiated["state"].as_str()), (Some("incoming"), Some("parked")));

    // Parked: a transfer is refused the way Telnyx does.
    let refused = telnyx
        .transfer(&a.call_control_id, &TransferRequest::new("+13105550123", CommandId::new()))
        .await
        .expect_err("transfer before answer");
    assert_eq!(error_code(&refused), Some((422, "90034".into())));

    telnyx.answer(&a.call_control_id, &answer("ans-1", Some(b"a-state"))).await.expect("answer");
    let answered = sim.wait_for_webhook(|d| d.event_type == "call.answered").await;
    assert_eq!(answered.payload()["client_state"], ClientState::encode(b"a-state").as_str());

    // The client cannot send target_leg_client_state yet: a raw transfer does.
    let target_state = ClientState::encode(b"leg-b");
    let (status, _) = raw(
        &sim,
        Method::POST,
        &format!("calls/{}/actions/transfer", a.call_control_id),
        Some(json!({ "to": "+13105550123", "target_leg_client_state": target_state.as_str(), "command_id": "t-1" })),
    )
    .await;
    assert_eq!(status, 200);
    let b = sim.wait_transfer_leg(&a.call_control_id, 1).await;
    let b_init = b.delivery.payload();
    assert_eq!(b_init["direction"], "outgoing");
    assert_eq!(b_init["client_state"], target_state.as_str());
    assert_eq!(b.from, COMPANY, "a transfer without `from` presents the number originally called");
    assert_eq!(b.to, "+13105550123");
    assert_eq!(b.call_session_id, a.call_session_id);

    let events = sim.answer_leg(&b.call_control_id).await;
    let kinds: Vec<(&str, String)> = events
        .iter()
        .map(|d| (d.event_type.as_str(), d.payload()["call_control_id"].as_str().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("call.answered", b.call_control_id.clone()),
            ("call.bridged", a.call_control_id.clone()),
            ("call.bridged", b.call_control_id.clone())
        ]
    );
    assert_eq!(events[0].payload()["client_state"], target_state.as_str());
    assert!(events.iter().all(|d| d.status == Some(200)));
    assert_eq!(sim.leg(&a.call_control_id).map(|l| l.state), Some(LegState::Bridged(b.call_control_id.clone())));

    // Hanging up A ends B too.
    telnyx
        .hangup(&a.call_control_id, &HangupRequest { command_id: CommandId::new(), client_state: None })
        .await
        .expect("hangup");
    let b_end = sim
        .wait_for_webhook(|d| {
            d.event_type == "call.hangup" && d.payload()["call_control_id"] == b.call_control_id.as_str()
        })
        .await;
    assert_eq!(b_end.payload()["hangup_cause"], "normal_clearing");
}

#[actix_web::test]
async fn leg_b_ending_with_each_cause_leaves_leg_a_up_for_another_transfer() {
    let (sim, _receiver) = sim_with_receiver().await;
    let telnyx = client(&sim);
    let a = sim.inbound_call(CALLER, COMPANY).await;
    telnyx.answer(&a.call_control_id, &answer("ans", None)).await.expect("answer");
    let causes = [HangupCause::Timeout, HangupCause::UserBusy, HangupCause::NoAnswer, HangupCause::CallRejected];
    for (i, cause) in causes.into_iter().enumerate() {
        let transfer = TransferRequest::new(format!("+1310555010{i}"), CommandId::new());
        telnyx.transfer(&a.call_control_id, &transfer).await.expect("transfer on an answered call");
        let b = sim.wait_transfer_leg(&a.call_control_id, i + 1).await;
        assert_eq!(b.to, transfer.to);
        let ended = sim.hangup(&b.call_control_id, cause).await;
        assert_eq!(ended.len(), 1, "only leg B ends");
        assert_eq!(ended[0].payload()["hangup_cause"], cause.as_str());
        assert_eq!(ended[0].payload()["hangup_source"], "callee");
        assert_eq!(sim.leg(&a.call_control_id).map(|l| l.state), Some(LegState::Answered));
    }
    let a_leg = sim.leg(&a.call_control_id).expect("leg a");
    assert_eq!(a_leg.commands.iter().filter(|c| *c == "transfer").count(), 4);
}

#[actix_web::test]
async fn command_ids_dedupe_within_60_seconds_and_ended_calls_refuse_commands() {
    let (sim, _receiver) = sim_with_receiver().await;
    let telnyx = client(&sim);
    let a = sim.inbound_call(CALLER, COMPANY).await;
    let hangup = |id: &str| HangupRequest { command_id: id.parse().expect("id"), client_state: None };
    telnyx.hangup(&a.call_control_id, &hangup("h-1")).await.expect("hangup");
    // The same command id again: accepted, not executed (no second call.hangup).
    telnyx.hangup(&a.call_control_id, &hangup("h-1")).await.expect("deduplicated hangup");
    let ended = sim.wait_for_webhook(|d| d.event_type == "call.hangup").await;
    assert_eq!(ended.payload()["hangup_cause"], "normal_clearing");
    assert_eq!(sim.leg(&a.call_control_id).expect("leg").commands, ["hangup"]);

    // Another command id on the ended call: 422 90018.
    let refused = telnyx.hangup(&a.call_control_id, &hangup("h-2")).await.expect_err("ended");
    assert_eq!(error_code(&refused), Some((422, "90018".into())));
    // Past the window the first id is a new command, refused too.
    sim.advance_clock(Duration::from_secs(61));
    let refused = telnyx.hangup(&a.call_control_id, &hangup("h-1")).await.expect_err("window passed");
    assert_eq!(error_code(&refused), Some((422, "90018".into())));
    // An unknown call: 422 90015.
    let unknown = telnyx.answer("v3:nope", &answer("x", None)).await.expect_err("unknown call");
    assert_eq!(error_code(&unknown), Some((422, "90015".into())));
    let hangups = sim.deliveries().iter().filter(|d| d.event_type == "call.hangup").count();
    assert_eq!(hangups, 1);
}

#[actix_web::test]
async fn dial_creates_outgoing_legs_on_the_application_and_bridges_on_answer() {
    let sim = TelnyxSim::start().await;
    let app_hooks = Receiver::start(&[]);
    let telnyx = client(&sim);
    let app = sim.add_call_control_application("acme", &app_hooks.url);
    let unknown = DialRequest {
        connection_id: "999".into(),
        to: switchboard::domain::PhoneNumber::parse("+13105550100").expect("e164"),
        from: switchboard::domain::PhoneNumber::parse(COMPANY).expect("e164"),
        command_id: None,
        client_state: None,
    };
    let refused = telnyx.dial(&unknown).await.expect_err("unknown application");
    assert_eq!(error_code(&refused), Some((422, "10015".into())));

    let first = telnyx.dial(&DialRequest { connection_id: app.clone(), ..unknown }).await.expect("dial");
    let leg = sim.wait_outgoing_leg(|l| l.call_control_id == first.call_control_id).await;
    assert_eq!(leg.delivery.url, app_hooks.url, "call events go to the application's webhook_event_url");
    assert_eq!(leg.call_session_id, first.call_session_id);
    sim.answer_leg(&first.call_control_id).await;

    // Two targets at once, linked to the first call: the one that answers bridges, the other is cancelled.
    let body = json!({ "connection_id": app, "from": COMPANY, "to": ["+13105550101", "+13105550102"],
                       "link_to": first.call_control_id, "bridge_on_answer": true });
    let (status, dialled) = raw(&sim, Method::POST, "calls", Some(body)).await;
    assert_eq!(status, 200, "{dialled}");
    assert_eq!(dialled["data"]["call_session_id"], first.call_session_id.as_str());
    let second = sim.wait_outgoing_leg(|l| l.to == "+13105550102").await;
    let events = sim.answer_leg(&second.call_control_id).await;
    let kinds: Vec<&str> = events.iter().map(|d| d.event_type.as_str()).collect();
    assert_eq!(kinds, ["call.answered", "call.hangup", "call.bridged", "call.bridged"]);
    assert_eq!(events[1].payload()["hangup_cause"], "originator_cancel");
    assert_eq!(sim.leg(&first.call_control_id).map(|l| l.state), Some(LegState::Bridged(second.call_control_id)));
}
