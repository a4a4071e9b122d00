//! Slow clients: many idle connections and a few that trickle a request byte by byte (slowloris,
//! in the head and in the body) must not stop signed webhooks from being answered and counted.
//! The app runs with one HTTP worker, the hardest case.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::{port, within};
use crate::helpers::Db;
use crate::telnyx_events::*;
use crate::webhooks::{app_with_key, post_signed, seed, usage, ACME_SALES, ACME_SUPPORT, CUSTOMER};

const IDLE: usize = 200;
const TRICKLERS: usize = 20;
const WEBHOOKS: usize = 20;
/// One byte per tick: a ~900-byte request takes ~18 s, far longer than the webhooks need.
const TRICKLE_TICK: Duration = Duration::from_millis(20);

pub async fn run(db: Db) {
    // Arrange
    let app = app_with_key(db).await;
    let (acme, _) = seed(&app).await;
    let port = port(&app);
    let mut idle = Vec::with_capacity(IDLE);
    for i in 0..IDLE {
        let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("idle connection");
        if i % 2 == 1 {
            // Half of them start a request and then say nothing more.
            s.write_all(b"POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\n").await.expect("partial head");
        }
        idle.push(s);
    }
    let started = Arc::new(Semaphore::new(0));
    let trickled = Arc::new(AtomicUsize::new(0));
    let tricklers: Vec<_> = (0..TRICKLERS)
        .map(|i| {
            let body = call_initiated(&format!("slow-{i}"), CUSTOMER, ACME_SUPPORT, "incoming");
            let ts = now();
            let head = format!(
                "POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\ntelnyx-signature-ed25519: {}\r\ntelnyx-timestamp: {ts}\r\n\r\n",
                body.len(),
                sign_with(&signing_key(), ts, &body)
            );
            let mut request = head.clone().into_bytes();
            request.extend_from_slice(&body);
            // Even tricklers drip the head; odd ones send the head at once and drip the body.
            let start = if i % 2 == 0 { 0 } else { head.len() };
            let (started, trickled) = (started.clone(), trickled.clone());
            tokio::spawn(async move {
                let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("trickle connection");
                let mut pos = 0;
                if start > 0 && s.write_all(&request[..start]).await.is_ok() {
                    pos = start;
                }
                let mut tick = tokio::time::interval(TRICKLE_TICK);
                let mut announced = false;
                while pos < request.len() {
                    tick.tick().await;
                    if s.write_all(&request[pos..=pos]).await.is_err() {
                        break; // The server gave up on us: allowed.
                    }
                    pos += 1;
                    trickled.fetch_add(1, Ordering::Relaxed);
                    if !announced && pos >= start + 4 {
                        started.add_permits(1);
                        announced = true;
                    }
                }
                if !announced {
                    started.add_permits(1);
                }
            })
        })
        .collect();
    within("tricklers started", started.acquire_many(TRICKLERS as u32)).await.expect("semaphore").forget();

    // Act: Telnyx delivers while the slow clients hold their connections.
    let bodies: Vec<Vec<u8>> =
        (0..WEBHOOKS).map(|i| message_received(&format!("fast-{i}"), CUSTOMER, &[ACME_SALES], &[], "x")).collect();
    let answers = within("webhooks beside slow clients", join_all(bodies.iter().map(|b| post_signed(&app, b)))).await;

    // Assert
    let still_trickling = tricklers.iter().filter(|t| !t.is_finished()).count();
    assert!(answers.iter().all(|r| r.status() == 200), "{:?}", answers.iter().map(|r| r.status()).collect::<Vec<_>>());
    assert_eq!(usage(&app, acme, ACME_SALES).await.sms_received_count, WEBHOOKS as i64);
    assert_eq!(app.get("/healthz").await.status(), 200);
    println!(
        "slow clients ({db:?}): {IDLE} idle + {TRICKLERS} trickling connections; {WEBHOOKS} webhooks answered 200 and \
         counted; {still_trickling} tricklers still mid-request, {} bytes trickled",
        trickled.load(Ordering::Relaxed)
    );
    for t in tricklers {
        t.abort();
    }
    drop(idle);
}
