//! Load generator: pre-signs N distinct Telnyx events over C companies x M numbers, drives the real
//! daemon (release build) on PostgreSQL over K keep-alive connections, and reports throughput,
//! latency, ledger commits, and whether the database counters equal the events acknowledged.
//! Same run, three modes: `stateless` (verify + parse, the ceiling), `ledger` (the product) and
//! `per_event_update` (one transaction per event, the baseline).
//!
//! cargo bench --features bench-modes --bench loadgen -- [--events 60000] [--companies 1000] [--numbers 10] [--connections 512]
//!
//! 512 connections by default: with fewer, the ledger mode is paced by the round trips of too few
//! concurrent webhooks (each waits for its commit), not by the cores, so the run does not measure
//! its maximum rate; docs/BENCHMARKS.md has figures at 64, 256, 512 and 1,024.
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::json;
use sqlx::Connection;
use switchboard::config::{Backend, Settings};
use switchboard::domain::{CompanyId, PhoneNumber};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

struct Args {
    events: usize,
    companies: usize,
    numbers: usize,
    connections: usize,
    modes: Vec<String>,
}

fn args() -> Args {
    let mut a = Args { events: 60_000, companies: 1000, numbers: 10, connections: 512, modes: vec![] };
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        let v = argv.get(i + 1).cloned().unwrap_or_default();
        match argv[i].as_str() {
            "--events" => a.events = v.parse().expect("--events N"),
            "--companies" => a.companies = v.parse().expect("--companies N"),
            "--numbers" => a.numbers = v.parse().expect("--numbers N"),
            "--connections" => a.connections = v.parse().expect("--connections N"),
            "--mode" => a.modes.push(v),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    if a.modes.is_empty() {
        a.modes = vec!["stateless".into(), "ledger".into(), "per_event_update".into()];
    }
    a
}

fn number(c: usize, m: usize) -> String {
    format!("+1{}{:07}", 200 + (c % 700), (c / 700) * 100 + m)
}

async fn fresh_database(admin: &str, companies: usize, numbers: usize) -> String {
    let name = format!("sb_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("PostgreSQL (set DATABASE_URL)");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let mut url = url::Url::parse(admin).unwrap();
    url.set_path(&name);
    let mut settings = Settings::load_with_env(None, Vec::new()).unwrap();
    settings.database.url = url.to_string();
    settings.database.backend = Backend::Postgres;
    // The daemon under test applies its own migrations (it may be another build: SWITCHBOARD_BIN).
    let migrated = Command::new(daemon_binary())
        .arg("migrate")
        .env("SWITCHBOARD__DATABASE__URL", &settings.database.url)
        .stdout(Stdio::null())
        .status()
        .expect("switchboard migrate");
    assert!(migrated.success(), "switchboard migrate failed");
    // Seeded in two statements: one insert per number would take longer than the measurement.
    let company_ids: Vec<uuid::Uuid> = (0..companies).map(|_| CompanyId::new().as_uuid()).collect();
    let names: Vec<String> = (0..companies).map(|c| format!("Company {c}")).collect();
    let (mut ids, mut owners, mut phones, mut formatted) = (vec![], vec![], vec![], vec![]);
    for (c, company) in company_ids.iter().enumerate() {
        for m in 0..numbers {
            let phone = PhoneNumber::parse(&number(c, m)).unwrap();
            ids.push(uuid::Uuid::new_v4());
            owners.push(*company);
            formatted.push(phone.formatted());
            phones.push(phone.as_str().to_owned());
        }
    }
    let mut conn = sqlx::PgConnection::connect(&settings.database.url).await.unwrap();
    sqlx::query("INSERT INTO companies (id, name) SELECT * FROM unnest($1::uuid[], $2::text[])")
        .bind(&company_ids)
        .bind(&names)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO phone_numbers (id, company_id, phone_number, formatted_number) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])",
    )
    .bind(&ids)
    .bind(&owners)
    .bind(&phones)
    .bind(&formatted)
    .execute(&mut conn)
    .await
    .unwrap();
    url.to_string()
}

