//! kill -9 under load: the real binary, thousands of signed events from many connections, killed
//! mid-way, restarted; everything that got no 200 is redelivered (as Telnyx would). The database
//! counters must equal the distinct events sent, exactly.
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use switchboard::config::Settings;
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::store::{self, NewNumber, NumberFilter};

use crate::backend_tests;
use crate::helpers::{Db, TestDb};
use crate::telnyx_events::*;

backend_tests!(kill_9_under_load_loses_nothing_and_counts_once);

const EVENTS: usize = 3000;
const CONNECTIONS: usize = 32;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_daemon(url: &str, port: u16) -> Daemon {
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("SWITCHBOARD__DATABASE__URL", url)
        .env("SWITCHBOARD__HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD__TELNYX__PUBLIC_KEY", public_key_b64())
        .env("SWITCHBOARD__LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start switchboard");
    Daemon(child)
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("daemon not ready at {base}");
}

/// Sends every body not yet acknowledged; marks the ones answered 200. Stops early (leaving the
/// rest unacknowledged) once `stop_after` acks were seen, if given.
async fn deliver(client: &reqwest::Client, base: &str, bodies: &Arc<Vec<Vec<u8>>>, acked: &Arc<Vec<AtomicUsize>>) {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, base, bodies, acked, next) =
                (client.clone(), base.to_owned(), bodies.clone(), acked.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= bodies.len() {
                        return;
                    }
                    if acked[i].load(Ordering::Relaxed) == 1 {
                        continue;
                    }
                    let ts = now();
                    let sig = sign_with(&signing_key(), ts, &bodies[i]);
                    let res = client
                        .post(format!("{base}/webhooks/telnyx"))
                        .header("telnyx-signature-ed25519", sig)
                        .header("telnyx-timestamp", ts.to_string())
                        .body(bodies[i].clone())
                        .send()
                        .await;
                    if matches!(res, Ok(ref r) if r.status() == 200) {
                        acked[i].store(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
}

async fn kill_9_under_load_loses_nothing_and_counts_once(db: Db) {
    let test_db = TestDb::new(db).await;
    let mut settings = Settings::load_with_env(None, Vec::new()).unwrap();
    settings.database.url = test_db.url.clone();
    settings.database.backend =
        if db == Db::Postgres { switchboard::config::Backend::Postgres } else { switchboard::config::Backend::Sqlite };
    let store = store::connect(&settings.database).await.unwrap();
    store.migrate().await.unwrap();
    let company = CompanyId::new();
    store.create_company(company, "Crash Co").await.unwrap();
    let numbers: Vec<String> = (0..10).map(|i| format!("+1415555{:04}", 2000 + i)).collect();
    for n in &numbers {
        store.insert_number(&NewNumber::new(company, PhoneNumber::parse(n).unwrap())).await.unwrap();
    }
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..EVENTS)
            .map(|i| {
                let n = &numbers[i % numbers.len()];
                match i % 3 {
                    0 => message_received(&format!("crash-{i}"), CUSTOMER_X, &[n], &[], "hi"),
                    1 => message_sent(&format!("crash-{i}"), n, CUSTOMER_X),
                    _ => call_initiated(&format!("crash-{i}"), CUSTOMER_X, n, "incoming"),
                }
            })
            .collect(),
    );
    let acked: Arc<Vec<AtomicUsize>> = Arc::new((0..EVENTS).map(|_| AtomicUsize::new(0)).collect());
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");

    let daemon = start_daemon(&test_db.url, port);
    wait_ready(&client, &base).await;
    // Load in the background; kill -9 once about a third is acknowledged.
    let load = {
        let (client, base, bodies, acked) = (client.clone(), base.clone(), bodies.clone(), acked.clone());
        tokio::spawn(async move { deliver(&client, &base, &bodies, &acked).await })
    };
    loop {
        let done = acked.iter().filter(|a| a.load(Ordering::Relaxed) == 1).count();
        if done >= EVENTS / 3 || load.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(daemon); // SIGKILL
    let _ = load.await;
    let acked_before = acked.iter().filter(|a| a.load(Ordering::Relaxed) == 1).count();
    assert!(acked_before < EVENTS, "the kill came after every event was acknowledged");

    let _daemon = start_daemon(&test_db.url, port);
    wait_ready(&client, &base).await;
    deliver(&client, &base, &bodies, &acked).await;
    assert!(acked.iter().all(|a| a.load(Ordering::Relaxed) == 1), "some events never got a 200");

    let total: i64 = store
        .list_numbers(company, NumberFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|n| n.usage.incoming_calls_count + n.usage.sms_sent_count + n.usage.sms_received_count)
        .sum();
    println!("kill -9 ({db:?}): {EVENTS} events sent, {acked_before} acknowledged before the kill, {total} counted");
    assert_eq!(total, EVENTS as i64);
    store.close().await;
}

const CUSTOMER_X: &str = "+12065550100";
