//! A receiver that asks to slow down (429, 503) is next attempted when its Retry-After says
//! (seconds or an HTTP date, at most forwards.retry_after_max_secs), else at the schedule's next
//! step: read from the stored next_attempt_at, between the clock before and after the attempt.
use std::time::Duration;

use chrono::{DateTime, Utc};
use switchboard::domain::CompanyId;
use switchboard::store::outbox::OutboxEntry;

use super::Hook;
use crate::admin_support::eventually;
use crate::backend_tests;
use crate::helpers::{spawn_app_with, Db, TestApp};

backend_tests!(retry_after_sets_the_next_attempt);

/// Queues a forward of `event` to `hook` and waits for its first attempt (by the daemon's worker);
/// returns the row and the clock before the queueing and after the attempt was seen.
async fn first_attempt(
    app: &TestApp,
    company: CompanyId,
    event: &str,
    hook: &Hook,
) -> (OutboxEntry, DateTime<Utc>, DateTime<Utc>) {
    let before = Utc::now();
    let item = crate::helpers::forward_item(company, event, &hook.url());
    app.store.insert_outbox_items(std::slice::from_ref(&item)).await.unwrap();
    let entry = eventually(&format!("{event} is attempted"), || async {
        let e = app.store.get_outbox_item(company, item.id).await.unwrap();
        (e.attempts == 1).then_some(e)
    })
    .await;
    (entry, before, Utc::now())
}

fn assert_due(entry: &OutboxEntry, from: DateTime<Utc>, to: DateTime<Utc>, wait: Duration) {
    let wait = chrono::Duration::from_std(wait).unwrap();
    let (earliest, latest) = (from + wait, to + wait);
    assert_eq!(entry.status, "pending", "{entry:?}");
    assert!(
        (earliest..=latest).contains(&entry.next_attempt_at),
        "next attempt {} not within [{earliest}, {latest}]",
        entry.next_attempt_at
    );
}

async fn retry_after_sets_the_next_attempt(db: Db) {
    // The schedule's second step is a minute: no second attempt happens while the test reads.
    let app = spawn_app_with(db, |s| {
        s.forwards.retry_schedule = vec![Duration::ZERO, Duration::from_secs(60), Duration::from_secs(60)];
        s.forwards.retry_jitter_percent = 0;
        s.forwards.retry_after_max_secs = 3600;
    })
    .await;
    let company = CompanyId::new();
    app.store.create_company(company, "Acme").await.unwrap();

    let seconds = Hook::with(429, Some("120")).await;
    let (e, from, to) = first_attempt(&app, company, "ra-seconds", &seconds).await;
    assert_due(&e, from, to, Duration::from_secs(120));
    assert_eq!(e.last_error.as_deref(), Some("receiver answered 429"));

    // An HTTP date has whole seconds: the wait is the date's distance, rounded down by at most 1 s.
    let at = Utc::now() + chrono::Duration::seconds(600);
    let date = Hook::with(503, Some(&at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())).await;
    let (e, _, _) = first_attempt(&app, company, "ra-date", &date).await;
    assert_eq!(e.next_attempt_at.timestamp(), at.timestamp(), "{e:?}");

    let too_long = Hook::with(429, Some("999999")).await;
    let (e, from, to) = first_attempt(&app, company, "ra-capped", &too_long).await;
    assert_due(&e, from, to, Duration::from_secs(3600));

    // No Retry-After, or an unreadable one: the schedule's next step.
    let unasked = Hook::with(503, Some("soon")).await;
    let (e, from, to) = first_attempt(&app, company, "ra-none", &unasked).await;
    assert_due(&e, from, to, Duration::from_secs(60));
    // Retry-After on an answer that does not ask to slow down is not honoured.
    let failing = Hook::with(500, Some("5")).await;
    let (e, from, to) = first_attempt(&app, company, "ra-500", &failing).await;
    assert_due(&e, from, to, Duration::from_secs(60));
    for hook in [&seconds, &date, &too_long, &unasked, &failing] {
        assert_eq!(hook.ids().len(), 1, "one attempt each");
    }
}