fn requests(a: &Args, key: &SigningKey, port: u16) -> Vec<Vec<u8>> {
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    (0..a.events)
        .map(|i| {
            let n = number(i % a.companies, (i / a.companies) % a.numbers);
            let id = format!("{}-{i}", uuid::Uuid::new_v4());
            let payload = match i % 3 {
                0 => json!({"id": "m", "direction": "inbound", "type": "SMS", "text": "Hello, I would like to know more about the plan we talked about yesterday.",
                    "from": {"phone_number": "+12065550100", "carrier": "T-Mobile USA", "line_type": "Wireless"},
                    "to": [{"phone_number": n, "status": "webhook_delivered", "carrier": "Telnyx", "line_type": "Wireline"}],
                    "cc": [], "media": [], "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809",
                    "organization_id": "b448f9cc-a842-4784-98e9-03c1a5872950", "parts": 1, "encoding": "GSM-7", "tags": [],
                    "received_at": "2026-11-25T10:00:00.000+00:00", "webhook_url": "https://example.com/webhooks/telnyx"}),
                1 => json!({"id": "m", "direction": "outbound", "type": "SMS", "text": "Thanks, we will call you back.",
                    "from": {"phone_number": n, "carrier": "Telnyx", "line_type": "Wireline"},
                    "to": [{"phone_number": "+12065550100", "status": "sent", "carrier": "T-Mobile USA", "line_type": "Wireless"}],
                    "cost": {"amount": "0.0040", "currency": "USD"}, "parts": 1, "encoding": "GSM-7",
                    "messaging_profile_id": "4001767e-ce0f-4cae-9d5f-0d5e636e7809"}),
                _ => json!({"call_control_id": "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
                    "call_leg_id": "428c31b6-7af4-4bcb-b7f5-5013ef9657c1", "call_session_id": "428c31b6-abf3-4bcb-b7f5-5013ef9657c1",
                    "client_state": "aGF2ZSBhIG5pY2UgZGF5ID1d", "connection_id": "7267xxxxxxxxxxxxxx",
                    "from": "+12065550100", "to": n, "direction": "incoming", "state": "parked",
                    "start_time": "2026-11-25T10:00:00.000000Z", "caller_id_name": "Customer"}),
            };
            let event_type = ["message.received", "message.sent", "call.initiated"][i % 3];
            let body = serde_json::to_vec(&json!({"data": {"event_type": event_type, "id": id,
                "occurred_at": "2026-11-25T10:00:00.000+00:00", "payload": payload, "record_type": "event"},
                "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks/telnyx"}}))
            .unwrap();
            let mut msg = format!("{ts}|").into_bytes();
            msg.extend_from_slice(&body);
            let sig = base64::engine::general_purpose::STANDARD.encode(key.sign(&msg).to_bytes());
            let mut req = format!(
                "POST /webhooks/telnyx HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n\
                 telnyx-signature-ed25519: {sig}\r\ntelnyx-timestamp: {ts}\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            req.extend_from_slice(&body);
            req
        })
        .collect()
}

/// The daemon binary under test: this build's, or `SWITCHBOARD_BIN` (to compare two builds).
fn daemon_binary() -> String {
    std::env::var("SWITCHBOARD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_switchboard").to_owned())
}

struct Daemon(Child);
impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

