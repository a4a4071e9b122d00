//! One run per mode, in one sitting: a fresh database, the daemon in that mode, the maximum rate,
//! then (except stateless) half that rate paced for latency, then the end checks; the ratios
//! between modes at the end.
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;

use crate::drive::run;
use crate::measure::{
    background_work, counted, cpu_secs, dedupe_index_blocks, machine_cpu_secs, postgres_cpu_secs, refusals, scrape,
};
use crate::seed::fresh_database;
use crate::shape::{self, Batch};
use crate::sink::Sink;
use crate::{events, start, Args};

/// What a mode measured, for the ratios.
struct Figures {
    rate: f64,
    daemon_us: f64,
    pg_us: f64,
    machine_us: f64,
}

fn batch(a: &Args, key: &SigningKey, port: u16, hot: Option<switchboard::domain::CompanyId>) -> Batch {
    match hot {
        Some(hot) => shape::requests(a, key, port, hot),
        None => Batch {
            reqs: events::requests(a, key, port),
            counted: a.events as i64,
            forwards: vec![],
            answers: 0,
            transfers: 0,
            step_ends: vec![],
        },
    }
}

pub async fn run_all(a: &Args, admin: &str) {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let sink = a.production.then(Sink::start);
    let mut figures: Vec<(String, Figures)> = Vec::new();
    for mode in &a.modes {
        let url = fresh_database(admin, a.companies, a.numbers).await;
        let hot = match &sink {
            Some(sink) => Some(shape::seed_hot(&url, sink).await),
            None => None,
        };
        let ports: Vec<u16> = (0..a.nodes.max(1))
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port())
            .collect();
        let port = ports[0];
        let mut full = batch(a, &key, port, hot);
        let reqs = Arc::new(std::mem::take(&mut full.reqs));
        let mut daemons = Vec::new();
        for p in &ports {
            daemons.push(start(mode, &url, *p, &key, sink.as_ref()).await);
        }
        if let (Some(hot), true) = (hot, a.day_keys > 0) {
            crate::seed::fill_day(&url, hot, a.day_keys).await;
        }
        let daemons_cpu = || daemons.iter().map(|d| cpu_secs(d.0.id())).sum::<f64>();
        let commands0 = sink.as_ref().map(|s| s.snapshot().2).unwrap_or_default();
        let all: Vec<usize> = (0..reqs.len()).collect();
        // Warm-up on a tenth (re-sent later: exactly-once makes the repeat count zero).
        let _ = run(&ports, &reqs, &all[..all.len() / 10], a.connections, None).await;
        let commits0 = scrape_all(&ports, "switchboard_ledger_commits_total").await;
        let commit_secs0 = scrape_all(&ports, "switchboard_ledger_commit_duration_seconds_sum").await;
        let (daemon_cpu0, pg_cpu0) = (daemons_cpu(), postgres_cpu_secs(&url).await);
        let (own_cpu0, (machine_cpu0, cores)) = (cpu_secs(std::process::id()), machine_cpu_secs());
        let blocks0 = dedupe_index_blocks(&url).await;
        let started = Instant::now();
        let (max, failed, sent_at) = run(&ports, &reqs, &all, a.connections, None).await;
        let (elapsed, machine_cpu1) = (started.elapsed().as_secs_f64(), machine_cpu_secs().0);
        // What the outbox still owes the receiver the moment the load stops.
        let backlog = sink.as_ref().map(|s| full.forwards.iter().filter(|id| !s.has_forward(id)).count());
        let own_us = (cpu_secs(std::process::id()) - own_cpu0) * 1e6 / a.events as f64;
        let machine_us = (machine_cpu1 - machine_cpu0) * 1e6 / a.events as f64;
        let busy = (machine_cpu1 - machine_cpu0) / (elapsed * cores as f64);
        let daemon_us = (daemons_cpu() - daemon_cpu0) * 1e6 / a.events as f64;
        let pg_us = (postgres_cpu_secs(&url).await - pg_cpu0) * 1e6 / a.events as f64;
        let commits = scrape_all(&ports, "switchboard_ledger_commits_total").await - commits0;
        let commit_secs = scrape_all(&ports, "switchboard_ledger_commit_duration_seconds_sum").await - commit_secs0;
        redeliver(&ports, &reqs, failed, a.connections).await;
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
        if let Some(backlog) = backlog.filter(|_| mode != "stateless") {
            let per_sec = full.forwards.len() as f64 / elapsed;
            println!(
                "{:>16}  outbox backlog at the end of the run: {backlog} of {} forwards ({:.2} s of forward traffic)",
                "",
                full.forwards.len(),
                backlog as f64 / per_sec.max(f64::MIN_POSITIVE)
            );
        }
        if max.non_200 > 0 {
            // Redelivered above (up to 20 rounds); this says why they were not acknowledged.
            println!("{:>16}  non-200 by status: {:?}", "", max.statuses);
            for line in refusals(port).await {
                println!("{:>16}  daemon, since start: {line}", "");
            }
        }
        figures.push((mode.clone(), Figures { rate: max.rate, daemon_us, pg_us, machine_us }));
        if let Some(sink) = sink.as_ref().filter(|_| mode != "stateless") {
            // The half-rate run starts on an empty outbox, so its latencies are its own.
            let waited = drained(sink, &full, &commands0).await;
            println!("{:>16}  outbox drained {waited:.2} s after the run ended", "");
        }
        if mode != "stateless" {
            // Read after the drain: by then every backend has reported the run's reads.
            let blocks = dedupe_index_blocks(&url).await;
            let (read, hit) = ((blocks.0 - blocks0.0) as f64, (blocks.1 - blocks0.1) as f64);
            println!(
                "{:>16}  dedupe key index blocks per event: {:.2} read from the OS, {:.2} from shared buffers",
                "",
                read / a.events as f64,
                hit / a.events as f64
            );
            // Half the maximum rate, paced, for latency (new events: their own ids).
            let half = batch(a, &key, port, hot);
            let half_reqs = Arc::new(half.reqs.clone());
            let count = half_reqs.len() / 2;
            let half_all: Vec<usize> = (0..count).collect();
            let background0 = background_work(&url).await;
            let (paced, paced_failed, paced_sent_at) =
                run(&ports, &half_reqs, &half_all, a.connections, Some(a.paced_rate.unwrap_or(max.rate / 2.0))).await;
            // Redelivered like the maximum rate's, before the counters are checked.
            redeliver(&ports, &half_reqs, paced_failed, a.connections).await;
            let background = background_work(&url).await;
            let (checkpoints, vacuums) = (background.0 - background0.0, background.1 - background0.1);
            println!(
                "{:>16}  at {} ({:.0}/s): p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  non-200 {}  (meanwhile: {checkpoints} checkpoints, {vacuums} autovacuum/analyze runs)",
                "", if a.paced_rate.is_some() { "the paced rate" } else { "half rate" }, paced.rate, paced.p50, paced.p99, paced.max, paced.non_200
            );
            println!("{:>16}  {}", "", paced.slowest);
            let half_counted = counted_prefix(&half, count);
            let expected = full.counted + half_counted;
            let got = counted(&url).await;
            println!(
                "{:>16}  database counters: {got} (expected {expected}: distinct events acknowledged) {}",
                "",
                if got == expected { "EXACT" } else { "MISMATCH" }
            );
            assert_eq!(got, expected, "counters must equal the distinct events acknowledged");
            let loads = scrape_all(&ports, "switchboard_company_state_loads_total").await;
            println!(
                "{:>16}  company states loaded: {loads:.0} (companies: {})",
                "",
                a.companies + usize::from(hot.is_some())
            );
            if let Some(sink) = &sink {
                let forwards: Vec<&String> = full.forwards.iter().chain(forwards_prefix(&half, count)).collect();
                let hot_events = count / 2;
                let answers = full.answers + (0..hot_events).filter(|k| k % 6 == 3).count() as u64;
                let transfers = full.transfers + (0..hot_events).filter(|k| k % 6 >= 4).count() as u64;
                deliveries(sink, &forwards, &commands0, (answers, transfers)).await;
                // The warm-up's events were sent first during the warm-up: measured from the run.
                let measured = |b: &Batch, sent: &std::collections::HashMap<usize, Instant>, from: usize| {
                    let ends = b.step_ends.iter().filter(|(i, _)| *i >= from);
                    step_latency(sink, ends, sent)
                };
                println!(
                    "{:>16}  chain step 2 (hangup of step 1 sent -> step 2's transfer at the Telnyx stand-in): \
                     at maximum rate {}; at half rate {}",
                    "",
                    measured(&full, &sent_at, reqs.len() / 10),
                    measured(&half, &paced_sent_at, 0)
                );
            }
        }
        drop(daemons);
        crate::seed::drop_database(admin, &url).await;
    }
    ratios(&figures);
}

