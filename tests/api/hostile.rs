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