async fn start(mode: &str, url: &str, port: u16, key: &SigningKey) -> Daemon {
    let pk = base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes());
    let child = Command::new(daemon_binary())
        .env("SWITCHBOARD__DATABASE__URL", url)
        .env("SWITCHBOARD__DATABASE__MAX_CONNECTIONS", "8")
        .env("SWITCHBOARD__HTTP__BIND", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD__TELNYX__PUBLIC_KEY", pk)
        .env("SWITCHBOARD__WEBHOOKS__INGEST_MODE", mode)
        .env("SWITCHBOARD__LOG__LEVEL", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("switchboard binary");
    let daemon = Daemon(child);
    for _ in 0..400 {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)).await {
            let _ = s.write_all(b"GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n").await;
            let mut buf = [0u8; 12];
            if s.read_exact(&mut buf).await.is_ok() && &buf[9..12] == b"200" {
                return daemon;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("daemon did not become ready");
}

/// Sends `reqs[i]` for i in `indexes` on one connection; returns (index, status, latency us).
async fn connection(
    port: u16,
    reqs: Arc<Vec<Vec<u8>>>,
    indexes: Vec<usize>,
    pace: Option<(Duration, Duration)>,
) -> Vec<(usize, u16, u32)> {
    let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut out = Vec::with_capacity(indexes.len());
    let mut line = String::new();
    // Paced connections start staggered over one period, so arrivals are spread evenly in time
    // instead of every connection firing at the same instant (bursts that measure queueing).
    let mut next = Instant::now() + pace.map(|(_, offset)| offset).unwrap_or_default();
    for i in indexes {
        // Paced: latency counts from when the request was due, so a stalled daemon is not hidden
        // by the sender waiting for it (no coordinated omission).
        let t0 = match pace {
            Some((p, _)) => {
                let due = next;
                tokio::time::sleep_until(due.into()).await;
                next += p;
                due
            }
            None => Instant::now(),
        };
        w.write_all(&reqs[i]).await.unwrap();
        line.clear();
        r.read_line(&mut line).await.unwrap();
        let status: u16 = line.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let mut len = 0usize;
        loop {
            line.clear();
            r.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body).await.unwrap();
        out.push((i, status, t0.elapsed().as_micros() as u32));
    }
    out
}

struct RunResult {
    rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
    non_200: usize,
    /// (status, how many) of the answers that were not 200, most frequent first.
    statuses: Vec<(u16, usize)>,
}

async fn run(
    port: u16,
    reqs: &Arc<Vec<Vec<u8>>>,
    todo: &[usize],
    conns: usize,
    rate: Option<f64>,
) -> (RunResult, Vec<usize>) {
    let pace = rate.map(|r| Duration::from_secs_f64(conns as f64 / r));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..conns)
        .map(|c| {
            let idx: Vec<usize> = todo.iter().copied().skip(c).step_by(conns).collect();
            let pace = pace.map(|p| (p, p.mul_f64(c as f64 / conns as f64)));
            tokio::spawn(connection(port, reqs.clone(), idx, pace))
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = t0.elapsed().as_secs_f64();
    let failed: Vec<usize> = all.iter().filter(|(_, s, _)| *s != 200).map(|(i, _, _)| *i).collect();
    let mut statuses = std::collections::BTreeMap::new();
    for (_, s, _) in all.iter().filter(|(_, s, _)| *s != 200) {
        *statuses.entry(*s).or_insert(0usize) += 1;
    }
    let mut statuses: Vec<(u16, usize)> = statuses.into_iter().collect();
    statuses.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let mut lat: Vec<u32> = all.iter().map(|(_, _, l)| *l).collect();
    lat.sort_unstable();
    let q = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    (
        RunResult {
            rate: all.len() as f64 / secs,
            p50: q(0.5),
            p99: q(0.99),
            max: q(1.0),
            non_200: failed.len(),
            statuses,
        },
        failed,
    )
}

/// The daemon's own account of the webhooks it did not acknowledge (`outcome` label of
/// switchboard_webhooks_received_total other than counted, acknowledged, dead_letter, stateless).
async fn refusals(port: u16) -> Vec<String> {
    let body = metrics_text(port).await;
    let accepted = ["\"counted\"", "\"acknowledged\"", "\"dead_letter\"", "\"stateless\""];
    body.lines()
        .filter(|l| l.starts_with("switchboard_webhooks_received_total{"))
        .filter(|l| !accepted.iter().any(|a| l.contains(&format!("outcome={a}"))))
        .map(str::to_owned)
        .collect()
}

async fn metrics_text(port: u16) -> String {
    reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().text().await.unwrap()
}

async fn scrape(port: u16, name: &str) -> f64 {
    let body = metrics_text(port).await;
    body.lines().filter(|l| l.starts_with(name)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum()
}

/// CPU time (user + system) a process has used, in seconds (Linux /proc; 0 elsewhere).
fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// CPU seconds the whole machine has been busy so far (every core; /proc/stat's first line: all
/// but idle and iowait, in clock ticks), and the number of cores: with the daemon, PostgreSQL and
/// this generator on the same cores, a mode's ceiling is what one event costs all of them together.
fn machine_cpu_secs() -> (f64, usize) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cores = stat.lines().filter(|l| l.starts_with("cpu") && !l.starts_with("cpu ")).count().max(1);
    let total = stat.lines().next().unwrap_or_default();
    let busy: f64 = total
        .split_whitespace()
        .skip(1)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4) // idle, iowait
        .take(6) // user nice system (idle iowait) irq softirq steal; guest is inside user
        .filter_map(|(_, v)| v.parse::<f64>().ok())
        .sum();
    (busy / 100.0, cores)
}

/// CPU seconds used so far by the PostgreSQL backends serving `url`'s database (the daemon's
/// connections) plus the server's background processes (WAL writer, checkpointer, ...).
async fn postgres_cpu_secs(url: &str) -> f64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let pids: Vec<i32> = sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() AND pid <> pg_backend_pid()) \
         OR backend_type NOT IN ('client backend')",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    pids.iter().map(|p| cpu_secs(*p as u32)).sum()
}

