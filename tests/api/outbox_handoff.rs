//! The ledger hands the outbox items it commits to this node's worker (`ledger::handoff`): they
//! are committed held for it, reach it from memory, and stay out of every claim until the hold
//! lapses, when any worker (this node restarted, or another) claims them. A batch the worker has
//! no room for commits its items due, for the claim; a node that stops gives back the items its
//! worker had not taken.
use std::time::Duration;

use chrono::Utc;
use switchboard::config::LedgerSettings;
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::ledger::handoff::{hand_off, HeldItems, ToOutbox};
use switchboard::ledger::outbox_item::OutboxItem;
use switchboard::ledger::{CommitMode, Committed, CountKey, Counter, Ledger, LedgerCloser, LedgerEntry};
use switchboard::store::{NewNumber, NumberRecord};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::backend_tests;
use crate::helpers::{spawn_app, Db, TestApp};

backend_tests!(
    committed_items_reach_this_worker_held_and_other_workers_only_after_the_hold,
    a_batch_the_worker_has_no_room_for_commits_its_items_due,
    a_stopping_node_gives_back_what_it_held_and_later_commits_are_due
);

const HOLD: Duration = Duration::from_secs(60);

fn settings() -> LedgerSettings {
    LedgerSettings {
        flush_interval_ms: 0,
        batch_size: 100,
        commit_lanes: 1,
        commits_in_flight: 1,
        commit_deadline_ms: 5000,
        dedupe_retention_hours: 1,
        purge_interval_secs: 600,
    }
}

async fn number(app: &TestApp) -> (CompanyId, NumberRecord) {
    let company = CompanyId::new();
    app.store.create_company(company, "Held Co").await.unwrap();
    let phone = PhoneNumber::parse("+14155553100").unwrap();
    (company, app.store.insert_number(&NewNumber::new(company, phone)).await.unwrap())
}

/// Event `id` at `n`: an inbound call answered, then hung up (two call commands).
fn entry(company: CompanyId, n: &NumberRecord, id: &str) -> LedgerEntry {
    let mut e = LedgerEntry::new(id.to_owned().into());
    e.counts.push(CountKey {
        company_id: company,
        phone_number_id: n.id,
        phone_number: n.phone_number.clone(),
        counter: Counter::IncomingCalls,
        event_key: None,
        route: None,
    });
    e.outbox.push(OutboxItem::call_hangup(company, id, &format!("call-a-{id}")));
    e.outbox.push(OutboxItem::call_hangup(company, id, &format!("call-b-{id}")));
    e
}

/// A company with one number, and a ledger handing its items to a queue with room for `room`.
struct Arranged {
    app: TestApp,
    company: CompanyId,
    number: NumberRecord,
    ledger: Ledger,
    closer: LedgerCloser,
    task: tokio::task::JoinHandle<()>,
    held: HeldItems,
}

async fn arrange(db: Db, room: usize) -> Arranged {
    let app = spawn_app(db).await;
    let (company, number) = number(&app).await;
    let (hand_off, held) = hand_off(room, HOLD);
    let to_outbox = ToOutbox { wake: std::sync::Arc::new(Notify::new()), hand_off: Some(hand_off) };
    let (ledger, closer, task) = Ledger::start(app.store.clone(), &settings(), (1, 1), CommitMode::Batched, to_outbox);
    Arranged { app, company, number, ledger, closer, task, held }
}

/// The ids of the items `e` queues, sorted.
fn sorted_ids(e: &LedgerEntry) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = e.outbox.iter().map(|i| i.id).collect();
    ids.sort();
    ids
}

/// Closes the ledger and answers every item it handed over (none left once its hand-offs are
/// gone).
async fn close_and_drain(
    ledger: Ledger,
    closer: LedgerCloser,
    task: tokio::task::JoinHandle<()>,
    mut held: HeldItems,
) -> Vec<Uuid> {
    drop(ledger);
    closer.close();
    task.await.unwrap();
    let mut ids = Vec::new();
    while let Some(batch) = held.next_batch(100).await {
        ids.extend(batch.into_iter().map(|h| h.item.id));
    }
    ids
}

