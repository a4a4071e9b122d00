//! Load generator: pre-signs N distinct Telnyx events over C companies x M numbers, drives the real
//! daemon (release build) on PostgreSQL over K keep-alive connections, and reports throughput,
//! latency, ledger commits, and whether the database counters equal the events acknowledged.
//! Same run, three modes: `stateless` (verify + parse, the ceiling), `ledger` (the product) and
//! `per_event_update` (one transaction per event, the baseline).
//!
//! cargo bench --features bench-modes --bench loadgen -- [--events 60000] [--companies 1000] [--numbers 10] [--connections 512] [--shape spread|production] [--nodes 1]
//!
//! `--paced-rate N`: the latency phase paces N events/s instead of half the maximum rate, so two
//! builds can be compared at the same load.
//!
//! `--nodes N`: N daemons on the one database, the connections spread over them; CPU per event is
//! all the daemons' together.
//!
//! `--shape production` (shape.rs): half the events go to one hot company with routing rules
//! (inbound messages forwarded to a local receiver, inbound calls answered and transferred through
//! a Telnyx stand-in) and every event type of a message and a call; at the end it checks every
//! forward and command arrived, and reports the outbox backlog and duplicate forwards.
//!
//! `--drain 10000` (drain.rs): puts that many due forwards in the outbox, starts the daemon with
//! no traffic, and times the outbox delivering them to a local receiver.
//!
//! `--startup --companies 100000 --numbers 10 --events 2000` (startup.rs): bulk-loads that many
//! numbers, times the daemon to ready, then sends the webhooks at once (all must be 200).
//!
//! `--sendq postgres|sqlite --nodes 2 --messages 100000 --companies 1000 --account-rate 1000`
//! (sendq.rs): the send queue on the Telnyx simulator: rates, limits per window, fairness.
//!
//! 512 connections by default: with fewer, the ledger mode is paced by the round trips of too few
//! concurrent webhooks (each waits for its commit), not by the cores, so the run does not measure
//! its maximum rate; docs/BENCHMARKS.md has figures at 64, 256, 512 and 1,024.
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use ed25519_dalek::SigningKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod drain;
mod drive;
mod events;
mod measure;
mod modes;
mod seed;
mod sendq;
mod sendq_fleet;
mod sendq_report;
mod shape;
mod sink;
mod startup;

pub struct Args {
    events: usize,
    companies: usize,
    numbers: usize,
    connections: usize,
    modes: Vec<String>,
    /// `production`: a hot company with routing rules beside the spread ones (shape.rs).
    production: bool,
    /// `--drain N`: time the outbox draining N due forwards instead (drain.rs).
    drain: Option<usize>,
    /// `--startup`: time start-up at scale and the first webhooks after ready (startup.rs).
    startup: bool,
    /// `--sendq postgres|sqlite`: the send queue benchmark on that backend (sendq.rs).
    sendq: Option<String>,
    /// `--nodes N`: daemons on one database (sendq; the ingest modes: connections spread over them).
    nodes: usize,
    /// `--messages N`: messages queued (sendq).
    messages: usize,
    /// `--account-rate N`: the account's SMS per second, the simulator's and the daemons' (sendq).
    account_rate: u32,
    /// `--day-keys N`: today's dedupe partition already holds N keys of the hot company when the
    /// run starts, as mid-day on a busy database (production shape; seed.rs).
    day_keys: usize,
    /// `--paced-rate N`: the latency phase paces N events/s instead of half the maximum rate (to
    /// compare builds at the same load).
    paced_rate: Option<f64>,
}

fn args() -> Args {
    let mut a = Args {
        events: 60_000,
        companies: 1000,
        numbers: 10,
        connections: 512,
        modes: vec![],
        production: false,
        drain: None,
        startup: false,
        sendq: None,
        nodes: 1,
        messages: 100_000,
        account_rate: 1000,
        day_keys: 0,
        paced_rate: None,
    };
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
            "--shape" => a.production = v == "production",
            "--drain" => a.drain = Some(v.parse().expect("--drain N")),
            "--sendq" => a.sendq = Some(v),
            "--nodes" => a.nodes = v.parse().expect("--nodes N"),
            "--messages" => a.messages = v.parse().expect("--messages N"),
            "--account-rate" => a.account_rate = v.parse().expect("--account-rate N"),
            "--day-keys" => a.day_keys = v.parse().expect("--day-keys N"),
            "--paced-rate" => a.paced_rate = Some(v.parse().expect("--paced-rate N")),
            "--startup" => {
                a.startup = true;
                i += 1;
                continue;
            }
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

/// The daemon binary under test: this build's, or `SWITCHBOARD_BIN` (to compare two builds).
fn daemon_binary() -> String {
    std::env::var("SWITCHBOARD_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_switchboard").to_owned())
}

pub struct Daemon(pub Child);
impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

/// Starts the daemon in `mode`; with a `sink`, its Telnyx API is the sink's stand-in and message
/// forwards may go to the sink (loopback, plain http).
async fn start(mode: &str, url: &str, port: u16, key: &SigningKey, sink: Option<&sink::Sink>) -> Daemon {
    let pk = base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes());
    let mut env: Vec<(&str, String)> = vec![
        ("SWITCHBOARD__DATABASE__URL", url.to_owned()),
        ("SWITCHBOARD__DATABASE__MAX_CONNECTIONS", "8".into()),
        ("SWITCHBOARD__HTTP__BIND", format!("127.0.0.1:{port}")),
        ("SWITCHBOARD__TELNYX__PUBLIC_KEY", pk),
        ("SWITCHBOARD__WEBHOOKS__INGEST_MODE", mode.to_owned()),
        ("SWITCHBOARD__LOG__LEVEL", "error".into()),
    ];
    if let Some(sink) = sink {
        env.extend([
            ("SWITCHBOARD__TELNYX__BASE_URL", sink.base_url()),
            ("SWITCHBOARD__TELNYX__API_KEY", "KEYloadgen".into()),
            ("SWITCHBOARD__FORWARDS__INSECURE_HOSTS", "127.0.0.1".into()),
            ("SWITCHBOARD__FORWARDS__ALLOWED_CIDRS", "127.0.0.0/8".into()),
        ]);
    }
    spawn_daemon(&env, port).await
}

/// Starts the daemon under test with `env` (it binds `port`) and waits for `/readyz` to answer 200.
pub async fn spawn_daemon(env: &[(&str, String)], port: u16) -> Daemon {
    let child = Command::new(daemon_binary())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // `cargo test --all-targets` runs bench targets without --bench: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("loadgen: skipped (run it with `cargo bench --features bench-modes --bench loadgen`)");
        return;
    }
    let a = args();
    let admin = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    println!(
        "loadgen: {} events, {} companies x {} numbers, {} connections, {} shape, {} daemon(s), PostgreSQL at {admin}",
        a.events,
        a.companies,
        a.numbers,
        a.connections,
        if a.production { "production" } else { "spread" },
        a.nodes
    );
    if let Some(backend) = &a.sendq {
        return sendq::run(&a, &admin, backend).await;
    }
    match a.drain {
        Some(n) => drain::run(&a, &admin, n).await,
        None if a.startup => startup::run_startup(&a, &admin).await,
        None => modes::run_all(&a, &admin).await,
    }
}
