//! The outbound send queue (issue 21): limiters with an injected clock (one node and two on one
//! PostgreSQL), fairness between companies, expiry, Telnyx's 429, crash recovery. Shared set-up
//! here; one concern per file.
mod fairness;
mod lifecycle;
mod limiter;

use switchboard::config::SendingSettings;
use switchboard::domain::{CompanyId, NumberType, PhoneNumber};
use switchboard::sendq::Planner;
use switchboard::store::send_claim::Claimed;
use switchboard::store::send_queue::{MessageContent, MessageKind, NewOutbound, SenderClass};
use switchboard::store::{self, DynStore};
use uuid::Uuid;

use crate::helpers::{test_settings, Db, TestDb};

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
