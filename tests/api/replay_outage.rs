//! The automatic replay after a database outage: webhooks answered 503 while the ledger cannot
//! commit are what Telnyx eventually gives up on; once commits succeed again, the background
//! replay reads them back from Telnyx's delivery log and counts each exactly once.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::future::join_all;

use crate::backend_tests;
use crate::helpers::{within, Db};
use crate::replay::{app_with_telnyx, failed_delivery, mount_pages};
use crate::telnyx_events::*;
use crate::webhooks::{post_signed, seed, usage, ACME_SALES, ACME_SUPPORT, CUSTOMER};
use wiremock::MockServer;

backend_tests!(after_an_outage_the_replay_counts_what_telnyx_gave_up_on);

async fn after_an_outage_the_replay_counts_what_telnyx_gave_up_on(db: Db) {
    let telnyx = MockServer::start().await;
    let app = app_with_telnyx(db, &telnyx, |s| {
        s.ledger.commit_deadline_ms = 400;
        s.replay.margin_secs = 60;
    })
    .await;
    let (acme, _) = seed(&app).await;
    let refused: Vec<Vec<u8>> =
        (0..10).map(|i| message_received(&format!("og-{i}"), CUSTOMER, &[ACME_SALES], &[], "x")).collect();
    // Two more that never reached us at all (Telnyx could not connect).
    let unseen: Vec<Vec<u8>> =
        (0..2).map(|i| call_initiated(&format!("og-unseen-{i}"), CUSTOMER, ACME_SUPPORT, "incoming")).collect();
    let outage_began = Utc::now();
    let lock = crate::outage::lock_writes(&app.db).await;
    let answers = join_all(refused.iter().map(|b| post_signed(&app, b))).await;
    assert!(answers.iter().all(|r| r.status() == 503), "{:?}", answers.iter().map(|r| r.status()).collect::<Vec<_>>());
    // Telnyx's retries ran out: its delivery log lists them as failed, on two pages.
    let records: Vec<_> =
        refused.iter().chain(&unseen).enumerate().map(|(i, b)| failed_delivery(&format!("od-{i}"), b)).collect();
    mount_pages(&telnyx, &[records[..6].to_vec(), records[6..].to_vec()]).await;

    lock.release().await;
    // Telnyx's traffic goes on; the first webhook that commits ends the outage (retried, as Telnyx
    // does, while the commits that waited on the lock finish).
    let next = message_sent("og-next", ACME_SALES, CUSTOMER);
    let mut committed = false;
    for _ in 0..20 {
        if post_signed(&app, &next).await.status() == 200 {
            committed = true;
            break;
        }
    }
    assert!(committed, "no webhook committed after the lock was released");

    // The replay runs in the background: await its effect, bounded.
    within("the replay after the outage", async {
        loop {
            let (sales, support) = (usage(&app, acme, ACME_SALES).await, usage(&app, acme, ACME_SUPPORT).await);
            if sales.sms_received_count >= 10 && support.incoming_calls_count >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    let (sales, support) = (usage(&app, acme, ACME_SALES).await, usage(&app, acme, ACME_SUPPORT).await);
    assert_eq!(sales.sms_received_count, 10, "each refused event counted exactly once");
    assert_eq!(sales.sms_sent_count, 1);
    assert_eq!(support.incoming_calls_count, 2);
    // One replay, of a window from before the first 503 to after the recovery, both pages read.
    let requests = telnyx.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let q: HashMap<String, String> = requests[0].url.query_pairs().into_owned().collect();
    let time = |k: &str| q[k].parse::<DateTime<Utc>>().unwrap();
    assert!(time("filter[started_at][gte]") <= outage_began, "{q:?}");
    assert!(time("filter[started_at][lte]") >= outage_began, "{q:?}");
    assert_eq!(q["filter[status][eq]"], "failed");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(r#"switchboard_webhook_replays_total{trigger="outage",outcome="ok"}"#), "{metrics}");
    assert!(metrics.contains("switchboard_webhook_outages_total "), "{metrics}");
}
