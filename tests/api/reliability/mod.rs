//! The reliability suite: kill -9 under continuous load and during a send burst, a PostgreSQL
//! server restart under load, two nodes on one database. `scripts/reliability.sh` runs it at full size
//! (`SWITCHBOARD_RELIABILITY=full`); by default (`cargo test`, CI) it runs a bounded part.
//!
//! Every test prints one `reliability: <case> key=value ...` line with its figures; the script
//! collects them into its summary.
mod crash;
pub mod daemon;
mod db_restart;
mod load;
mod pg_cluster;
mod ready;
mod send_burst;
pub mod sender;
mod shutdown;
mod sizes;
mod two_nodes;

use std::fmt::Display;

/// Prints the figures of one case on one line the summary script can read.
pub fn report(case: &str, figures: &[(&str, &dyn Display)]) {
    let fields: Vec<String> = figures.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!("reliability: {case} {}", fields.join(" "));
}

/// The sum of every usage counter of every number in the database (each test event touches one).
pub async fn counted(store: &switchboard::store::DynStore, company: switchboard::domain::CompanyId) -> i64 {
    store
        .list_numbers(company, switchboard::store::NumberFilter::default())
        .await
        .expect("list numbers")
        .iter()
        .map(|n| {
            n.usage.incoming_calls_count
                + n.usage.outgoing_calls_count
                + n.usage.sms_sent_count
                + n.usage.sms_received_count
        })
        .sum()
}
