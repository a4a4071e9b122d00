//! The PostgreSQL pool checks a connection (one round trip) before handing it out only when it has
//! been idle longer than `database.ping_after_idle_ms`: a connection lost while idle that long is
//! replaced unseen, and a connection in steady use costs no extra round trip per statement.
use std::time::Duration;

use switchboard::store::DynStore;

use crate::helpers::{test_settings, Db, TestDb};

/// A migrated store on a fresh database whose pool checks connections idle longer than `window`.
async fn store_checking_after(window: Duration) -> (TestDb, DynStore) {
    let db = TestDb::new(Db::Postgres).await;
    let mut settings = test_settings(&db.url).database;
    settings.ping_after_idle = window;
    // One connection: the one the tests end.
    settings.max_connections = 1;
    let store = switchboard::store::connect(&settings).await.expect("connect");
    store.migrate().await.expect("migrate");
    store.readiness().await.expect("ready");
    (db, store)
}

/// Ends every backend of the store's pool (as a database restart does) and waits until they are
/// gone.
async fn end_pool_connections(db: &TestDb) {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&crate::helpers::postgres_admin_url()).await.expect("admin");
    let name = db.url.rsplit('/').next().expect("database name").to_owned();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'switchboard'",
    )
    .bind(&name)
    .fetch_all(&mut admin)
    .await
    .expect("terminate");
    assert!(!ended.is_empty(), "the pool holds a connection");
    crate::helpers::within("the pool's backends to end", async {
        loop {
            let left: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'switchboard'",
            )
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .expect("count");
            if left == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
}

#[actix_web::test]
async fn a_connection_lost_while_idle_past_the_window_is_replaced_unseen() {
    let window = Duration::from_millis(200);
    let (db, store) = store_checking_after(window).await;
    end_pool_connections(&db).await;
    // The window is a time: it has to pass (nothing else to wait for).
    tokio::time::sleep(window + Duration::from_millis(100)).await;
    store.readiness().await.expect("the check found the lost connection and the pool opened another");
}

#[actix_web::test]
async fn a_connection_used_within_the_window_is_not_checked_again() {
    let (db, store) = store_checking_after(Duration::from_secs(3600)).await;
    end_pool_connections(&db).await;
    // Handed out without a round trip: the lost connection's error reaches this one caller...
    assert!(store.readiness().await.is_err(), "a connection used moments ago was checked again");
    // ...and the pool drops it (its release check fails): the next statement gets a new one.
    store.readiness().await.expect("a new connection");
}
