//! Several nodes on one PostgreSQL database.
use futures::future::join_all;
use switchboard::domain::PhoneNumber;
use switchboard::store::changes::Change;
use switchboard::store::NewNumber;

use crate::helpers::{start, test_settings, Db, TestApp, TestDb};
use crate::telnyx_events::*;
use crate::webhooks::{post_signed, seed, usage, ACME_SALES, ACME_SUPPORT, CUSTOMER};

async fn two_nodes() -> (TestApp, TestApp) {
    let db = TestDb::new(Db::Postgres).await;
    let key: [u8; 32] = signing_key().verifying_key().to_bytes();
    let mut settings = test_settings(&db.url);
    settings.telnyx.public_key = Some(key);
    let url = db.url.clone();
    let a = start(settings.clone(), db).await;
    let b = start(settings, TestDb::borrowed(&url)).await;
    (a, b)
}

#[actix_web::test]
async fn events_spread_over_two_nodes_with_duplicates_count_exactly_once() {
    let (a, b) = two_nodes().await;
    let (acme, _) = seed(&a).await;
    let bodies: Vec<Vec<u8>> = (0..200)
        .map(|i| {
            let to = if i % 2 == 0 { ACME_SALES } else { ACME_SUPPORT };
            message_received(&format!("two-{i}"), CUSTOMER, &[to], &[], "hi")
        })
        .collect();
    // Every event to one node, and every third one to both at once.
    let sends = bodies.iter().enumerate().flat_map(|(i, body)| {
        let first = if i % 2 == 0 { &a } else { &b };
        let mut v = vec![post_signed(first, body)];
        if i % 3 == 0 {
            v.push(post_signed(if i % 2 == 0 { &b } else { &a }, body));
        }
        v
    });
    let answers = join_all(sends).await;
    for r in answers {
        let status = r.status();
        assert!(status == 200 || status == 503, "answered {status}: {}", r.text().await.unwrap_or_default());
    }
    // As Telnyx does, redeliver whatever got no 200 (contention between nodes may answer 503).
    for (i, body) in bodies.iter().enumerate() {
        let node = if i % 2 == 0 { &b } else { &a };
        assert_eq!(post_signed(node, body).await.status(), 200);
    }
    let total =
        usage(&a, acme, ACME_SALES).await.sms_received_count + usage(&a, acme, ACME_SUPPORT).await.sms_received_count;
    assert_eq!(total, 200);
}

#[actix_web::test]
async fn a_number_added_through_node_a_is_known_to_node_b() {
    let (a, b) = two_nodes().await;
    let (acme, _) = seed(&a).await;
    let new = "+14155559999";
    a.store.insert_number(&NewNumber::new(acme, PhoneNumber::parse(new).unwrap())).await.unwrap();
    a.directory.refresh(acme, Change::Numbers).await;
    // Node B learns it through LISTEN/NOTIFY, or from the database when the notice has not
    // arrived yet (the owner index misses the number, or its actor lags the index): either way
    // every event it answers 200 for has counted, from the first one on.
    for i in 0..20 {
        let body = call_initiated(&format!("nb-{i}"), CUSTOMER, new, "incoming");
        assert_eq!(post_signed(&b, &body).await.status(), 200);
        assert_eq!(usage(&b, acme, new).await.incoming_calls_count, i + 1, "event nb-{i} answered 200");
    }
    assert!(b.store.dead_letters(10).await.unwrap().is_empty());
}
