//! A company's actor starts once: the webhooks that find it not running wait for the first one's
//! start instead of each loading the company's state; a change made while it starts is applied
//! once it runs.
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

/// Starts `company`'s actor while its first load is held (its `company_routing` row is being
/// inserted by another transaction), calls `meanwhile` once the load waits, then lets the load
/// go; answers how many states the registry loaded for that start.
async fn loads_of_a_start_during(
    app: &TestApp,
    company: CompanyId,
    meanwhile: impl std::future::Future<Output = ()>,
) -> u64 {
    let mut holder = sqlx::PgConnection::connect(&app.db.url).await.expect("connect");
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("INSERT INTO company_routing (company_id, forward_secret, updated_at) VALUES ($1, 'held', now())")
        .bind(company.as_uuid())
        .execute(&mut holder)
        .await
        .unwrap();
    let before = app.registry.state_loads();
    let registry = app.registry.clone();
    // On this arbiter (an actor starts on the current one), as a webhook handler does.
    let start = actix_web::rt::spawn(async move { registry.actor(company).await.map(|_| ()) });
    within("the load to wait for the held row", async {
        loop {
            // (pg_stat_activity may show the pooled connection's previous statement as its query.)
            let waiting: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND wait_event_type = 'Lock' AND wait_event = 'transactionid'",
            )
            .fetch_one(&mut holder)
            .await
            .unwrap();
            if waiting == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    meanwhile.await;
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    within("the start", start).await.expect("joined").expect("started");
    app.registry.state_loads() - before
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
