//! Ready means ready: with 100,000 numbers of 10,000 companies bulk-loaded into PostgreSQL, the
//! real binary answers every webhook sent from the moment `/readyz` first answers 200 with 200
//! (start-up's work is done before it says ready: the owner index is read once, the change
//! listener is connected).
use std::time::Duration;

use futures::stream::{self, StreamExt};
use sqlx::Connection;

use super::daemon::{free_port, Daemon};
use super::load::tenant;
use super::report;
use crate::helpers::{Db, TestDb};
use crate::telnyx_events::{message_received, now, sign_with, signing_key};

const COMPANIES: i64 = 10_000;
const NUMBERS_PER_COMPANY: i64 = 10;
const WEBHOOKS: usize = 2_000;

/// The `i`-th bulk-loaded number (`+14152000000` onwards).
fn number(i: i64) -> String {
    format!("+1415{}", 2_000_000 + i)
}

#[actix_web::test]
async fn with_100_000_numbers_every_webhook_after_ready_is_answered_200() {
    // Arrange: the schema (through the store), then the companies and numbers in two statements.
    let db = TestDb::new(Db::Postgres).await;
    let migrated = tenant(&db.url).await;
    drop(migrated);
    let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    sqlx::query(
        "INSERT INTO companies (id, name) SELECT md5('ready-' || c)::uuid, 'Company ' || c \
         FROM generate_series(0, $1 - 1) AS c",
    )
    .bind(COMPANIES)
    .execute(&mut conn)
    .await
    .expect("companies");
    sqlx::query(
        "INSERT INTO phone_numbers (id, company_id, phone_number, formatted_number) \
         SELECT md5('number-' || i)::uuid, md5('ready-' || (i / $2))::uuid, \
                '+1415' || (2000000 + i), '+1415' || (2000000 + i) \
         FROM generate_series(0, $1 - 1) AS i",
    )
    .bind(COMPANIES * NUMBERS_PER_COMPANY)
    .bind(NUMBERS_PER_COMPANY)
    .execute(&mut conn)
    .await
    .expect("numbers");
    let logs = tempfile::tempdir().expect("log dir");
    let log = logs.path().join("switchboard.log");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client");

    // Act: start, await the first 200 from /readyz, then at once a burst of webhooks spread over
    // every company's numbers.
    let started = std::time::Instant::now();
    let mut daemon = Daemon::start(&db.url, free_port(), log);
    daemon.wait_ready(&client).await;
    let ready_after = started.elapsed();
    let total = COMPANIES * NUMBERS_PER_COMPANY;
    let statuses: Vec<u16> = stream::iter(0..WEBHOOKS)
        .map(|i| {
            let (client, base) = (&client, &daemon.base);
            async move {
                let to = number((i as i64 * 7_919) % total);
                let body = message_received(&format!("ready-{i}"), "+12065550100", &[&to], &[], "hi");
                let ts = now();
                client
                    .post(format!("{base}/webhooks/telnyx"))
                    .header("content-type", "application/json")
                    .header("telnyx-signature-ed25519", sign_with(&signing_key(), ts, &body))
                    .header("telnyx-timestamp", ts.to_string())
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;

    // Assert: every webhook answered 200, and each was counted on its number.
    let not_ok: Vec<&u16> = statuses.iter().filter(|s| **s != 200).collect();
    assert!(
        not_ok.is_empty(),
        "{} of {WEBHOOKS} webhooks after ready were not answered 200: {:?}; log: {}",
        not_ok.len(),
        &not_ok[..not_ok.len().min(20)],
        daemon.log_tail()
    );
    // A number's lifetime counter: its folded part and its rollup rows after it (migration 0029).
    let received: i64 = sqlx::query_scalar(
        "SELECT (SELECT COALESCE(SUM(folded_sms_received), 0) FROM phone_numbers)::bigint \
         + (SELECT COALESCE(SUM(u.sms_received), 0) FROM usage_daily u JOIN phone_numbers p \
         ON p.company_id = u.company_id AND p.id = u.phone_number_id AND u.day > p.folded_through)::bigint",
    )
    .fetch_one(&mut conn)
    .await
    .expect("sum");
    assert_eq!(received, WEBHOOKS as i64, "every acknowledged webhook is counted once");
    report("ready", &[("numbers", &total), ("ready_ms", &ready_after.as_millis()), ("webhooks_200", &statuses.len())]);
    daemon.terminate().await;
}
