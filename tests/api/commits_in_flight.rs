//! Several commits in flight for one company (`ledger.commits_in_flight`): a batch commits while
//! an earlier batch of the same company is still in flight, and concurrent batches over the same
//! rows (the same numbers, the same events redelivered) neither deadlock nor count anything twice.
use std::sync::Arc;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use sqlx::{Connection, PgConnection};
use switchboard::config::LedgerSettings;
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::ledger::{CommitMode, CountKey, Counter, Ledger, LedgerEntry};
use switchboard::store::{NewNumber, NumberFilter, NumberRecord};
use tokio::sync::{oneshot, Notify};

use crate::helpers::{lock_waiters, spawn_app, within, Db, TestApp};

fn settings(batch_size: usize) -> LedgerSettings {
    LedgerSettings {
        flush_interval_ms: 0,
        batch_size,
        commit_lanes: 1,
        commits_in_flight: 1,
        commit_deadline_ms: 5000,
        dedupe_retention_hours: 1,
        purge_interval_secs: 600,
    }
}

/// A company with `n` numbers.
async fn company(app: &TestApp, n: usize) -> (CompanyId, Vec<NumberRecord>) {
    let company = CompanyId::new();
    app.store.create_company(company, "Hot Co").await.unwrap();
    let mut numbers = Vec::new();
    for i in 0..n {
        let phone = PhoneNumber::parse(&format!("+1415555{:04}", 3000 + i)).unwrap();
        numbers.push(app.store.insert_number(&NewNumber::new(company, phone)).await.unwrap());
    }
    (company, numbers)
}

/// Event `id` counting one received message at each of `numbers` (a message to several).
fn entry(company: CompanyId, id: &str, numbers: &[&NumberRecord]) -> LedgerEntry {
    let mut e = LedgerEntry::new(id.to_owned().into());
    for n in numbers {
        e.counts.push(CountKey {
            company_id: company,
            phone_number_id: n.id,
            phone_number: n.phone_number.clone(),
            counter: Counter::SmsReceived,
            event_key: None,
            route: None,
        });
    }
    e
}

type Wait = oneshot::Receiver<Result<switchboard::ledger::Committed, switchboard::ledger::LedgerError>>;

fn submit(ledger: &Ledger, entry: LedgerEntry) -> Wait {
    let (done, wait) = oneshot::channel();
    ledger.submit(entry, Box::new(done));
    wait
}

async fn received(app: &TestApp, company: CompanyId) -> Vec<i64> {
    let numbers = app.store.list_numbers(company, NumberFilter::default()).await.unwrap();
    let mut by_number: Vec<(String, i64)> =
        numbers.iter().map(|n| (n.phone_number.as_str().to_owned(), n.usage.sms_received_count)).collect();
    by_number.sort();
    by_number.into_iter().map(|(_, c)| c).collect()
}

#[actix_web::test]
async fn a_second_batch_of_the_same_company_commits_while_the_first_is_held() {
    // Arrange: two commits in flight, one entry per batch; number A's row of the day in the
    // rollup (what a commit writes for it) is locked elsewhere.
    let app = spawn_app(Db::Postgres).await;
    let (company, numbers) = company(&app, 2).await;
    let mut s = settings(1);
    s.commits_in_flight = 2;
    let (ledger, _closer, _task) =
        Ledger::start(app.store.clone(), &s, (1, s.commits_in_flight), CommitMode::Batched, Arc::new(Notify::new()));
    let mut lock = PgConnection::connect(&app.db.url).await.unwrap();
    sqlx::query(
        "INSERT INTO usage_daily (company_id, phone_number_id, day) VALUES ($1, $2, (now() AT TIME ZONE 'UTC')::date)",
    )
    .bind(company.as_uuid())
    .bind(numbers[0].id.as_uuid())
    .execute(&mut lock)
    .await
    .unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("SELECT 1 FROM usage_daily WHERE company_id = $1 AND phone_number_id = $2 FOR UPDATE")
        .bind(company.as_uuid())
        .bind(numbers[0].id.as_uuid())
        .execute(&mut lock)
        .await
        .unwrap();

    // Act: the first batch waits for A's lock; the second (number B) is submitted meanwhile.
    let first = submit(&ledger, entry(company, "ev-a", &[&numbers[0]]));
    let mut watch = PgConnection::connect(&app.db.url).await.unwrap();
    within("the first commit to wait for the row lock", lock_waiters(&mut watch, 1)).await;
    let second = submit(&ledger, entry(company, "ev-b", &[&numbers[1]]));

    // Assert: the second is durable while the first still waits; then both are counted once.
    within("the second commit, the first still held", second).await.expect("answered").unwrap();
    assert_eq!(received(&app, company).await, vec![0, 1]);
    sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
    within("the first commit", first).await.expect("answered").unwrap();
    assert_eq!(received(&app, company).await, vec![1, 1]);
}

#[actix_web::test]
async fn concurrent_batches_over_the_same_rows_neither_deadlock_nor_count_twice() {
    // Arrange: four commits in flight, small batches; 200 events of one company, each touching
    // two of its ten numbers (in both orders), every event submitted three times, shuffled.
    let app = spawn_app(Db::Postgres).await;
    let (company, numbers) = company(&app, 10).await;
    let mut s = settings(7);
    s.commits_in_flight = 4;
    let (ledger, _closer, _task) =
        Ledger::start(app.store.clone(), &s, (1, s.commits_in_flight), CommitMode::Batched, Arc::new(Notify::new()));
    let mut expected = vec![0i64; numbers.len()];
    let mut submissions = Vec::new();
    for i in 0..200 {
        let (a, b) = (i % 10, (i * 7 + 3) % 10);
        let pair = if i % 2 == 0 { [&numbers[a], &numbers[b]] } else { [&numbers[b], &numbers[a]] };
        let touched: Vec<&NumberRecord> = if a == b { vec![pair[0]] } else { pair.to_vec() };
        for n in &touched {
            expected[numbers.iter().position(|x| x.id == n.id).unwrap()] += 1;
        }
        for _ in 0..3 {
            submissions.push(entry(company, &format!("ev-{i}"), &touched));
        }
    }
    submissions.shuffle(&mut rand::rngs::StdRng::seed_from_u64(7));

    // Act
    let waits: Vec<Wait> = submissions.into_iter().map(|e| submit(&ledger, e)).collect();
    let mut failures = Vec::new();
    within("every commit", async {
        for wait in waits {
            if let Err(e) = wait.await.expect("answered") {
                failures.push(e.to_string());
            }
        }
    })
    .await;

    // Assert: every submission committed (a deadlock would fail a batch), each event once.
    assert!(failures.is_empty(), "{} submissions failed: {:?}", failures.len(), &failures[..failures.len().min(3)]);
    let mut by_phone: Vec<(String, i64)> =
        numbers.iter().zip(&expected).map(|(n, c)| (n.phone_number.as_str().to_owned(), *c)).collect();
    by_phone.sort();
    assert_eq!(received(&app, company).await, by_phone.into_iter().map(|(_, c)| c).collect::<Vec<_>>());
}
