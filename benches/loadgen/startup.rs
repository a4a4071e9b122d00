//! `--startup`: start-up at scale. `--companies` x `--numbers` are bulk-loaded, the daemon is
//! started and timed to its first `/readyz` 200, then `--events` signed webhooks spread over every
//! company are sent at once (every answer must be 200), and the daemon's resident memory is read
//! before and after (company actors started on demand by those events).
use std::sync::Arc;
use std::time::Instant;

use ed25519_dalek::SigningKey;

use crate::drive::run;
use crate::seed::fresh_database;
use crate::{events, start, Args};

/// Resident memory of a process in MiB (Linux /proc; 0 elsewhere).
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

pub async fn run_startup(a: &Args, admin: &str) {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let seeded = Instant::now();
    let url = fresh_database(admin, a.companies, a.numbers).await;
    println!(
        "startup: {} companies x {} numbers loaded in {:.1} s",
        a.companies,
        a.numbers,
        seeded.elapsed().as_secs_f64()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let reqs = Arc::new(events::requests(a, &key, port));
    let started = Instant::now();
    let daemon = start("ledger", &url, port, &key, None).await;
    let ready = started.elapsed().as_secs_f64();
    let rss_ready = rss_mib(daemon.0.id());
    let all: Vec<usize> = (0..reqs.len()).collect();
    let (burst, _, _) = run(&[port], &reqs, &all, a.connections, None).await;
    let companies_touched = a.events.min(a.companies);
    println!(
        "startup: ready (first /readyz 200) after {ready:.2} s, RSS {rss_ready:.0} MiB; then {} webhooks at once over \
         {companies_touched} companies: {} not 200 {:?}, p99 {:.1} ms; RSS after {:.0} MiB",
        a.events,
        burst.non_200,
        burst.statuses,
        burst.p99,
        rss_mib(daemon.0.id())
    );
    drop(daemon);
    crate::seed::drop_database(admin, &url).await;
}
