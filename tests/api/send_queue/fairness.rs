//! Fairness between companies: one company's bulk does not delay another's single message
//! beyond its share (start-time fair queueing), with an injected clock.
use switchboard::config::SendingSettings;
use switchboard::domain::CompanyId;
use switchboard::domain::NumberType;
use switchboard::sendq::Planner;
use switchboard::store::send_claim::Claimed;
use switchboard::store::DynStore;

use super::{accept_all, claim, company, enqueue, fresh_store, Sender, T0_US};
use crate::backend_tests;
use crate::helpers::{Db, TestDb};

backend_tests!(a_bulk_send_does_not_delay_another_companys_message, the_virtual_clock_follows_the_claims);

/// Validity of the messages these tests queue.
const DAY_MS: i64 = 24 * 3600 * 1000;

/// A fresh store, a planner whose bottleneck is the account (10 SMS/s, each company on its own
/// short code), and two companies: the first with `queued` messages from `+15550000001`.
async fn two_companies(db: Db, queued: usize) -> (TestDb, DynStore, Planner, CompanyId, CompanyId) {
    let (test_db, store) = fresh_store(db).await;
    let settings = SendingSettings { account_sms_per_second: 10.0, ..SendingSettings::default() };
    let (first, second) = (company(&store).await, company(&store).await);
    enqueue(&store, first, &Sender::new("+15550000001", NumberType::ShortCode), queued, T0_US, DAY_MS).await;
    (test_db, store, Planner::new(&settings), first, second)
}

/// Claims (and accepts) every 100 ms for the first two seconds from T0; returns what was claimed
/// and the time after.
async fn two_seconds_of_claims(store: &DynStore, planner: &Planner) -> (Vec<Claimed>, i64) {
    let mut now = T0_US;
    let mut all = Vec::new();
    while now < T0_US + 2_000_000 {
        let claimed = claim(store, planner, now).await;
        accept_all(store, &claimed, now).await;
        all.extend(claimed);
        now += 100_000;
    }
    (all, now)
}

async fn a_bulk_send_does_not_delay_another_companys_message(db: Db) {
    let (_db, store, planner, _bulk, single) = two_companies(db, 500).await;

    // Two seconds of the bulk alone: it has the whole account.
    let (claimed, mut now) = two_seconds_of_claims(&store, &planner).await;
    let bulk_sent = claimed.len();
    assert!((19..=23).contains(&bulk_sent), "{bulk_sent} bulk messages in 2 s at 10/s");

    // Then the other company's single message: it goes within its share (every other slot while
    // both have messages), not after the bulk's remaining ~480 (48 s at 10/s).
    let queued_at = now;
    enqueue(&store, single, &Sender::new("+15550000002", NumberType::ShortCode), 1, queued_at, DAY_MS).await;
    let sent_at = loop {
        let claimed = claim(&store, &planner, now).await;
        accept_all(&store, &claimed, now).await;
        if let Some(c) = claimed.iter().find(|c| c.message.company_id == single) {
            break c.send_at_us;
        }
        now += 100_000;
        assert!(now < queued_at + 10_000_000, "the single message is still queued after 10 s");
    };
    let waited_ms = (sent_at - queued_at) / 1000;
    // Ideal: the next free slot or the one after (100 ms apart), plus the slots the bulk already
    // held when it arrived.
    assert!(waited_ms <= 450, "the single message waited {waited_ms} ms behind the bulk");
}

async fn the_virtual_clock_follows_the_claims(db: Db) {
    use switchboard::store::send_queue::OutboundFilter;
    use switchboard::store::Window;
    let (_db, store, planner, _early, late) = two_companies(db, 40).await;
    let (claimed, now) = two_seconds_of_claims(&store, &planner).await;
    let top = claimed.iter().map(|c| c.message.fair_tag).max().unwrap_or(0);
    assert!(top >= 19, "about 20 claimed in 2 s at 10/s, the highest tag {top}");
    // The clock is the highest start tag claimed: a company that queues now starts there, not
    // ahead of the early company's claimed history.
    let clock = store.limiters(&["fair:clock".to_owned()]).await.expect("limiters");
    assert_eq!(clock.iter().map(|l| l.tat_us).collect::<Vec<_>>(), vec![top]);
    enqueue(&store, late, &Sender::new("+15550000002", NumberType::ShortCode), 1, now, DAY_MS).await;
    let queued = store.page_outbound(late, &OutboundFilter::default(), &Window::first(1)).await.expect("list");
    assert!(queued[0].fair_tag >= top, "the late company's tag {} is behind the clock {top}", queued[0].fair_tag);
}
