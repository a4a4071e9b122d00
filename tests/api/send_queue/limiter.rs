//! The limiters, with an injected clock (claims every 100 ms of simulated time, nothing waits):
//! no sender, campaign, brand or account exceeds its limit in any window, on one node and on two
//! nodes claiming concurrently from one PostgreSQL database.
use std::collections::BTreeMap;

use switchboard::config::SendingSettings;
use switchboard::domain::NumberType;
use switchboard::sendq::Planner;
use switchboard::store::send_claim::Claimed;
use switchboard::store::DynStore;

use super::{accept_all, busiest_window, claim, company, enqueue, fresh_store, settings, store_on, Sender, T0_US};
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(
    no_limiter_exceeds_its_rate_in_any_window,
    calls_take_slots_of_the_account_rate,
    concurrent_claims_never_take_one_message_twice
);

const SECOND: i64 = 1_000_000;
const MINUTE: i64 = 60 * SECOND;
/// Simulated time the claims run for, and the step between two claims.
const RUN: i64 = 30 * SECOND;
const STEP: i64 = 100_000;

/// Every sender class at once: a toll-free number, a plain long code, two 10DLC numbers of one
/// campaign and brand, and a short code whose traffic only the account limit holds back.
fn senders() -> (Sender, Sender, Sender, Sender, Sender) {
    (
        Sender::new("+18005550100", NumberType::TollFree),
        Sender::new("+14155550100", NumberType::LongCode),
        Sender::ten_dlc("+14155550201", "C1", "B1"),
        Sender::ten_dlc("+14155550202", "C1", "B1"),
        Sender::new("+15550000000", NumberType::ShortCode),
    )
}

/// Queues the load: more than any limiter lets through in the run.
async fn load(store: &DynStore) {
    let (toll_free, long_code, dlc_1, dlc_2, short) = senders();
    let day = 24 * 3600 * 1000;
    enqueue(store, company(store).await, &toll_free, 700, T0_US, day).await;
    enqueue(store, company(store).await, &long_code, 20, T0_US, day).await;
    let co = company(store).await;
    enqueue(store, co, &dlc_1, 60, T0_US, day).await;
    enqueue(store, co, &dlc_2, 60, T0_US, day).await;
    enqueue(store, company(store).await, &short, 2000, T0_US, day).await;
}

/// Claims on `nodes` (concurrently at each step) until the run ends; every claim's send times.
async fn run(nodes: &[DynStore], planner: &Planner) -> Vec<Claimed> {
    let mut all = Vec::new();
    let mut now = T0_US;
    while now < T0_US + RUN {
        let claims = futures::future::join_all(nodes.iter().map(|s| claim(s, planner, now))).await;
        for (store, claimed) in nodes.iter().zip(claims) {
            for c in &claimed {
                assert!(c.send_at_us >= now, "a send time in the past");
            }
            accept_all(store, &claimed, now).await;
            all.extend(claimed);
        }
        now += STEP;
    }
    all
}

/// The send times per limiter key.
fn by_key(claimed: &[Claimed], planner: &Planner) -> BTreeMap<String, Vec<i64>> {
    use switchboard::store::send_claim::Admission;
    let mut out: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for c in claimed {
        for key in planner.keys(&c.message) {
            out.entry(key).or_default().push(c.send_at_us);
        }
    }
    out
}

fn check_limits(claimed: &[Claimed], planner: &Planner) {
    let ids: std::collections::HashSet<_> = claimed.iter().map(|c| c.message.id).collect();
    assert_eq!(ids.len(), claimed.len(), "a message was claimed twice");
    let keys = by_key(claimed, planner);
    let busiest = |key: &str, window: i64| busiest_window(keys.get(key).map_or(&[][..], |t| t.as_slice()), window);
    // (key, window, limit in it, what the run must at least reach: the limit is not trivially met)
    let expected = [
        ("account:sms", SECOND, 50, 45),
        ("sender:+18005550100", SECOND, 20, 10),
        ("sender:+15550000000", SECOND, 50, 10),
        ("sender:+14155550100", MINUTE, 6, 3),
        ("campaign:C1", MINUTE, 240, 50),
    ];
    for (key, window, limit, at_least) in expected {
        let seen = busiest(key, window);
        assert!(seen <= limit, "{key}: {seen} sends in one window, limit {limit}");
        assert!(seen >= at_least, "{key}: only {seen} sends in its busiest window (the run should reach {at_least})");
    }
    // The brand's daily budget (50) holds over the whole (Pacific) day, across its two numbers.
    let brand = keys.get("brand:B1").map_or(0, Vec::len);
    assert_eq!(brand, 50, "brand B1 sent {brand} today, its budget is 50");
    // The account's total: ~50/s over 30 s of simulated time.
    let total = claimed.len();
    assert!((1400..=1510).contains(&total), "{total} messages in 30 s at 50/s");
}

