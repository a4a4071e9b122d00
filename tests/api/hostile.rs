//! The hostile input corpus (tests/hostile/): every case on both backends, its status and effect
//! asserted, /healthz after each, and at the end every acknowledged count accounted for.
//! Also the slow-client test and the stable drive of the fuzz targets' checks.
mod corpus;
mod fuzz_checks;
mod slow_client;

use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(hostile_corpus, slow_clients_do_not_stop_webhooks);

async fn hostile_corpus(db: Db) {
    corpus::run(db).await;
}

async fn slow_clients_do_not_stop_webhooks(db: Db) {
    slow_client::run(db).await;
}

/// Awaits `f`, failing the test with `what` after 30 s (a hang, not a timing goal).
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(30), f).await.unwrap_or_else(|_| panic!("{what} hung"))
}

/// The port of a test app, from its address.
fn port(app: &crate::helpers::TestApp) -> u16 {
    app.address.rsplit(':').next().and_then(|p| p.parse().ok()).expect("http://127.0.0.1:PORT")
}
