//! Group commit, observed in the database: the entries of one batch share one transaction, hence
//! one `received_at` (PostgreSQL's now() is the transaction's start), so the rows per distinct
//! `received_at` are the batch sizes.
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};
use switchboard::config::LedgerSettings;
use switchboard::ledger::{CommitMode, Ledger, LedgerEntry};
use tokio::sync::{oneshot, Notify};

use crate::helpers::{lock_waiters, sms_received_entries, spawn_app, within, Db, TestApp};

fn settings(flush_interval_ms: u64, batch_size: usize) -> LedgerSettings {
    LedgerSettings {
        flush_interval_ms,
        batch_size,
        commit_lanes: 1,
        commits_in_flight: 1,
        commit_deadline_ms: 5000,
        dedupe_retention_hours: 1,
        purge_interval_secs: 600,
    }
}

/// `n` entries, each counting one received message at one number of a new company.
async fn entries(app: &TestApp, n: usize) -> Vec<LedgerEntry> {
    sms_received_entries(app.store.as_ref(), n).await.1
}

/// Rows per transaction, in commit order.
async fn batch_sizes(conn: &mut PgConnection) -> Vec<i64> {
    sqlx::query_scalar("SELECT count(*) FROM webhook_events GROUP BY received_at ORDER BY received_at")
        .fetch_all(conn)
        .await
        .unwrap()
}

fn submit(
    ledger: &Ledger,
    entry: LedgerEntry,
) -> oneshot::Receiver<Result<switchboard::ledger::Committed, switchboard::ledger::LedgerError>> {
    let (done, wait) = oneshot::channel();
    ledger.submit(entry, Box::new(done));
    wait
}

#[actix_web::test]
async fn batches_hold_what_arrived_during_the_previous_commit_up_to_the_batch_size() {
    let app = spawn_app(Db::Postgres).await;
    let mut all = entries(&app, 13).await.into_iter();
    let (ledger, _closer, _task) =
        Ledger::start(app.store.clone(), &settings(0, 5), (1, 1), CommitMode::Batched, Arc::new(Notify::new()));

    // Hold the first commit at the table lock until twelve more entries are queued behind it.
    let mut lock = PgConnection::connect(&app.db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE webhook_events IN SHARE ROW EXCLUSIVE MODE").execute(&mut lock).await.unwrap();
    let first = submit(&ledger, all.next().unwrap());
    let mut watch = PgConnection::connect(&app.db.url).await.unwrap();
    within("the first commit to wait for the lock", lock_waiters(&mut watch, 1)).await;
    let rest: Vec<_> = all.map(|e| submit(&ledger, e)).collect();
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();

    within("the commits", async {
        first.await.expect("answered").unwrap();
        for wait in rest {
            wait.await.expect("answered").unwrap();
        }
    })
    .await;
    // Flush interval 0: the first entry committed alone at once; the twelve that queued during
    // its commit went in batches of at most 5.
    assert_eq!(batch_sizes(&mut watch).await, vec![1, 5, 5, 2]);
}

#[actix_web::test]
async fn a_flush_interval_holds_a_batch_open_until_it_is_full() {
    let app = spawn_app(Db::Postgres).await;
    let mut all = entries(&app, 4).await.into_iter();
    let mut conn = PgConnection::connect(&app.db.url).await.unwrap();

    // A lone entry waits out the interval...
    let (ledger, _closer, _task) =
        Ledger::start(app.store.clone(), &settings(300, 3), (1, 1), CommitMode::Batched, Arc::new(Notify::new()));
    let started = Instant::now();
    within("a lone entry", submit(&ledger, all.next().unwrap())).await.expect("answered").unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300), "committed after {:?}", started.elapsed());

    // ...and a full batch does not: with an interval of an hour, three entries commit together.
    let (ledger, _closer, _task) =
        Ledger::start(app.store.clone(), &settings(3_600_000, 3), (1, 1), CommitMode::Batched, Arc::new(Notify::new()));
    let mut waits = vec![submit(&ledger, all.next().unwrap())];
    // The test runtime has one thread: yielding lets the batcher take the entry and open its
    // batch (an hour's wait) before the two that fill it arrive.
    tokio::task::yield_now().await;
    waits.extend(all.map(|e| submit(&ledger, e)));
    within("a full batch", async {
        for wait in waits {
            wait.await.expect("answered").unwrap();
        }
    })
    .await;
    assert_eq!(batch_sizes(&mut conn).await, vec![1, 3]);
}