async fn no_limiter_exceeds_its_rate_in_any_window(db: Db) {
    let (test_db, store) = fresh_store(db).await;
    load(&store).await;
    let planner = Planner::new(&settings());
    let nodes = match db {
        // Two nodes sharing the database, claiming at the same instants.
        Db::Postgres => vec![store.clone(), store_on(&test_db.url).await],
        Db::Sqlite => vec![store.clone()],
    };
    let claimed = run(&nodes, &planner).await;
    check_limits(&claimed, &planner);
}

/// The account's calls per second: one statement per call takes the next slot, or refuses when
/// it is further than the wait allowed (two nodes on PostgreSQL share the row).
async fn calls_take_slots_of_the_account_rate(db: Db) {
    let (test_db, store) = fresh_store(db).await;
    let other = match db {
        Db::Postgres => store_on(&test_db.url).await,
        Db::Sqlite => store.clone(),
    };
    // The default headroom runs every limiter 5% under its rate: 10 per second become 9.5.
    let spaced = Planner::new(&settings()).calls_limiter();
    assert_eq!((spaced.key.as_str(), spaced.interval_us), ("account:calls", 105_264), "9.5 calls per second");
    let limiter = Planner::new(&SendingSettings { limit_headroom_percent: 0.0, ..settings() }).calls_limiter();
    assert_eq!((limiter.key.as_str(), limiter.interval_us), ("account:calls", 100_000), "10 calls per second");
    let take = |s: &DynStore| {
        let s = s.clone();
        let key = limiter.key.clone();
        async move { s.take_slot(&key, T0_US, limiter.interval_us, 150_000).await.expect("slot") }
    };
    assert_eq!(take(&store).await, Some(T0_US));
    assert_eq!(take(&other).await, Some(T0_US + 100_000), "the other node waits its turn");
    assert_eq!(take(&store).await, None, "the next slot is 200 ms away, more than the 150 ms allowed");
    let later = store.take_slot(&limiter.key, T0_US + SECOND, limiter.interval_us, 150_000).await.expect("slot");
    assert_eq!(later, Some(T0_US + SECOND), "a refused call took nothing");
}

/// Several nodes claiming at once from a deep queue: a message one node claimed and committed
/// while another's claim was reading is never claimed again by that other claim (PostgreSQL
/// re-reads a row locked after the statement's snapshot; the claim must re-check it is queued).
async fn concurrent_claims_never_take_one_message_twice(db: Db) {
    let (test_db, store) = fresh_store(db).await;
    let co = company(&store).await;
    const SENDERS: usize = 2000;
    const EACH: usize = 2;
    for i in 0..SENDERS {
        let sender = Sender::new(&format!("+1555{:07}", 1_000_000 + i), NumberType::ShortCode);
        enqueue(&store, co, &sender, EACH, T0_US, 3_600_000).await;
    }
    let planner = Planner::new(&SendingSettings {
        account_sms_per_second: 1_000_000.0,
        short_code_per_second: 1_000_000.0,
        claim_batch: 50,
        ..settings()
    });
    let nodes: Vec<DynStore> = match db {
        Db::Postgres => futures::future::join_all((0..6).map(|_| store_on(&test_db.url))).await,
        Db::Sqlite => vec![store.clone(), store.clone()],
    };
    let mut claimed = Vec::new();
    let mut now = T0_US;
    loop {
        let round: Vec<Claimed> = futures::future::join_all(nodes.iter().map(|s| claim(s, &planner, now)))
            .await
            .into_iter()
            .flatten()
            .collect();
        if round.is_empty() {
            break;
        }
        claimed.extend(round);
        now += STEP;
    }
    let ids: std::collections::HashSet<_> = claimed.iter().map(|c| c.message.id).collect();
    assert_eq!(ids.len(), claimed.len(), "{} claims of {} distinct messages", claimed.len(), ids.len());
    assert_eq!(ids.len(), SENDERS * EACH, "every message claimed");
}
