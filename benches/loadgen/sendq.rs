//! `--sendq postgres|sqlite [--nodes N] [--messages 100000] [--companies 1000] [--account-rate 1000]`:
//! issue 21's benchmark of the send queue on the Telnyx simulator.
//!
//! The fleet (sendq_fleet.rs): one hot company with half the messages, sent from toll-free
//! numbers enough to reach the account's rate alone, beside the other companies, each with a
//! toll-free number, a 10DLC campaign of two numbers, or a 10DLC number without a campaign. Every
//! message is queued before any daemon starts (through the store's own enqueue, the statement
//! `POST /v1/companies/{id}/messages` runs, so fair tags are the product's), then N daemons on the
//! same database send them to one simulator whose account limit is the daemons' (Telnyx answers
//! 429 with 40011 past it). At the end it reads the simulator's log: the send rate per second, each
//! limiter's busiest one-second window against its limit (per sender or campaign, and the
//! account over every node), and each company's last send against its fair share's ideal
//! (sendq_report.rs); and the database: every message `sent`, none sent twice.

use std::time::{Duration, Instant};

use switchboard::config::Settings;

#[path = "../../tests/common/telnyx_sim/mod.rs"]
#[allow(dead_code)]
mod telnyx_sim;

use crate::sendq_fleet::Fleet;
use crate::sendq_report::{report, Sent};
use crate::{spawn_daemon, Args, Daemon};

/// How long the run may take before the generator gives up (a hang, not a goal).
const RUN_LIMIT: Duration = Duration::from_secs(900);

pub async fn run(a: &Args, admin: &str, backend: &str) {
    let fleet = Fleet::new(a.companies, a.messages);
    let (url, cleanup) = fresh_database(admin, backend).await;
    let sim = telnyx_sim::TelnyxSim::start().await;
    sim.set_message_rate_limit(Some(telnyx_sim::RateLimit {
        per_second: a.account_rate as usize,
        per_sender: false,
        retry_after_secs: 1,
    }));
    let queued = Instant::now();
    let store = connect(&url).await;
    fleet.seed(&store).await;
    fleet.enqueue(&store, a.messages).await;
    store.close().await;
    println!(
        "sendq: {} messages of {} companies queued in {:.1} s on {backend}; {} node(s), account limit {}/s",
        a.messages,
        fleet.companies.len(),
        queued.elapsed().as_secs_f64(),
        a.nodes,
        a.account_rate
    );
    let started = Instant::now();
    let (machine_before, cores) = crate::measure::machine_cpu_secs();
    let own_before = crate::measure::cpu_secs(std::process::id());
    // PostgreSQL's background processes count from their start: only the run's share is read.
    let pg_before = match backend {
        "postgres" => crate::measure::postgres_cpu_secs(&url).await,
        _ => 0.0,
    };
    let daemons: Vec<(Daemon, u16)> = futures::future::join_all((0..a.nodes).map(|_| start(&url, &sim, a))).await;
    let total = a.messages;
    let mut last_count = 0;
    let mut last_change = Instant::now();
    loop {
        let n = sim.with_world(|w| w.messages.len());
        if n >= total {
            break;
        }
        if n != last_count {
            (last_count, last_change) = (n, Instant::now());
        }
        assert!(started.elapsed() < RUN_LIMIT, "sendq: only {n} of {total} sent after {RUN_LIMIT:?}");
        if last_change.elapsed() > Duration::from_secs(30) {
            println!("sendq: stalled at {n} of {total} sent");
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let the last answers be recorded before the daemons stop.
    let settled = wait_settled(&url, total).await;
    let elapsed = started.elapsed().as_secs_f64();
    let daemon_cpu: f64 = daemons.iter().map(|(d, _)| crate::measure::cpu_secs(d.0.id())).sum();
    for (i, (_, port)) in daemons.iter().enumerate() {
        println!("sendq: node {i}: {}", lateness(*port).await);
    }
    let pg_cpu = match backend {
        "postgres" => crate::measure::postgres_cpu_secs(&url).await - pg_before,
        _ => 0.0,
    };
    let own_cpu = crate::measure::cpu_secs(std::process::id()) - own_before;
    let machine = crate::measure::machine_cpu_secs().0 - machine_before;
    drop(daemons);
    let per = |cpu: f64| cpu * 1e6 / total as f64;
    println!(
        "sendq: CPU per message: daemons {:.0} us, PostgreSQL {:.0} us, simulator + generator {:.0} us; machine busy {:.2} of {cores} cores over {elapsed:.1} s (everything else: {:.0} us per message)",
        per(daemon_cpu),
        per(pg_cpu),
        per(own_cpu),
        machine / elapsed,
        per(machine - daemon_cpu - pg_cpu - own_cpu)
    );
    let sent: Vec<Sent> = sim.with_world(|w| {
        w.messages.iter().map(|m| Sent { from: m.from.clone(), text: m.text.clone(), at: m.arrived }).collect()
    });
    let throttled = sim.requests_to("POST /messages").iter().filter(|r| r.status == 429).count();
    report(&fleet, &sent, a.account_rate as f64, throttled, &settled);
    let violations = sim.take_violations();
    println!("sendq: spec violations {}", violations.len());
    for v in violations.iter().take(5) {
        println!("  {v:?}");
    }
    cleanup.await;
}

/// The database's final statuses by count, once nothing is `queued` or `sending` (or 60 s).
async fn wait_settled(url: &str, total: usize) -> Vec<(String, i64)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let pool_query = "SELECT status, count(*) FROM outbound_messages GROUP BY status ORDER BY status";
    let rows = loop {
        let rows: Vec<(String, i64)> = match url.starts_with("postgres") {
            true => {
                let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.unwrap();
                sqlx::query_as(pool_query).fetch_all(&mut c).await.unwrap()
            }
            false => {
                let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(url).await.unwrap();
                sqlx::query_as(pool_query).fetch_all(&mut c).await.unwrap()
            }
        };
        let open: i64 = rows.iter().filter(|(s, _)| s == "queued" || s == "sending").map(|(_, n)| n).sum();
        let counted: i64 = rows.iter().map(|(_, n)| n).sum();
        if (open == 0 && counted as usize == total) || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    rows
}

async fn connect(url: &str) -> switchboard::store::DynStore {
    let mut settings = Settings::load_with_env(None, Vec::new()).unwrap();
    settings.database.url = url.to_owned();
    settings.database.backend = switchboard::config::database_backend(url).unwrap();
    settings.database.max_connections = 16;
    switchboard::store::connect(&settings.database).await.expect("store")
}

/// A fresh database migrated by the daemon under test, and what removes it.
async fn fresh_database(admin: &str, backend: &str) -> (String, Cleanup) {
    match backend {
        "sqlite" => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}/sendq.db?mode=rwc", dir.path().display());
            crate::seed::migrate(&url);
            (url, Box::pin(async move { drop(dir) }))
        }
        _ => {
            let url = crate::seed::migrated_database(admin).await;
            let (admin, dropped) = (admin.to_owned(), url.clone());
            (url, Box::pin(async move { crate::seed::drop_database(&admin, &dropped).await }))
        }
    }
}

