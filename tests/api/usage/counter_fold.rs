//! A number's lifetime counters (migration 0029) are its folded part plus its daily rollup rows
//! after `folded_through`. Folding the closed days moves counts from the rows into the folded part
//! and changes no counter a read answers; a second fold adds nothing; a fold that lost the race
//! for a number to another node's fold adds nothing (PostgreSQL); counters stored before the
//! migration read the same after it, and go on counting.
use chrono::{Days, NaiveDate, Utc};
use sqlx::{Connection, PgConnection, SqliteConnection};
use switchboard::domain::CompanyId;
use switchboard::ledger::LedgerEntry;
use switchboard::store::counter_fold::{fold_all, foldable_through, FOLD_SQL};
use switchboard::store::{self, NumberFilter, Store};

use crate::backend_tests;
use crate::helpers::{sms_received_entries, test_settings, Db, TestDb};
use crate::upgrade::before;
use crate::upgrade_dedupe_key::received as received_event;

backend_tests!(folding_closed_days_changes_no_counter, counters_stored_before_the_migration_read_the_same);

mod postgres_only {
    #[actix_web::test]
    async fn a_fold_that_lost_the_race_for_a_number_adds_nothing() {
        super::a_fold_that_lost_the_race_for_a_number_adds_nothing().await
    }
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn days_ago(n: u64) -> NaiveDate {
    today() - Days::new(n)
}

/// Runs `sql` (no parameters) on the test database.
async fn exec(db: Db, url: &str, sql: &str) {
    match db {
        Db::Postgres => {
            let mut c = PgConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        Db::Sqlite => {
            let mut c = SqliteConnection::connect(url).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// The number's folded `sms_received` and the day it is folded through, as stored.
async fn folded(db: Db, url: &str) -> (i64, String) {
    let sql = "SELECT folded_sms_received, CAST(folded_through AS TEXT) FROM phone_numbers";
    match db {
        Db::Postgres => {
            let mut c = PgConnection::connect(url).await.unwrap();
            sqlx::query_as(sql).fetch_one(&mut c).await.unwrap()
        }
        Db::Sqlite => {
            let mut c = SqliteConnection::connect(url).await.unwrap();
            sqlx::query_as(sql).fetch_one(&mut c).await.unwrap()
        }
    }
}

/// A migrated store with nothing running beside it (a daemon folds at start, in the background).
async fn bare_store(db: Db) -> (TestDb, store::DynStore) {
    let test_db = TestDb::new(db).await;
    let store = store::connect(&test_settings(&test_db.url).database).await.unwrap();
    store.migrate().await.unwrap();
    (test_db, store)
}

async fn received(store: &dyn Store, company: CompanyId) -> i64 {
    store.list_numbers(company, NumberFilter::default()).await.unwrap()[0].usage.sms_received_count
}

/// Commits `entries` (all new) and dates the rollup row they made `day`, as if counted then.
async fn count_on(db: Db, url: &str, store: &dyn Store, entries: &[LedgerEntry], day: NaiveDate) {
    let refs: Vec<&LedgerEntry> = entries.iter().collect();
    assert_eq!(store.commit_batch(&refs).await.unwrap().counted, entries.len() as u64);
    if day != today() {
        exec(db, url, &format!("UPDATE usage_daily SET day = '{day}' WHERE day = '{}'", today())).await;
    }
}

async fn folding_closed_days_changes_no_counter(db: Db) {
    // Arrange: 40 messages on one number, counted five days ago, two days ago (the last day a fold
    // takes), yesterday and today, 10 each.
    let (test_db, store) = bare_store(db).await;
    let (store, url) = (store.as_ref(), test_db.url.as_str());
    let (company, entries) = sms_received_entries(store, 40).await;
    for (chunk, day) in entries.chunks(10).zip([days_ago(5), days_ago(2), days_ago(1), today()]) {
        count_on(db, url, store, chunk, day).await;
    }
    assert_eq!(received(store, company).await, 40, "every rollup row counts before a fold");
    assert_eq!(folded(db, url).await.0, 0);

    // Act
    let through = foldable_through(today());
    let numbers = fold_all(store, through).await.unwrap();

    // Assert: the two closed days moved into the folded part; the read did not change.
    assert_eq!(numbers, 1);
    assert_eq!(folded(db, url).await, (20, through.to_string()));
    assert_eq!(received(store, company).await, 40);
    // Folding again adds nothing; a redelivery of all 40 counts nothing; new events still count.
    assert_eq!(fold_all(store, through).await.unwrap(), 0);
    let refs: Vec<&LedgerEntry> = entries.iter().collect();
    assert_eq!(store.commit_batch(&refs).await.unwrap().duplicates, 40);
    assert_eq!((received(store, company).await, folded(db, url).await.0), (40, 20));
    let mut late = entries[0].clone();
    late.event_id = "ev-late".into();
    assert_eq!(store.commit_batch(&[&late]).await.unwrap().counted, 1);
    assert_eq!(received(store, company).await, 41);
}

async fn a_fold_that_lost_the_race_for_a_number_adds_nothing() {
    // Arrange: 10 messages four days ago, 10 three days ago, 10 today; nothing folded yet.
    let db = Db::Postgres;
    let (test_db, shared) = bare_store(db).await;
    let (store, url) = (shared.as_ref(), test_db.url.as_str());
    let (company, entries) = sms_received_entries(store, 30).await;
    for (chunk, day) in entries.chunks(10).zip([days_ago(4), days_ago(3), today()]) {
        count_on(db, url, store, chunk, day).await;
    }
    let number: uuid::Uuid = {
        let n = &store.list_numbers(company, NumberFilter::default()).await.unwrap()[0];
        n.id.as_uuid()
    };

    // Act: one node folds through four days ago and holds its transaction open; another node's fold
    // through three days ago summed from the same starting point and waits for the row.
    let mut first = PgConnection::connect(url).await.unwrap();
    let mut tx = first.begin().await.unwrap();
    let done =
        sqlx::query(FOLD_SQL).bind(days_ago(4)).bind(None::<uuid::Uuid>).bind(number).execute(&mut *tx).await.unwrap();
    assert_eq!(done.rows_affected(), 1);
    let racing = {
        let store = shared.clone();
        tokio::spawn(async move { store.fold_counters(days_ago(3), None, 100).await })
    };
    let mut watch = PgConnection::connect(url).await.unwrap();
    loop {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND query LIKE 'WITH due AS%'",
        )
        .fetch_one(&mut watch)
        .await
        .unwrap();
        if waiting == 1 {
            break;
        }
        assert!(!racing.is_finished(), "the racing fold ended without waiting: {:?}", racing.await);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    tx.commit().await.unwrap();
    let lost = racing.await.unwrap().unwrap();

    // Assert: the second fold skipped the number (its sums were from before the first fold); every
    // read stays exact, and a later fold takes the day it did not.
    assert_eq!(lost.folded, 0, "the fold that lost the race changed nothing");
    assert_eq!(folded(db, url).await, (10, days_ago(4).to_string()));
    assert_eq!(received(store, company).await, 30);
    assert_eq!(fold_all(store, days_ago(3)).await.unwrap(), 1);
    assert_eq!(folded(db, url).await, (20, days_ago(3).to_string()));
    assert_eq!(received(store, company).await, 30);
}

async fn counters_stored_before_the_migration_read_the_same(db: Db) {
    // Arrange: the previous release's schema, a number with counters (12 messages, 3 calls in) and
    // its rollup rows: today's (5 messages, 1 call, already in the counters) and an older day's.
    let test_db = TestDb::new(db).await;
    let (company, number) = (CompanyId::new(), uuid::Uuid::new_v4());
    let old_data = [
        "INSERT INTO companies (id, name, created_at) VALUES ($1, 'Acme', $3)".to_owned(),
        "INSERT INTO phone_numbers (id, company_id, phone_number, formatted_number, created_at, updated_at, \
         sms_received_count, incoming_calls_count) VALUES ($2, $1, '+18314280176', '+1 831-428-0176', $3, $3, 12, 3)"
            .to_owned(),
        format!(
            "INSERT INTO usage_daily (company_id, phone_number_id, day, sms_received, incoming_calls) \
             VALUES ($1, $2, '{}', 5, 1)",
            today()
        ),
        format!(
            "INSERT INTO usage_daily (company_id, phone_number_id, day, sms_received) VALUES ($1, $2, '{}', 4)",
            days_ago(3)
        ),
    ];
    let now = Utc::now();
    macro_rules! old_release {
        ($conn:expr, $migrator:expr) => {{
            let mut conn = $conn;
            before($migrator, 29).run(&mut conn).await.expect("older migrations");
            for sql in &old_data {
                sqlx::query(sql)
                    .bind(company.as_uuid())
                    .bind(number)
                    .bind(now)
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            conn.close().await.unwrap();
        }};
    }
    match db {
        Db::Postgres => old_release!(PgConnection::connect(&test_db.url).await.unwrap(), &store::postgres::MIGRATOR),
        Db::Sqlite => old_release!(
            SqliteConnection::connect(&format!("{}?mode=rwc", test_db.url)).await.unwrap(),
            &store::sqlite::MIGRATOR
        ),
    }

    // Act: this release migrates.
    let store = store::connect(&test_settings(&test_db.url).database).await.unwrap();
    store.migrate().await.unwrap();

    // Assert: the same counters; today's row is out of the folded part, so counting goes on once.
    let n = &store.list_numbers(company, NumberFilter::default()).await.unwrap()[0];
    assert_eq!((n.usage.sms_received_count, n.usage.incoming_calls_count), (12, 3));
    assert_eq!(folded(db, &test_db.url).await, (7, days_ago(1).to_string()));
    assert_eq!(store.commit_batch(&[&received_event(company, number, "ev-after", now)]).await.unwrap().counted, 1);
    assert_eq!(fold_all(store.as_ref(), foldable_through(today())).await.unwrap(), 0, "nothing closed to fold");
    let n = &store.list_numbers(company, NumberFilter::default()).await.unwrap()[0];
    assert_eq!(n.usage.sms_received_count, 13);
}
