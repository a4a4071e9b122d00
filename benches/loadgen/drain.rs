//! `--drain N`: how fast the outbox drains a backlog. N due message forwards of the hot company
//! are put straight into the outbox (as a crash or an outage leaves them), the daemon starts with
//! no webhook traffic, and the generator times until the local receiver has every one.
use std::time::{Duration, Instant};

use sqlx::Connection;
use switchboard::domain::CompanyId;

use crate::seed::fresh_database;
use crate::shape;
use crate::sink::Sink;
use crate::{start, Args};

pub async fn run(a: &Args, admin: &str, n: usize) {
    let key = ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]);
    let sink = Sink::start();
    let url = fresh_database(admin, a.companies, a.numbers).await;
    let hot: CompanyId = shape::seed_hot(&url, &sink).await;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let ids: Vec<String> = (0..n).map(|i| format!("{run}-drain-{i}")).collect();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, next_attempt_at) \
         SELECT gen_random_uuid(), $1, e, 'forward_message', $2, \
                '{\"event_type\":\"message.received\",\"text\":\"Hello, I would like to know more about the plan.\"}', \
                now() - interval '1 minute' \
         FROM unnest($3::text[]) AS e",
    )
    .bind(hot.as_uuid())
    .bind(format!("{}/hooks/support", sink.base_url()))
    .bind(&ids)
    .execute(&mut conn)
    .await
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let daemon = start("ledger", &url, port, &key, Some(&sink)).await;
    let ready = started.elapsed();
    let mut delivered = 0;
    while started.elapsed() < Duration::from_secs(300) {
        delivered = sink.snapshot().0;
        if delivered >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = (started.elapsed() - ready).as_secs_f64();
    let (_, duplicates, _) = sink.snapshot();
    println!(
        "drain: {delivered} of {n} due forwards delivered in {secs:.2} s after ready ({:.0}/s), duplicates {duplicates}",
        delivered as f64 / secs
    );
    drop(daemon);
    crate::seed::drop_database(admin, &url).await;
}