/// Removes a benchmark's database.
type Cleanup = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// The node's slot lateness (`switchboard_send_slot_lateness_seconds`, every sender type) as the
/// share of sends at most each bucket's bound late.
async fn lateness(port: u16) -> String {
    let prefix = "switchboard_send_slot_lateness_seconds_bucket{";
    let Ok(text) = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.and_then(|r| r.error_for_status())
    else {
        return "no metrics".into();
    };
    let Ok(text) = text.text().await else { return "no metrics".into() };
    let mut buckets: std::collections::BTreeMap<String, (f64, f64)> = Default::default();
    for line in text.lines().filter(|l| l.starts_with(prefix)) {
        let (Some(le), Some(n)) =
            (line.split("le=\"").nth(1).and_then(|r| r.split('"').next()), line.rsplit(' ').next())
        else {
            continue;
        };
        let bound = le.parse::<f64>().unwrap_or(f64::INFINITY);
        buckets.entry(le.to_owned()).or_insert((bound, 0.0)).1 += n.parse::<f64>().unwrap_or(0.0);
    }
    let mut sorted: Vec<(f64, f64)> = buckets.into_values().collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = sorted.last().map_or(0.0, |b| b.1).max(1.0);
    let shares: Vec<String> = sorted
        .iter()
        .filter(|(bound, _)| bound.is_finite())
        .map(|(bound, n)| format!("<={:.0}ms {:.2}%", bound * 1000.0, n * 100.0 / total))
        .collect();
    format!("{total:.0} sends, slot lateness {}", shares.join(", "))
}

/// A daemon sending through the simulator, its account limit the simulator's, and its port.
async fn start(url: &str, sim: &telnyx_sim::TelnyxSim, a: &Args) -> (Daemon, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let rate = a.account_rate.to_string();
    let env: Vec<(&str, String)> = vec![
        ("SWITCHBOARD__DATABASE__URL", url.to_owned()),
        ("SWITCHBOARD__HTTP__BIND", format!("127.0.0.1:{port}")),
        ("SWITCHBOARD__TELNYX__BASE_URL", sim.base_url().to_string()),
        ("SWITCHBOARD__TELNYX__API_KEY", "KEYloadgen".into()),
        ("SWITCHBOARD__TELNYX__PUBLIC_KEY", sim.public_key_base64()),
        ("SWITCHBOARD__SENDING__ACCOUNT_SMS_PER_SECOND", rate),
        ("SWITCHBOARD__LOG__LEVEL", "warn".into()),
    ];
    (spawn_daemon(&env, port).await, port)
}
