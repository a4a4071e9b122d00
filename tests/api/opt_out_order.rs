//! STOP / START are written in the commit of the event that carries them, in the order the
//! customer sent them (latest `occurred_at` wins), not in the order Telnyx delivers them.
use std::sync::Arc;

use chrono::{DateTime, Utc};
use switchboard::demo::{self, DEMO_COMPANY_ID};
use switchboard::domain::PhoneNumber;
use switchboard::ledger::{CountKey, Counter, LedgerEntry, OptChange};
use switchboard::store::changes::Change;
use switchboard::store::NumberFilter;

use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::telnyx_events::*;
use crate::webhooks::{app_with_key, post_signed};

backend_tests!(
    a_start_delivered_before_an_earlier_stop_leaves_the_customer_opted_in,
    stop_and_start_in_one_batch_end_in_the_later_ones_state,
    a_redelivered_stop_changes_nothing_after_the_customer_opted_in
);

const SAN_FRANCISCO: &str = "+14155550001";
const CUSTOMER: &str = "+13105550177";

async fn demo_app(db: Db) -> TestApp {
    let app = app_with_key(db).await;
    demo::load(app.store.as_ref()).await.unwrap();
    app.directory.refresh(DEMO_COMPANY_ID, Change::Numbers).await;
    app
}

/// A message from the customer to San Francisco, sent at `at`.
fn keyword(id: &str, text: &str, at: &str) -> Vec<u8> {
    let mut event: serde_json::Value =
        serde_json::from_slice(&message_received(id, CUSTOMER, &[SAN_FRANCISCO], &[], text)).expect("event json");
    event["data"]["occurred_at"] = at.into();
    serde_json::to_vec(&event).expect("json")
}

async fn opted_out(app: &TestApp) -> bool {
    app.store.is_opted_out(DEMO_COMPANY_ID, &PhoneNumber::parse(CUSTOMER).unwrap()).await.unwrap()
}

async fn a_start_delivered_before_an_earlier_stop_leaves_the_customer_opted_in(db: Db) {
    let app = demo_app(db).await;
    // Sent STOP at 10:00:01 and START at 10:00:05; Telnyx delivers START first.
    assert_eq!(post_signed(&app, &keyword("late-start", "START", "2026-11-25T10:00:05.000+00:00")).await.status(), 200);
    assert!(!opted_out(&app).await);
    assert_eq!(post_signed(&app, &keyword("early-stop", "STOP", "2026-11-25T10:00:01.000+00:00")).await.status(), 200);
    assert!(!opted_out(&app).await, "the earlier STOP must not undo the later START");
    // In order, the later keyword still wins.
    assert_eq!(post_signed(&app, &keyword("later-stop", "stop", "2026-11-25T10:00:09.000+00:00")).await.status(), 200);
    assert!(opted_out(&app).await);
}

/// One ledger entry of event `id`: a received message at San Francisco carrying a keyword.
async fn entry(app: &TestApp, id: &str, opted_out: bool, at: DateTime<Utc>) -> LedgerEntry {
    let number = app
        .store
        .list_numbers(DEMO_COMPANY_ID, NumberFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|n| n.phone_number.as_str() == SAN_FRANCISCO)
        .unwrap();
    let mut e = LedgerEntry::new(Arc::from(id));
    e.counts.push(CountKey {
        company_id: DEMO_COMPANY_ID,
        phone_number_id: number.id,
        phone_number: number.phone_number,
        counter: Counter::SmsReceived,
        event_key: None,
        route: None,
    });
    e.opt_changes.push(OptChange {
        company_id: DEMO_COMPANY_ID,
        customer: PhoneNumber::parse(CUSTOMER).unwrap(),
        opted_out,
        keyword: if opted_out { "STOP" } else { "START" },
        occurred_at: at,
    });
    e
}

async fn stop_and_start_in_one_batch_end_in_the_later_ones_state(db: Db) {
    let app = demo_app(db).await;
    let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    // START sent later, STOP arrives later in the batch: opted in.
    let start = entry(&app, "batch-start", false, t("2026-11-25T10:00:05Z")).await;
    let stop = entry(&app, "batch-stop", true, t("2026-11-25T10:00:01Z")).await;
    app.store.commit_batch(&[&start, &stop]).await.unwrap();
    assert!(!opted_out(&app).await, "the START was sent later");
    // STOP sent later, START arrives later in the batch: opted out.
    let stop = entry(&app, "batch-stop-2", true, t("2026-11-25T10:01:05Z")).await;
    let start = entry(&app, "batch-start-2", false, t("2026-11-25T10:01:01Z")).await;
    app.store.commit_batch(&[&stop, &start]).await.unwrap();
    assert!(opted_out(&app).await, "the STOP was sent later");
}

async fn a_redelivered_stop_changes_nothing_after_the_customer_opted_in(db: Db) {
    let app = demo_app(db).await;
    let stop = keyword("stop-once", "STOP", "2026-11-25T10:00:01.000+00:00");
    assert_eq!(post_signed(&app, &stop).await.status(), 200);
    assert!(opted_out(&app).await);
    // The company admin opts the customer back in (DELETE .../opt-outs/{customer} does this).
    app.directory.remove_opt_out(DEMO_COMPANY_ID, &PhoneNumber::parse(CUSTOMER).unwrap()).await.unwrap();
    assert!(!opted_out(&app).await);
    // Telnyx delivers the STOP again (its first delivery timed out on its side): it was
    // committed already, so it changes nothing.
    assert_eq!(post_signed(&app, &stop).await.status(), 200);
    assert!(!opted_out(&app).await, "a redelivery must not opt the customer out again");
}
