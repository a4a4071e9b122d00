//! The production worker's delivered marks wait (`outbox::marks`) and are written together: the
//! marks of several delivered batches go in one statement, after their delay or when a stopping
//! node flushes them; until then the items are pending, as if their mark had failed.
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use switchboard::domain::CompanyId;
use switchboard::outbox::{DeliveredMarks, OutboxWorker};
use switchboard::startup::Application;
use switchboard::store::outbox::OutboxEntry;
use switchboard::telnyx::api::TelnyxApi;
use tokio::sync::Notify;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::backend_tests;
use crate::helpers::{forward_item, loopback_deliverer, spawn_app, test_settings, within, Db, TestApp, TestDb};

backend_tests!(
    the_marks_of_several_batches_wait_and_are_written_by_one_statement,
    the_writer_records_marks_once_their_delay_is_up,
    a_stopping_node_writes_the_marks_it_holds
);

/// A company and `n` forwards of it due now to a receiver that accepts them.
async fn arrange(app: &TestApp, n: usize) -> (CompanyId, MockServer) {
    let company = CompanyId::new();
    app.store.create_company(company, "Marks Co").await.unwrap();
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&receiver).await;
    let url = format!("{}/hook", receiver.uri());
    let items: Vec<_> = (0..n).map(|i| forward_item(company, &format!("ev-mark-{i}"), &url)).collect();
    assert_eq!(app.store.insert_outbox_items(&items).await.unwrap(), n as u64);
    (company, receiver)
}

fn worker(app: &TestApp, marks: &Arc<DeliveredMarks>) -> OutboxWorker {
    OutboxWorker::new(app.store.clone(), loopback_deliverer(TelnyxApi(None)), Arc::new(Notify::new()))
        .with_marks(marks.clone())
}

async fn rows(app: &TestApp, company: CompanyId) -> Vec<OutboxEntry> {
    app.store.list_outbox(company, 100).await.unwrap()
}

async fn the_marks_of_several_batches_wait_and_are_written_by_one_statement(db: Db) {
    let app = spawn_app(db).await;
    // More than one claim's worth (32): two batches delivered.
    let (company, receiver) = arrange(&app, 40).await;
    let marks = Arc::new(DeliveredMarks::new(Duration::from_secs(3600)));
    let worker = worker(&app, &marks);
    assert_eq!(worker.run_once().await.unwrap(), 32);
    assert_eq!(worker.run_once().await.unwrap(), 8);
    assert_eq!(receiver.received_requests().await.unwrap().len(), 40, "every forward was delivered");

    // Nothing written yet: the items are pending (a node dying now delivers them again once
    // their lease runs out), and their marks wait.
    assert_eq!(marks.waiting(), 40);
    let before = rows(&app, company).await;
    assert!(before.iter().all(|r| r.status == "pending" && r.delivered_at.is_none()), "{before:?}");

    marks.flush(&app.store).await;
    assert_eq!(marks.waiting(), 0);
    let after = rows(&app, company).await;
    assert_eq!(after.len(), 40);
    assert!(after.iter().all(|r| r.status == "delivered" && r.attempts == 1), "{after:?}");
    // One statement: every row carries the one delivered_at it bound.
    let stamps: HashSet<_> = after.iter().map(|r| r.delivered_at).collect();
    assert_eq!(stamps.len(), 1, "the two batches' marks were written together: {stamps:?}");
    assert_eq!(app.store.outbox_pending_count().await.unwrap(), 0);
    // Nothing is claimed again.
    assert_eq!(worker.run_once().await.unwrap(), 0);
}

async fn the_writer_records_marks_once_their_delay_is_up(db: Db) {
    let app = spawn_app(db).await;
    let (company, receiver) = arrange(&app, 5).await;
    let marks = Arc::new(DeliveredMarks::new(Duration::from_millis(20)));
    let writer = {
        let (marks, store) = (marks.clone(), app.store.clone());
        tokio::spawn(async move { marks.run(&store).await })
    };
    let worker = worker(&app, &marks);
    assert_eq!(worker.run_once().await.unwrap(), 5);
    assert_eq!(receiver.received_requests().await.unwrap().len(), 5);
    within("the marks to be written", async {
        while app.store.outbox_pending_count().await.unwrap() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let after = rows(&app, company).await;
    assert!(after.iter().all(|r| r.status == "delivered" && r.attempts == 1), "{after:?}");
    assert_eq!(marks.waiting(), 0);

    // Later marks are written by the same writer.
    let url = format!("{}/hook", receiver.uri());
    app.store.insert_outbox_items(&[forward_item(company, "ev-mark-late", &url)]).await.unwrap();
    assert_eq!(worker.run_once().await.unwrap(), 1);
    within("the later mark to be written", async {
        while app.store.outbox_pending_count().await.unwrap() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    writer.abort();
    assert_eq!(rows(&app, company).await.iter().filter(|r| r.status == "delivered").count(), 6);
}

async fn a_stopping_node_writes_the_marks_it_holds(db: Db) {
    let test_db = TestDb::new(db).await;
    let mut settings = test_settings(&test_db.url);
    // Longer than the test: only the stop can write them.
    settings.outbox.delivered_mark_delay_ms = 10_000;
    let database = settings.database.clone();
    let app = Application::build(settings).await.expect("application builds");
    let (stop, marks) = (app.server_handle(), app.delivered_marks());
    let running = actix_web::rt::spawn(app.run_until_stopped());
    let store = switchboard::store::connect(&database).await.expect("connect");
    let company = CompanyId::new();
    store.create_company(company, "Stopping Co").await.unwrap();
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&receiver).await;
    let url = format!("{}/hook", receiver.uri());
    let items: Vec<_> = (0..3).map(|i| forward_item(company, &format!("ev-stop-{i}"), &url)).collect();
    store.insert_outbox_items(&items).await.unwrap();

    // The node's worker claims and delivers them; their marks wait.
    within("the deliveries to be marked in memory", async {
        while marks.waiting() < 3 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(receiver.received_requests().await.unwrap().len(), 3);
    assert_eq!(store.outbox_pending_count().await.unwrap(), 3, "nothing written before the stop");

    stop.stop(true).await;
    within("the node to stop", running).await.unwrap().unwrap();
    assert_eq!(marks.waiting(), 0);
    let rows = store.list_outbox(company, 10).await.unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.status == "delivered" && r.attempts == 1), "{rows:?}");
}
