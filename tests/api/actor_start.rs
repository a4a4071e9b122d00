//! A company's actor starts once: the webhooks that find it not running wait for the first one's
//! start instead of each loading the company's state; a start whose caller stopped waiting still
//! ends; a change made while it starts is applied once it runs.
use sqlx::Connection;
use switchboard::domain::CompanyId;
use uuid::Uuid;

use crate::backend_tests;
use crate::helpers::{spawn_app, within, Db, TestApp};
use crate::telnyx_events::message_received;
use crate::webhooks::{app_with_key, post_signed, seed, usage, ACME_SALES, CUSTOMER};

backend_tests!(a_burst_of_first_webhooks_starts_the_company_once);

async fn a_burst_of_first_webhooks_starts_the_company_once(db: Db) {
    let app = app_with_key(db).await;
    let (acme, _) = seed(&app).await;
    let before = app.registry.actor_starts();
    let bodies: Vec<Vec<u8>> =
        (0..32).map(|i| message_received(&format!("first-{i}"), CUSTOMER, &[ACME_SALES], &[], "hello")).collect();
    let answers = futures::future::join_all(bodies.iter().map(|b| post_signed(&app, b))).await;
    assert!(answers.iter().all(|r| r.status() == 200), "{:?}", answers.iter().map(|r| r.status()).collect::<Vec<_>>());
    assert_eq!(app.registry.actor_starts() - before, 1, "32 webhooks at once, one actor start");
    assert_eq!(usage(&app, acme, ACME_SALES).await.sms_received_count, 32);
    // Once running, nothing starts it again.
    assert_eq!(post_signed(&app, &message_received("later", CUSTOMER, &[ACME_SALES], &[], "hi")).await.status(), 200);
    assert_eq!(app.registry.actor_starts() - before, 1);
}

/// A company id whose last byte is zero: under the former scheme (reloads counted in 256 slots
/// picked by that byte) all such companies shared one count.
fn id_in_slot_zero() -> CompanyId {
    CompanyId::from_uuid(Uuid::from_u128(Uuid::new_v4().as_u128() & !0xff))
}

/// Holds `company`'s first load: another transaction is inserting its `company_routing` row, so
/// the load's own insert waits until [`let_go`].
async fn hold_first_load(app: &TestApp, company: CompanyId) -> sqlx::PgConnection {
    let mut holder = sqlx::PgConnection::connect(&app.db.url).await.expect("connect");
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("INSERT INTO company_routing (company_id, forward_secret, updated_at) VALUES ($1, 'held', now())")
        .bind(company.as_uuid())
        .execute(&mut holder)
        .await
        .unwrap();
    holder
}

/// Awaits a load waiting for the held row.
async fn until_the_load_waits(holder: &mut sqlx::PgConnection) {
    within("the load to wait for the held row", async {
        loop {
            // (pg_stat_activity may show the pooled connection's previous statement as its query.)
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND wait_event_type = 'Lock' AND wait_event = 'transactionid'",
            )
            .fetch_one(&mut *holder)
            .await
            .unwrap();
            if waiting == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
}

async fn let_go(mut holder: sqlx::PgConnection) {
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
}

/// Starts `company`'s actor while its first load is held, calls `meanwhile` once the load waits,
/// then lets the load go; answers how many states the registry loaded for that start.
async fn loads_of_a_start_during(
    app: &TestApp,
    company: CompanyId,
    meanwhile: impl std::future::Future<Output = ()>,
) -> u64 {
    let mut holder = hold_first_load(app, company).await;
    let before = app.registry.state_loads();
    let registry = app.registry.clone();
    // On this arbiter (an actor starts on the current one), as a webhook handler does.
    let start = actix_web::rt::spawn(async move { registry.actor(company).await.map(|_| ()) });
    until_the_load_waits(&mut holder).await;
    meanwhile.await;
    let_go(holder).await;
    within("the start", start).await.expect("joined").expect("started");
    app.registry.state_loads() - before
}

/// A webhook whose deadline passes while its company's state loads stops waiting, but the start
/// goes on: the next webhook finds the actor instead of loading the state again (with a database
/// slower than the deadline, every redelivery would otherwise cut its own load short).
#[actix_web::test]
async fn a_start_its_caller_stopped_waiting_for_still_ends_and_is_not_repeated() {
    let app = spawn_app(Db::Postgres).await;
    let company = CompanyId::new();
    app.store.create_company(company, "Slow Start").await.unwrap();
    let mut holder = hold_first_load(&app, company).await;
    let (loads, starts) = (app.registry.state_loads(), app.registry.actor_starts());
    let registry = app.registry.clone();
    let first = actix_web::rt::spawn(async move { registry.actor(company).await.map(|_| ()) });
    until_the_load_waits(&mut holder).await;
    // The first caller gives up (its deadline), as the ingress drops the future.
    first.abort();
    assert!(first.await.is_err_and(|e| e.is_cancelled()));
    let_go(holder).await;

    let next = within("the next caller", app.registry.actor(company)).await.expect("started");
    assert!(next.connected());
    assert_eq!(app.registry.state_loads() - loads, 1, "the state was loaded once");
    assert_eq!(app.registry.actor_starts() - starts, 1, "the company was started once");
}

#[actix_web::test]
async fn a_start_reloads_for_a_change_of_its_own_company_only() {
    let app = spawn_app(Db::Postgres).await;
    let (starting, other, changed) = (id_in_slot_zero(), id_in_slot_zero(), id_in_slot_zero());
    for (id, name) in [(starting, "Starting"), (other, "Other"), (changed, "Changed")] {
        app.store.create_company(id, name).await.unwrap();
    }
    // Another company's change while the start loads: one load.
    let loads = loads_of_a_start_during(&app, starting, async { app.registry.reload(other).await.unwrap() }).await;
    assert_eq!(loads, 1, "another company's change reloaded the starting actor");
    // Its own change while it loads: the load may have read the state before it, so once more.
    let loads = loads_of_a_start_during(&app, changed, async { app.registry.reload(changed).await.unwrap() }).await;
    assert_eq!(loads, 2, "the company's own change during its start was not applied");
}
