//! Fairness between companies: one company's bulk does not delay another's single message
//! beyond its share (start-time fair queueing), with an injected clock.
use switchboard::config::SendingSettings;
use switchboard::domain::NumberType;
use switchboard::sendq::Planner;

use super::{accept_all, claim, company, enqueue, fresh_store, Sender, T0_US};
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(a_bulk_send_does_not_delay_another_companys_message, the_virtual_clock_follows_the_claims);

async fn a_bulk_send_does_not_delay_another_companys_message(db: Db) {
    let (_db, store) = fresh_store(db).await;
    // The account is the bottleneck: 10 SMS/s, each company on its own short code.
    let settings = SendingSettings { account_sms_per_second: 10.0, ..SendingSettings::default() };
    let planner = Planner::new(&settings);
    let (bulk, single) = (company(&store).await, company(&store).await);
    let day = 24 * 3600 * 1000;
    enqueue(&store, bulk, &Sender::new("+15550000001", NumberType::ShortCode), 500, T0_US, day).await;

    // Two seconds of the bulk alone: it has the whole account.
    let mut now = T0_US;
    let mut bulk_sent = 0;
    while now < T0_US + 2_000_000 {
        let claimed = claim(&store, &planner, now).await;
        bulk_sent += claimed.len();
        accept_all(&store, &claimed, now).await;
        now += 100_000;
    }
    assert!((19..=23).contains(&bulk_sent), "{bulk_sent} bulk messages in 2 s at 10/s");

    // Then the other company's single message: it goes within its share (every other slot while
    // both have messages), not after the bulk's remaining ~480 (48 s at 10/s).
    let queued_at = now;
    enqueue(&store, single, &Sender::new("+15550000002", NumberType::ShortCode), 1, queued_at, day).await;
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
    let (_db, store) = fresh_store(db).await;
    let settings = SendingSettings { account_sms_per_second: 10.0, ..SendingSettings::default() };
    let planner = Planner::new(&settings);
    let (early, late) = (company(&store).await, company(&store).await);
    let day = 24 * 3600 * 1000;
    enqueue(&store, early, &Sender::new("+15550000001", NumberType::ShortCode), 40, T0_US, day).await;
    let mut now = T0_US;
    let mut top = 0;
    while now < T0_US + 2_000_000 {
        let claimed = claim(&store, &planner, now).await;
        top = claimed.iter().map(|c| c.message.fair_tag).fold(top, i64::max);
        accept_all(&store, &claimed, now).await;
        now += 100_000;
    }
    assert!(top >= 19, "about 20 claimed in 2 s at 10/s, the highest tag {top}");
    // The clock is the highest start tag claimed: a company that queues now starts there, not
    // ahead of the early company's claimed history.
    let clock = store.limiters(&["fair:clock".to_owned()]).await.expect("limiters");
    assert_eq!(clock.iter().map(|l| l.tat_us).collect::<Vec<_>>(), vec![top]);
    enqueue(&store, late, &Sender::new("+15550000002", NumberType::ShortCode), 1, now, day).await;
    let queued = store.page_outbound(late, &OutboundFilter::default(), &Window::first(1)).await.expect("list");
    assert!(queued[0].fair_tag >= top, "the late company's tag {} is behind the clock {top}", queued[0].fair_tag);
}