/// Counter increments made by the first `count` events of `batch`.
fn counted_prefix(batch: &Batch, count: usize) -> i64 {
    if batch.forwards.is_empty() && batch.answers == 0 {
        return count as i64;
    }
    // Production shape: spread events (even indexes) count one each; hot conversations count 3 of 6.
    let spread = count.div_ceil(2);
    let hot: i64 = (0..count / 2).filter(|k| matches!(k % 6, 0 | 1 | 3)).count() as i64;
    spread as i64 + hot
}

/// The forwards made by the first `count` events of `batch` (every sixth hot event, from the first).
fn forwards_prefix(batch: &Batch, count: usize) -> impl Iterator<Item = &String> {
    let hot = count / 2;
    batch.forwards.iter().take(hot.div_ceil(6))
}

/// Awaits every forward and command of `batch` at the sink (bounded); the seconds it took.
async fn drained(sink: &Sink, batch: &Batch, commands0: &std::collections::HashMap<String, u64>) -> f64 {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        let (_, _, commands) = sink.snapshot();
        let sent = |kind: &str| commands.get(kind).copied().unwrap_or(0) - commands0.get(kind).copied().unwrap_or(0);
        let forwarded = batch.forwards.iter().all(|id| sink.has_forward(id));
        if forwarded && sent("answer") >= batch.answers && sent("transfer") >= batch.transfers {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed().as_secs_f64()
}

/// Awaits every forward at the receiver (bounded) and reports duplicates and call commands.
async fn deliveries(
    sink: &Sink,
    forwards: &[&String],
    commands0: &std::collections::HashMap<String, u64>,
    (answers, transfers): (u64, u64),
) {
    let started = Instant::now();
    let mut missing = forwards.len();
    while started.elapsed() < Duration::from_secs(120) {
        missing = forwards.iter().filter(|id| !sink.has_forward(id)).count();
        if missing == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let received = sink.received.lock().unwrap();
    let duplicates = forwards.iter().filter(|id| received.forwards.get(id.as_str()).is_some_and(|n| *n > 1)).count();
    let sent =
        |kind: &str| received.commands.get(kind).copied().unwrap_or(0) - commands0.get(kind).copied().unwrap_or(0);
    println!(
        "{:>16}  forwards: {} of {} delivered ({missing} missing after {:.1} s), duplicates by webhook-id: {duplicates}; \
         commands: answer {} (for {answers} inbound calls), transfer {} (expected {transfers}: step 1 of each answered call, step 2 of each step-1 hangup)",
        "",
        forwards.len() - missing,
        forwards.len(),
        started.elapsed().as_secs_f64(),
        sent("answer"),
        sent("transfer"),
    );
    assert_eq!(missing, 0, "every forward must reach the receiver");
}

/// p50/p99/max of the latency from each step-1 hangup's sending to step 2's transfer arriving.
fn step_latency<'a>(
    sink: &Sink,
    ends: impl Iterator<Item = &'a (usize, String)>,
    sent: &std::collections::HashMap<usize, Instant>,
) -> String {
    let mut ms: Vec<f64> = ends
        .filter_map(|(i, call)| {
            let at = sink.arrival(call, "transfer", shape::STEP_TARGETS[1])?;
            Some(at.checked_duration_since(*sent.get(i)?)?.as_secs_f64() * 1000.0)
        })
        .collect();
    if ms.is_empty() {
        return "no step 2 transfer arrived".into();
    }
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| ms[((ms.len() as f64 * p) as usize).min(ms.len() - 1)];
    format!("p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} calls)", q(0.5), q(0.99), q(1.0), ms.len())
}

/// Sends the events answered other than 200 again, as Telnyx redelivers them (up to 20 rounds),
/// so that every event of the run is acknowledged before the counters are checked.
async fn redeliver(ports: &[u16], reqs: &Arc<Vec<Vec<u8>>>, mut failed: Vec<usize>, connections: usize) {
    let mut rounds = 0;
    while !failed.is_empty() && rounds < 20 {
        failed = run(ports, reqs, &failed, connections.min(failed.len()), None).await.1;
        rounds += 1;
    }
    assert!(failed.is_empty(), "{} events still not acknowledged after 20 redeliveries", failed.len());
}

/// A metric summed over the daemons at `ports`.
async fn scrape_all(ports: &[u16], name: &str) -> f64 {
    let mut total = 0.0;
    for p in ports {
        total += scrape(*p, name).await;
    }
    total
}

fn ratios(figures: &[(String, Figures)]) {
    let find = |m: &str| figures.iter().find(|(n, _)| n == m).map(|(_, f)| f);
    let (Some(stateless), Some(ledger)) = (find("stateless"), find("ledger")) else { return };
    println!(
        "ratios: ledger/stateless throughput {:.2}; machine CPU per event stateless/ledger {:.2}; \
         (daemon + PostgreSQL CPU per ledger event) / (stateless daemon CPU per event) {:.2}; PostgreSQL CPU per ledger event {:.1} us",
        ledger.rate / stateless.rate,
        stateless.machine_us / ledger.machine_us,
        (ledger.daemon_us + ledger.pg_us) / stateless.daemon_us,
        ledger.pg_us
    );
    if let Some(baseline) = find("per_event_update") {
        println!("ratios: ledger/per_event_update throughput {:.2}", ledger.rate / baseline.rate);
    }
}