/// Checkpoints the server has started, and autovacuum/autoanalyze runs on this database's tables
/// (background work that competes with commits for the same two cores).
async fn background_work(url: &str) -> (i64, i64) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let checkpoints = sqlx::query_scalar("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
        .fetch_one(&mut conn)
        .await
        .unwrap_or(0);
    let vacuums = sqlx::query_scalar(
        "SELECT COALESCE(sum(autovacuum_count + autoanalyze_count), 0)::bigint FROM pg_stat_user_tables",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap_or(0);
    (checkpoints, vacuums)
}

async fn counted(url: &str) -> i64 {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar("SELECT COALESCE(sum(incoming_calls_count + outgoing_calls_count + sms_sent_count + sms_received_count), 0)::bigint FROM phone_numbers")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo test --all-targets` runs bench targets without --bench: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("loadgen: skipped (run it with `cargo bench --features bench-modes --bench loadgen`)");
        return;
    }
    let a = args();
    let admin = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let key = SigningKey::from_bytes(&[42u8; 32]);
    println!(
        "loadgen: {} events, {} companies x {} numbers, {} connections, PostgreSQL at {admin}",
        a.events, a.companies, a.numbers, a.connections
    );
    let mut ceiling = None;
    for mode in &a.modes {
        let url = fresh_database(&admin, a.companies, a.numbers).await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let reqs = Arc::new(requests(&a, &key, port));
        let daemon = start(mode, &url, port, &key).await;
        let all: Vec<usize> = (0..reqs.len()).collect();
        // Warm-up on a tenth (re-sent later: exactly-once makes the repeat count zero).
        let _ = run(port, &reqs, &all[..all.len() / 10], a.connections, None).await;
        let commits0 = scrape(port, "switchboard_ledger_commits_total").await;
        let commit_secs0 = scrape(port, "switchboard_ledger_commit_duration_seconds_sum").await;
        let (daemon_cpu0, pg_cpu0) = (cpu_secs(daemon.0.id()), postgres_cpu_secs(&url).await);
        let (own_cpu0, (machine_cpu0, cores)) = (cpu_secs(std::process::id()), machine_cpu_secs());
        let started = Instant::now();
        let (max, mut failed) = run(port, &reqs, &all, a.connections, None).await;
        let (elapsed, machine_cpu1) = (started.elapsed().as_secs_f64(), machine_cpu_secs().0);
        let own_us = (cpu_secs(std::process::id()) - own_cpu0) * 1e6 / a.events as f64;
        let machine_us = (machine_cpu1 - machine_cpu0) * 1e6 / a.events as f64;
        let busy = (machine_cpu1 - machine_cpu0) / (elapsed * cores as f64);
        let daemon_us = (cpu_secs(daemon.0.id()) - daemon_cpu0) * 1e6 / a.events as f64;
        let pg_us = (postgres_cpu_secs(&url).await - pg_cpu0) * 1e6 / a.events as f64;
        let commits = scrape(port, "switchboard_ledger_commits_total").await - commits0;
        let commit_secs = scrape(port, "switchboard_ledger_commit_duration_seconds_sum").await - commit_secs0;
        let mut retries = 0;
        while !failed.is_empty() && retries < 20 {
            failed = run(port, &reqs, &failed, a.connections.min(failed.len()), None).await.1;
            retries += 1;
        }
        println!(
            "{mode:>16}: {:>8.0} events/s  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  non-200 {}  commits {}  events/commit {:.0}  mean commit {:.2} ms",
            max.rate,
            max.p50,
            max.p99,
            max.max,
            max.non_200,
            commits,
            if commits > 0.0 { a.events as f64 / commits } else { 0.0 },
            if commits > 0.0 { commit_secs * 1000.0 / commits } else { 0.0 }
        );
        println!("{:>16}  CPU per event: daemon {daemon_us:.1} us, PostgreSQL {pg_us:.1} us", "");
        println!(
            "{:>16}  machine CPU per event {machine_us:.1} us (this generator {own_us:.1} us); {cores} cores {:.0}% busy",
            "",
            busy * 100.0
        );
        if max.non_200 > 0 {
            // Redelivered below (up to 20 rounds); this says why they were not acknowledged.
            println!("{:>16}  non-200 by status: {:?}", "", max.statuses);
            for line in refusals(port).await {
                println!("{:>16}  daemon, since start: {line}", "");
            }
        }
        if mode == "stateless" {
            ceiling = Some((max.rate, machine_us));
        } else {
            if let Some((c, c_us)) = ceiling {
                // On saturated cores throughput is the inverse of the machine CPU per event.
                println!(
                    "{:>16}  ratio to the stateless ceiling: {:.2} (machine CPU per event, stateless/this mode: {:.2})",
                    "",
                    max.rate / c,
                    c_us / machine_us
                );
            }
            // Half the maximum rate, paced, for latency.
            let half_reqs = Arc::new(requests(&a, &key, port));
            let half_all: Vec<usize> = (0..half_reqs.len()).collect();
            let background0 = background_work(&url).await;
            let (half, _) =
                run(port, &half_reqs, &half_all[..half_all.len() / 2], a.connections, Some(max.rate / 2.0)).await;
            let background = background_work(&url).await;
            let (checkpoints, vacuums) = (background.0 - background0.0, background.1 - background0.1);
            println!(
                "{:>16}  at half rate ({:.0}/s): p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  (meanwhile: {checkpoints} checkpoints, {vacuums} autovacuum/analyze runs)",
                "", half.rate, half.p50, half.p99, half.max
            );
            let expected = (a.events + a.events / 2) as i64;
            let got = counted(&url).await;
            println!(
                "{:>16}  database counters: {got} (expected {expected}: distinct events acknowledged) {}",
                "",
                if got == expected { "EXACT" } else { "MISMATCH" }
            );
            assert_eq!(got, expected, "counters must equal the distinct events acknowledged");
        }
        drop(daemon);
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let name = url.rsplit('/').next().unwrap_or_default().to_owned();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
    }
}
