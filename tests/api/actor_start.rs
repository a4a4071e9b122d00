//! A company's actor starts once: the webhooks that find it not running wait for the first one's
//! start instead of each loading the company's state.
use crate::backend_tests;
use crate::helpers::Db;
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
