//! kill -9 under continuous load: the real binary takes a steady stream of signed events from many
//! connections and is killed (SIGKILL) `kills` times, each at a random moment after it became
//! ready, then restarted on the same database. The Telnyx-like sender redelivers everything that
//! got no 200. At the end the database counters equal the distinct events sent, exactly.
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::daemon::{free_port, Daemon};
use super::load::{events, tenant};
use super::sender::{Sender, SenderConfig};
use super::sizes::Sizes;
use super::{counted, report};
use crate::backend_tests;
use crate::helpers::{Db, TestDb};

backend_tests!(kill_9_five_times_under_continuous_load_loses_nothing_and_counts_once);

async fn kill_9_five_times_under_continuous_load_loses_nothing_and_counts_once(db: Db) {
    // Arrange
    let sizes = Sizes::from_env();
    let seed = Sizes::seed();
    println!("reliability seed: crash {db:?} seed={seed} (replay with SWITCHBOARD_RELIABILITY_SEED={seed})");
    let test_db = TestDb::new(db).await;
    let tenant = tenant(&test_db.url).await;
    let logs = tempfile::tempdir().expect("log dir");
    let log = logs.path().join("switchboard.log");
    let port = free_port();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let mut daemon = Daemon::start(&test_db.url, port, log.clone());
    daemon.wait_ready(&client).await;
    let config = SenderConfig {
        targets: vec![daemon.base.clone()],
        connections: sizes.connections,
        rate: sizes.rate,
        min_events: sizes.events,
        duplicate_share: sizes.duplicate_share,
        seed,
    };
    let sender = Sender::start(config, events("crash", &tenant.numbers));

    // Act: kill at random moments, restart each time.
    let mut rng = StdRng::seed_from_u64(seed);
    let mut in_flight_at_kills = Vec::new();
    for _ in 0..sizes.kills {
        // The random moment is the point of this wait, not a synchronization.
        tokio::time::sleep(rng.gen_range(sizes.kill_delay.0..=sizes.kill_delay.1)).await;
        let f = sender.figures();
        in_flight_at_kills.push(f.sent.saturating_sub(f.acknowledged));
        assert!(daemon.alive(), "the daemon died by itself; log: {}", daemon.log_tail());
        daemon.kill_9();
        daemon = Daemon::start(&test_db.url, port, log.clone());
        daemon.wait_ready(&client).await;
    }
    let figures = sender.finish(sizes.drain_bound).await;
    let total = counted(&tenant.store, tenant.company).await;

    // Assert
    let in_flight: Vec<String> = in_flight_at_kills.iter().map(u64::to_string).collect();
    report(
        &format!("crash backend={db:?}"),
        &[
            ("seed", &seed),
            ("events_sent", &figures.sent),
            ("acknowledged", &figures.acknowledged),
            ("counted", &total),
            ("crashes_survived", &in_flight_at_kills.len()),
            ("in_flight_at_kills", &in_flight.join(",")),
            ("attempts", &figures.attempts),
            ("retried", &figures.retried),
            ("duplicated", &figures.duplicated),
            ("no_answer", &figures.no_answer),
            ("answered_503", &figures.answered_503),
        ],
    );
    assert_eq!(figures.rejected, 0, "valid events were rejected; log: {}", daemon.log_tail());
    assert!(figures.sent >= sizes.events as u64);
    assert_eq!(figures.acknowledged, figures.sent);
    assert!(figures.no_answer > 0, "no request was cut off by a kill: the kills did not happen under load");
    assert_eq!(total, figures.sent as i64, "the counters differ from the distinct events sent");
    tenant.store.close().await;
}
