//! The outbound send queue (issue 21): limiters with an injected clock (one node and two on one
//! PostgreSQL), fairness between companies, expiry, Telnyx's 429, crash recovery, status forwards
//! to the company's status URL, status webhooks that come before the id or after a crash. Shared
//! set-up here; one concern per file.
mod early_status;
mod fairness;
mod lifecycle;
mod limiter;
mod status_url;

use serde_json::Value;
use switchboard::config::SendingSettings;
use switchboard::domain::{CompanyId, NumberType, PhoneNumber};
use switchboard::sendq::Planner;
use switchboard::store::send_claim::Claimed;
use switchboard::store::send_queue::{MessageContent, MessageKind, NewOutbound, SenderClass};
use switchboard::store::{self, DynStore, NewNumber};
use uuid::Uuid;

use crate::helpers::{start, test_settings, Db, TestApp, TestDb};
use crate::provisioning::OPERATOR;
use crate::telnyx_sim::TelnyxSim;

/// 2026-12-04T20:00:00Z in Unix µs: the manual clock's start (12:00 in Los Angeles).
pub const T0_US: i64 = 1_796_414_400_000_000;

/// A store on a fresh database, migrated (no daemon: the tests drive the claims).
pub async fn fresh_store(db: Db) -> (TestDb, DynStore) {
    let test_db = TestDb::new(db).await;
    let store = store_on(&test_db.url).await;
    (test_db, store)
}

/// Another connection on the same database (a second node).
pub async fn store_on(url: &str) -> DynStore {
    let store = store::connect(&test_settings(url).database).await.expect("store");
    store.migrate().await.expect("migrate");
    store
}

pub fn e164(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).expect("e164")
}

pub async fn company(store: &DynStore) -> CompanyId {
    let co = CompanyId::new();
    store.create_company(co, "Acme").await.expect("company");
    co
}

/// A company that can send from `from`: the number, and a messaging profile in its settings.
pub async fn company_sending_from(store: &DynStore, from: &str) -> CompanyId {
    let co = company(store).await;
    store.insert_number(&switchboard::store::NewNumber::new(co, e164(from))).await.expect("number");
    let settings =
        switchboard::store::CompanySettings { messaging_profile_id: Some("prof-1".into()), ..Default::default() };
    store.put_settings(co, &settings).await.expect("settings");
    co
}

/// A sender: its number and class.
#[derive(Debug, Clone)]
pub struct Sender {
    pub number: PhoneNumber,
    pub class: SenderClass,
}

impl Sender {
    pub fn new(number: &str, number_type: NumberType) -> Sender {
        Sender { number: e164(number), class: SenderClass { number_type, ..Default::default() } }
    }

    pub fn ten_dlc(number: &str, campaign: &str, brand: &str) -> Sender {
        Sender {
            number: e164(number),
            class: SenderClass {
                number_type: NumberType::TenDlc,
                campaign_id: Some(campaign.into()),
                brand_id: Some(brand.into()),
            },
        }
    }
}

/// Queues `n` SMS of `co` from `sender` at `now_us`, valid for `validity_ms`.
pub async fn enqueue(store: &DynStore, co: CompanyId, sender: &Sender, n: usize, now_us: i64, validity_ms: i64) {
    let now_ms = now_us / 1000;
    for i in 0..n {
        let m = NewOutbound {
            company_id: co,
            id: Uuid::new_v4(),
            from: sender.number.clone(),
            to: e164(&format!("+1303555{:04}", i % 10_000)),
            kind: MessageKind::Sms,
            content: MessageContent {
                text: Some("hi".into()),
                media_urls: vec![],
                messaging_profile_id: "prof".into(),
            },
            sender: sender.class.clone(),
            reason: serde_json::json!({"reason": "explicit"}),
            send_at_ms: now_ms,
            expires_at_ms: now_ms + validity_ms,
            now_ms,
        };
        store.enqueue_outbound(&m).await.expect("enqueue");
    }
}

/// The settings the limiter tests use (Telnyx's defaults, a short brand budget).
pub fn settings() -> SendingSettings {
    SendingSettings { brand_daily_messages: 50, ..SendingSettings::default() }
}

/// One claim at `now_us` through `planner`, leased for a minute.
pub async fn claim(store: &DynStore, planner: &Planner, now_us: i64) -> Vec<Claimed> {
    store.claim_sends(now_us, now_us / 1000 + 60_000, planner.claim_size(), planner).await.expect("claim")
}

/// Records every claimed message as sent (Telnyx accepted it).
pub async fn accept_all(store: &DynStore, claimed: &[Claimed], now_us: i64) {
    use switchboard::store::send_queue::AttemptEnd;
    for c in claimed {
        let end = AttemptEnd::Sent { telnyx_message_id: format!("tx-{}", c.message.id) };
        store.end_attempt(c.message.company_id, c.message.id, &end, now_us / 1000).await.expect("end");
    }
}

/// The largest number of `times` (µs, any order) inside any window of `window_us` (half-open).
pub fn busiest_window(times: &[i64], window_us: i64) -> usize {
    let mut t = times.to_vec();
    t.sort_unstable();
    let mut best = 0;
    let mut start = 0;
    for end in 0..t.len() {
        while t[end] - t[start] >= window_us {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

/// The daemon on `db` sending through `sim` (whose events go to the daemon unless a profile says
/// otherwise).
pub async fn app_on_sim(db: TestDb, sim: &TelnyxSim) -> TestApp {
    let mut settings = test_settings(&db.url);
    settings.telnyx.public_key = Some(sim.public_key_bytes());
    settings.telnyx.api_key = Some(secrecy::SecretString::from("KEYsendq_test"));
    settings.telnyx.base_url = sim.base_url();
    settings.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
    let app = start(settings, db).await;
    sim.set_webhook_url(format!("{}/webhooks/telnyx", app.address));
    app
}

/// The sending number of the tests that run the daemon.
pub const FROM: &str = "+14155550100";

/// A company with the number [`FROM`] and a messaging profile.
pub async fn provisioned(app: &TestApp) -> CompanyId {
    let co = company(&app.store).await;
    app.directory.register_number(&NewNumber::new(co, e164(FROM))).await.expect("number");
    let settings =
        switchboard::store::CompanySettings { messaging_profile_id: Some("prof-1".into()), ..Default::default() };
    app.directory.put_settings(co, &settings).await.expect("settings");
    co
}

/// GET `path` with the operator's token, as JSON.
pub async fn get(app: &TestApp, path: &str) -> Value {
    let res = app.client.get(format!("{}{path}", app.address)).bearer_auth(OPERATOR).send().await.expect("get");
    res.json().await.expect("json")
}

/// POSTs a message of `co` from [`FROM`] to `to`; answers its id.
pub async fn send(app: &TestApp, co: CompanyId, to: &str, text: &str) -> String {
    let body = serde_json::json!({"to": to, "text": text, "from": FROM});
    let res = crate::provisioning::post(app, &format!("/v1/companies/{co}/messages"), body).await;
    assert_eq!(res.status(), 202);
    res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_owned()
}
