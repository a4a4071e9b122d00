//! SIGTERM under continuous load: the daemon stops taking connections, answers what it took,
//! commits what is pending and exits 0 in bounded time (a rolling upgrade depends on it). What
//! got no 200 is redelivered to the next process; the counters equal the distinct events sent.
use std::time::Duration;

use super::daemon::{free_port, Daemon};
use super::load::{events, tenant};
use super::sender::{Sender, SenderConfig};
use super::sizes::Sizes;
use super::{counted, report};
use crate::backend_tests;
use crate::helpers::{Db, TestDb};

backend_tests!(sigterm_under_load_exits_cleanly_and_loses_nothing);

async fn sigterm_under_load_exits_cleanly_and_loses_nothing(db: Db) {
    // Arrange
    let sizes = Sizes::from_env();
    let seed = Sizes::seed();
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
        min_events: sizes.events / 2,
        duplicate_share: sizes.duplicate_share,
        seed,
    };
    let sender = Sender::start(config, events("sigterm", &tenant.numbers));
    // Under load: some events acknowledged already.
    crate::admin_support::eventually("the first acknowledgements", || async {
        (sender.figures().acknowledged >= 100).then_some(())
    })
    .await;

    // Act
    let status = daemon.terminate().await;
    let at_stop = sender.figures();
    let mut daemon = Daemon::start(&test_db.url, port, log.clone());
    daemon.wait_ready(&client).await;
    let figures = sender.finish(sizes.drain_bound).await;
    let total = counted(&tenant.store, tenant.company).await;

    // Assert
    report(
        &format!("sigterm backend={db:?}"),
        &[
            ("events_sent", &figures.sent),
            ("acknowledged", &figures.acknowledged),
            ("counted", &total),
            ("acknowledged_before_stop", &at_stop.acknowledged),
            ("sigterm_stops", &1),
        ],
    );
    assert!(status.success(), "SIGTERM must end in exit 0, got {status}; log: {}", daemon.log_tail());
    assert_eq!(figures.rejected, 0, "valid events were rejected; log: {}", daemon.log_tail());
    assert_eq!(figures.acknowledged, figures.sent);
    assert_eq!(total, figures.sent as i64, "the counters differ from the distinct events sent");
    tenant.store.close().await;
}
