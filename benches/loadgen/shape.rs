//! The production shape: one hot company whose numbers are in a department with routing rules
//! (every inbound message forwarded to a local receiver, every inbound call answered and then
//! transferred through a Telnyx stand-in) beside the spread companies, with every event Telnyx
//! sends for a message (received, sent, finalized) and for a call (initiated, answered, hangup).
//! Half the events go to the hot company, half are spread.
//!
//! The department's calls walk a two-step chain: `call.initiated` -> answer; the caller leg's
//! `call.answered` -> step 1's transfer; step 1's leg hangs up unanswered (`call.hangup`,
//! `timeout`) -> step 2's transfer. The generator measures the latency from sending that hangup
//! to step 2's transfer reaching the Telnyx stand-in (the sink timestamps every command).
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use switchboard::config::{Backend, Settings};
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::routing::{CallChain, CallChainSpec, Department, Destinations, MessageDestination};
use switchboard::store::{NewNumber, NumberPatch};
use switchboard::telnyx::client_state::{ChainAt, ChainLeg, LegState, RuleKind, RuleRef};

use crate::events::{spread_event, WebhookSigner};
use crate::sink::Sink;
use crate::Args;

const HOT_NUMBERS: usize = 10;
/// The hot company's department's chain: two steps, then hang up.
pub const STEP_TARGETS: [&str; 2] = ["+14155550199", "+14155550198"];

fn hot_number(m: usize) -> String {
    format!("+1415555{:04}", 2000 + m)
}

/// A customer of the hot company (one per conversation, cycling).
fn customer(j: usize) -> String {
    format!("+1206{}", 2_000_000 + j % 1_000_000)
}

/// Creates the hot company: its numbers in the Support department, whose messages go to `sink`
/// and whose calls walk the two-step chain to [`STEP_TARGETS`].
pub async fn seed_hot(url: &str, sink: &Sink) -> CompanyId {
    let mut settings = Settings::load_with_env(None, Vec::new()).unwrap();
    settings.database.url = url.to_owned();
    settings.database.backend = Backend::Postgres;
    let store = switchboard::store::connect(&settings.database).await.expect("store");
    let company = CompanyId::new();
    store.create_company(company, "Hot Co").await.unwrap();
    let chain: CallChainSpec = serde_json::from_value(json!({
        "steps": [{"targets": [STEP_TARGETS[0]], "timeout_secs": 20}, {"targets": [STEP_TARGETS[1]], "timeout_secs": 20}],
        "final_action": {"action": "hangup"}
    }))
    .expect("chain spec");
    let destinations = Destinations {
        call: Some(CallChain::try_from(chain).expect("chain")),
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
    /// Transfers: one for step 1 of each answered call, one for step 2 of each step-1 hangup.
    pub transfers: u64,
    /// (request index, caller leg) of each step-1 hangup: step 2's latency is measured from it.
    pub step_ends: Vec<(usize, String)>,
}

/// `a.events` requests: even indexes spread, odd ones the hot company's conversations.
pub fn requests(a: &Args, key: &SigningKey, port: u16, hot: CompanyId) -> Batch {
    let signer = WebhookSigner::new(key, port);
    let run = uuid::Uuid::new_v4();
    let mut batch = Batch {
        reqs: Vec::with_capacity(a.events),
        counted: 0,
        forwards: vec![],
        answers: 0,
        transfers: 0,
        step_ends: vec![],
    };
    for i in 0..a.events {
        let id = event_id(&run, i);
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
        let initiated = event_id(&run, 2 * (6 * j + 3) + 1);
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
                batch.transfers += 1;
                let mut leg = call_leg(&call, &customer, &number);
                leg["client_state"] = chain_state(hot, &initiated, &number, &customer, ChainAt::Answered).into();
                ("call.answered", leg)
            }
            _ => {
                // Step 1's leg (its own call_control_id) ends unanswered.
                batch.transfers += 1;
                batch.step_ends.push((i, call.clone()));
                let mut hangup = call_leg(&format!("{call}-step1"), &number, STEP_TARGETS[0]);
                let at = ChainAt::Step { step: 0, caller_leg: call.clone() };
                hangup["client_state"] = chain_state(hot, &initiated, &number, &customer, at).into();
                hangup["hangup_cause"] = "timeout".into();
                hangup["hangup_source"] = "unknown".into();
                ("call.hangup", hangup)
            }
        };
        batch.reqs.push(signer.request(&id, event_type, payload));
    }
    batch
}

/// The id of request `i` of run `run`: a UUID as random-looking as Telnyx's (their order says
/// nothing of when they occurred, so the dedupe keys' index sees them as in production), derived
/// from the index so that a later event can name an earlier one.
fn event_id(run: &uuid::Uuid, i: usize) -> String {
    uuid::Uuid::new_v5(run, &(i as u64).to_le_bytes()).to_string()
}

/// The `client_state` switchboard gives the legs of the chain started by `initiated`.
fn chain_state(hot: CompanyId, initiated: &str, number: &str, customer: &str, at: ChainAt) -> String {
    let leg = ChainLeg {
        company: hot,
        event_id: initiated.to_owned(),
        number: PhoneNumber::parse(number).unwrap(),
        from: PhoneNumber::parse(customer).unwrap(),
        rule: RuleRef { kind: RuleKind::Department, name: "Support".into(), after_hours: false },
        at,
    };
    LegState::Chain(leg).client_state().as_str().to_owned()
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
