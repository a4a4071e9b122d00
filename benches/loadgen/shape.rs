//! The production shape: one hot company whose numbers are in a department with routing rules
//! (every inbound message forwarded to a local receiver, every inbound call answered and then
//! transferred through a Telnyx stand-in) beside the spread companies, with every event Telnyx
//! sends for a message (received, sent, finalized) and for a call (initiated, answered, hangup).
//! Half the events go to the hot company, half are spread.
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use switchboard::config::{Backend, Settings};
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::routing::{CallChain, CallDestination, Department, Destinations, MessageDestination};
use switchboard::store::{NewNumber, NumberPatch};
use switchboard::telnyx::client_state::{AnsweredCall, LegState};

use crate::events::{spread_event, WebhookSigner};
use crate::sink::Sink;
use crate::Args;

const HOT_NUMBERS: usize = 10;
/// Where the hot company's department sends its calls.
const TRANSFER_TO: &str = "+14155550199";

fn hot_number(m: usize) -> String {
    format!("+1415555{:04}", 2000 + m)
}

/// A customer of the hot company (one per conversation, cycling).
fn customer(j: usize) -> String {
    format!("+1206{}", 2_000_000 + j % 1_000_000)
}

/// Creates the hot company: its numbers in the Support department, whose messages go to `sink`
/// and whose calls are transferred to [`TRANSFER_TO`].
pub async fn seed_hot(url: &str, sink: &Sink) -> CompanyId {
    let mut settings = Settings::load_with_env(None, Vec::new()).unwrap();
    settings.database.url = url.to_owned();
    settings.database.backend = Backend::Postgres;
    let store = switchboard::store::connect(&settings.database).await.expect("store");
    let company = CompanyId::new();
    store.create_company(company, "Hot Co").await.unwrap();
    let destinations = Destinations {
        call: Some(CallChain::single(CallDestination::parse(TRANSFER_TO).unwrap())),
        message: Some(MessageDestination::parse(&format!("{}/hooks/support", sink.base_url())).unwrap().into()),
    };
    store.upsert_department(company, &Department::new("Support".into(), destinations, None).unwrap()).await.unwrap();
    for m in 0..HOT_NUMBERS {
        let n =
            store.insert_number(&NewNumber::new(company, PhoneNumber::parse(&hot_number(m)).unwrap())).await.unwrap();
        let patch = NumberPatch { department: Some(Some("Support".into())), ..Default::default() };
        store.update_number(company, n.id, &patch).await.unwrap();
    }
    store.close().await;
    company
}

/// One set of requests and what they must leave behind.
pub struct Batch {
    pub reqs: Vec<Vec<u8>>,
    /// Counter increments the events make (message received/sent, inbound call).
    pub counted: i64,
    /// Ids of the events whose message the hot company's rule forwards.
    pub forwards: Vec<String>,
    /// Inbound calls (one answer command each).
    pub answers: u64,
    /// Answered calls (one transfer each).
    pub transfers: u64,
}

/// `a.events` requests: even indexes spread, odd ones the hot company's conversations.
pub fn requests(a: &Args, key: &SigningKey, port: u16, hot: CompanyId) -> Batch {
    let signer = WebhookSigner::new(key, port);
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut batch =
        Batch { reqs: Vec::with_capacity(a.events), counted: 0, forwards: vec![], answers: 0, transfers: 0 };
    for i in 0..a.events {
        let id = format!("{run}-{i}");
        if i % 2 == 0 {
            let (event_type, payload) = spread_event(a, i / 2);
            batch.counted += 1;
            batch.reqs.push(signer.request(&id, event_type, payload));
            continue;
        }
        let k = i / 2;
        let j = k / 6;
        let (number, customer) = (hot_number(j % HOT_NUMBERS), customer(j));
        let call = format!("v3:{run}-call-{j}");
        let initiated = format!("{run}-{}", 2 * (6 * j + 3) + 1);
        let (event_type, payload) = match k % 6 {
            0 => {
                batch.counted += 1;
                batch.forwards.push(id.clone());
                ("message.received", message(&customer, &number, "inbound", "webhook_delivered"))
            }
            1 => {
                batch.counted += 1;
                ("message.sent", message(&number, &customer, "outbound", "sent"))
            }
            2 => ("message.finalized", message(&number, &customer, "outbound", "delivered")),
            3 => {
                batch.counted += 1;
                batch.answers += 1;
                let mut leg = call_leg(&call, &customer, &number);
                leg["direction"] = "incoming".into();
                leg["state"] = "parked".into();
                ("call.initiated", leg)
            }
            4 => {
                let state = LegState::Answered(AnsweredCall {
                    company: hot,
                    event_id: initiated,
                    number: PhoneNumber::parse(&number).unwrap(),
                    caller: Some(PhoneNumber::parse(&customer).unwrap()),
                    destination: TRANSFER_TO.into(),
                });
                batch.transfers += 1;
                let mut leg = call_leg(&call, &customer, &number);
                leg["client_state"] = state.client_state().as_str().into();
                ("call.answered", leg)
            }
            _ => {
                let mut hangup = call_leg(&call, &customer, &number);
                hangup["hangup_cause"] = "normal_clearing".into();
                hangup["hangup_source"] = "caller".into();
                ("call.hangup", hangup)
            }
        };
        batch.reqs.push(signer.request(&id, event_type, payload));
    }
    batch
}

fn message(from: &str, to: &str, direction: &str, status: &str) -> Value {
    json!({"id": uuid::Uuid::new_v4(), "record_type": "message", "direction": direction, "type": "SMS",
        "text": "Hello, I would like to know more about the plan we talked about yesterday.",
        "from": {"phone_number": from, "carrier": "T-Mobile USA", "line_type": "Wireless"},
        "to": [{"phone_number": to, "status": status, "carrier": "Telnyx", "line_type": "Wireline"}],
        "cc": [], "media": [], "errors": [], "parts": 1, "encoding": "GSM-7",
        "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809"})
}

/// A leg of the customer's inbound call (the fields every call event carries).
fn call_leg(call: &str, from: &str, to: &str) -> Value {
    json!({"call_control_id": call, "call_leg_id": uuid::Uuid::new_v4(),
        "call_session_id": uuid::Uuid::new_v4(), "connection_id": "7267xxxxxxxxxxxxxx",
        "from": from, "to": to, "start_time": "2026-11-25T10:00:00.000000Z"})
}
