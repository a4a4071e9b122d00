//! What /metrics says happened to each webhook: a redelivery is labelled `duplicate`, not
//! `counted` (the ledger reports per entry whether its keys were new).
use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::telnyx_events::*;
use crate::webhooks::{app_with_key, post_signed, seed, usage, ACME_SALES, CUSTOMER};

backend_tests!(a_redelivered_event_is_labelled_duplicate);

/// `switchboard_webhooks_received_total{event_type, outcome}` as /metrics shows it now.
pub async fn received(app: &TestApp, event_type: &str, outcome: &str) -> u64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let (event_type, outcome) = (format!("event_type=\"{event_type}\""), format!("outcome=\"{outcome}\""));
    metrics
        .lines()
        .filter(|l| l.starts_with("switchboard_webhooks_received_total{"))
        .filter(|l| l.contains(&event_type) && l.contains(&outcome))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum()
}

async fn a_redelivered_event_is_labelled_duplicate(db: Db) {
    let app = app_with_key(db).await;
    let (acme, _) = seed(&app).await;
    // The recorder is shared by the tests of this process: counts only have to grow by these.
    let (counted, duplicates) =
        (received(&app, "message.sent", "counted").await, received(&app, "message.sent", "duplicate").await);
    let body = message_sent("sent-three-times", ACME_SALES, CUSTOMER);
    for _ in 0..3 {
        assert_eq!(post_signed(&app, &body).await.status(), 200);
    }
    assert_eq!(usage(&app, acme, ACME_SALES).await.sms_sent_count, 1);
    assert!(received(&app, "message.sent", "counted").await > counted, "the first delivery counts");
    assert!(received(&app, "message.sent", "duplicate").await >= duplicates + 2, "the two redeliveries are duplicates");
}