async fn claimed_at(app: &TestApp, at: chrono::DateTime<Utc>) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = app
        .store
        .claim_due_outbox(at, at + chrono::Duration::seconds(60), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.item.id)
        .collect();
    ids.sort();
    ids
}

async fn committed_items_reach_this_worker_held_and_other_workers_only_after_the_hold(db: Db) {
    // Arrange
    let Arranged { app, company, number, ledger, closer, task, mut held } = arrange(db, 16).await;
    let event = entry(company, &number, "ev-held");
    let ids = sorted_ids(&event);

    // Act
    assert_eq!(ledger.commit(event.clone()).await.unwrap(), Committed::Applied);
    let batch = held.next_batch(100).await.expect("the commit's items");

    // Assert: both items reached this worker, held until the hold's end, which is what the rows
    // say too; no claim takes them before it, any claim after it.
    let mut got: Vec<Uuid> = batch.iter().map(|h| h.item.id).collect();
    got.sort();
    assert_eq!(got, ids);
    let until = batch[0].until;
    assert!(until > Utc::now() + chrono::Duration::seconds(50), "held for the hold: {until}");
    let rows = app.store.list_outbox(company, 10).await.unwrap();
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(row.status, "pending");
        assert!((row.next_attempt_at - until).num_milliseconds().abs() <= 1, "{} vs {until}", row.next_attempt_at);
    }
    assert!(claimed_at(&app, Utc::now()).await.is_empty(), "held rows are no one else's to claim");
    assert_eq!(claimed_at(&app, until + chrono::Duration::seconds(1)).await, ids, "after the hold, any worker's");

    // A redelivery of the event queues nothing and hands nothing over.
    assert_eq!(ledger.commit(event).await.unwrap(), Committed::Duplicate);
    assert_eq!(close_and_drain(ledger, closer, task, held).await, Vec::<Uuid>::new());
}

async fn a_batch_the_worker_has_no_room_for_commits_its_items_due(db: Db) {
    // Arrange: room for one item; the event queues two.
    let Arranged { app, company, number, ledger, closer, task, held } = arrange(db, 1).await;
    let event = entry(company, &number, "ev-due");
    let ids = sorted_ids(&event);

    // Act
    assert_eq!(ledger.commit(event).await.unwrap(), Committed::Applied);

    // Assert: nothing handed over; both items due now, for the claim.
    assert_eq!(close_and_drain(ledger, closer, task, held).await, Vec::<Uuid>::new());
    assert_eq!(claimed_at(&app, Utc::now()).await, ids);
}

async fn a_stopping_node_gives_back_what_it_held_and_later_commits_are_due(db: Db) {
    // Arrange: one event committed held; the worker stopped before taking it.
    let Arranged { app, company, number, ledger, held, closer: _closer, task: _task } = arrange(db, 16).await;
    let first = entry(company, &number, "ev-before-stop");
    let mut ids = sorted_ids(&first);
    assert_eq!(ledger.commit(first).await.unwrap(), Committed::Applied);
    assert!(claimed_at(&app, Utc::now()).await.is_empty(), "held");

    // Act: the stop gives back what is left; an event committed afterwards.
    let held = tokio::sync::Mutex::new(held);
    switchboard::outbox::give_back_held(&app.store, &held).await;
    let second = entry(company, &number, "ev-after-stop");
    ids.extend(sorted_ids(&second));
    assert_eq!(ledger.commit(second).await.unwrap(), Committed::Applied);

    // Assert: every item is due now, for any worker; nothing reaches the closed queue.
    ids.sort();
    assert_eq!(claimed_at(&app, Utc::now()).await, ids);
    assert!(held.lock().await.next_batch(10).await.is_none(), "closed and empty");
}
