//! PostgreSQL restarts under load: the real binary on a throwaway cluster takes a steady stream of
//! events; the server is stopped (immediate, then fast, in turn) and started again. While it is
//! down the daemon answers webhooks 503 (it neither hangs nor crashes, /healthz stays 200); once
//! it is back the same daemon process answers 200 again by itself, and after redelivery the
//! counters are exact. Afterwards a change published through the database reaches the daemon,
//! so its LISTEN connection came back too.
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchboard::domain::PhoneNumber;
use switchboard::store::NewNumber;

use super::daemon::{free_port, Daemon};
use super::load::{events, tenant, CUSTOMER};
use super::pg_cluster::{PgCluster, StopMode};
use super::sender::{Sender, SenderConfig};
use super::sizes::Sizes;
use super::{counted, report};
use crate::telnyx_events::{message_received, now, sign_with, signing_key};

/// How long the daemon may take to answer 200 again once the server is back before the test calls
/// it stuck (a bound on a hang, not a timing goal: the figure printed is the measured time).
const RECOVERY_BOUND: Duration = Duration::from_secs(60);

#[actix_web::test]
async fn postgres_restart_under_load_answers_503_then_recovers_without_a_daemon_restart() {
    // Arrange
    let sizes = Sizes::from_env();
    let seed = Sizes::seed();
    println!("reliability seed: db_restart seed={seed} (replay with SWITCHBOARD_RELIABILITY_SEED={seed})");
    let cluster = match PgCluster::start() {
        Ok(c) => c,
        Err(reason) => {
            println!("reliability: db_restart skipped: {reason}");
            return;
        }
    };
    let tenant = tenant(&cluster.url()).await;
    let logs = tempfile::tempdir().expect("log dir");
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().expect("client");
    let mut daemon = Daemon::start(&cluster.url(), free_port(), logs.path().join("switchboard.log"));
    daemon.wait_ready(&client).await;
    let config = SenderConfig {
        targets: vec![daemon.base.clone()],
        connections: sizes.connections,
        rate: sizes.rate,
        min_events: sizes.events,
        duplicate_share: sizes.duplicate_share,
        seed,
    };
    let sender = Sender::start(config, events("restart", &tenant.numbers));

    // Act and assert, once per restart.
    let mut rng = StdRng::seed_from_u64(seed);
    let mut recoveries = Vec::new();
    for r in 0..sizes.db_restarts {
        // Random moments and outage lengths are the point of these waits, not synchronization.
        tokio::time::sleep(rng.gen_range(sizes.kill_delay.0..=sizes.kill_delay.1)).await;
        let mode = if r % 2 == 0 { StopMode::Immediate } else { StopMode::Fast };
        cluster.stop(mode);
        // A probe event (it counts once, when finally acknowledged).
        let probe = message_received(&format!("probe-{r}"), CUSTOMER, &[&tenant.numbers[0]], &[], "probe");
        assert_down_but_answering(&client, &mut daemon, &probe, mode).await;
        tokio::time::sleep(rng.gen_range(sizes.db_down.0..=sizes.db_down.1)).await;
        assert_down_but_answering(&client, &mut daemon, &probe, mode).await;

        cluster.restart();
        let restarted = Instant::now();
        loop {
            let last = match post(&client, &daemon.base, &probe).await {
                Ok(200) => break,
                Ok(s) => format!("answered {s}"),
                Err(e) => format!("no answer ({e})"),
            };
            assert!(
                restarted.elapsed() < RECOVERY_BOUND,
                "the daemon did not recover by itself within {RECOVERY_BOUND:?} after PostgreSQL came back \
                 ({mode:?} stop); the probe webhook last {last}; /readyz {}; log:\n{}",
                status(&client, &daemon.base, "/readyz").await,
                daemon.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        recoveries.push(format!("{:.2}", restarted.elapsed().as_secs_f64()));
        assert_eq!(status(&client, &daemon.base, "/readyz").await, "200", "readiness did not recover");
    }
    let figures = sender.finish(sizes.drain_bound).await;
    let total = counted(&tenant.store, tenant.company).await;
    let changes_followed = a_change_published_through_the_database_reaches_the_daemon(&tenant, &daemon).await;

    report(
        "db_restart backend=Postgres",
        &[
            ("seed", &seed),
            ("events_sent", &figures.sent),
            ("acknowledged", &figures.acknowledged),
            ("counted", &(total - sizes.db_restarts as i64)),
            ("db_restarts_survived", &recoveries.len()),
            ("recovery_secs", &recoveries.join(",")),
            ("answered_503", &figures.answered_503),
            ("no_answer", &figures.no_answer),
            ("attempts", &figures.attempts),
            ("retried", &figures.retried),
            ("duplicated", &figures.duplicated),
            ("changes_followed_after", &changes_followed),
        ],
    );
    assert!(daemon.alive(), "the daemon process died; log: {}", daemon.log_tail());
    assert_eq!(figures.rejected, 0, "valid events were rejected; log: {}", daemon.log_tail());
    assert_eq!(figures.acknowledged, figures.sent);
    assert!(figures.answered_503 > 0, "no webhook of the load met an outage");
    // Every distinct event once, and each restart's probe once.
    assert_eq!(total, figures.sent as i64 + sizes.db_restarts as i64, "the counters differ from the events sent");
    tenant.store.close().await;
}

/// While the server is down: webhooks get 503 with Retry-After (no hang), /healthz 200, /readyz
/// 503, and the process lives.
async fn assert_down_but_answering(client: &reqwest::Client, daemon: &mut Daemon, probe: &[u8], mode: StopMode) {
    let answer = post(client, &daemon.base, probe).await;
    assert_eq!(answer, Ok(503), "a webhook while PostgreSQL is down ({mode:?} stop); log: {}", daemon.log_tail());
    assert_eq!(status(client, &daemon.base, "/healthz").await, "200");
    assert_eq!(status(client, &daemon.base, "/readyz").await, "503");
    assert!(daemon.alive(), "the daemon died while PostgreSQL was down; log: {}", daemon.log_tail());
}

/// A number added to the company and announced through the database (NOTIFY, as another node
/// would) gets counted by the daemon once it learned it. Returns the events it took.
async fn a_change_published_through_the_database_reaches_the_daemon(
    tenant: &super::load::Tenant,
    daemon: &Daemon,
) -> usize {
    let new = "+14155559999";
    let client = reqwest::Client::new();
    tenant
        .store
        .insert_number(&NewNumber::new(tenant.company, PhoneNumber::parse(new).expect("e164")))
        .await
        .expect("number");
    // No announcement by hand: the database announces the insert itself (a trigger, migration 0009).
    for i in 0..500 {
        let event = message_received(&format!("listen-{i}"), CUSTOMER, &[new], &[], "hi");
        assert_eq!(post(&client, &daemon.base, &event).await, Ok(200));
        let usage = tenant.store.list_numbers(tenant.company, Default::default()).await.expect("numbers");
        if usage.iter().any(|n| n.phone_number.as_str() == new && n.usage.sms_received_count > 0) {
            return i + 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "the daemon never learned the number announced after the restarts: its LISTEN connection \
         (src/store/postgres.rs follow_changes) is not back, or the announcement was lost while it \
         reconnected and nothing was reread; log:\n{}",
        daemon.log_tail()
    );
}

async fn post(client: &reqwest::Client, base: &str, body: &[u8]) -> Result<u16, String> {
    let ts = now();
    client
        .post(format!("{base}/webhooks/telnyx"))
        .header("content-type", "application/json")
        .header("telnyx-signature-ed25519", sign_with(&signing_key(), ts, body))
        .header("telnyx-timestamp", ts.to_string())
        .body(body.to_vec())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

async fn status(client: &reqwest::Client, base: &str, path: &str) -> String {
    match client.get(format!("{base}{path}")).send().await {
        Ok(r) => r.status().as_u16().to_string(),
        Err(e) => format!("no answer ({e})"),
    }
}
