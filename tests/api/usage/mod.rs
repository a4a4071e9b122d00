//! Usage over time and number health (issue 22): the daily rollup written in the ledger's commit,
//! its API and CSV export, and number health from messages and from calls.
mod call_health;
mod counter_fold;
mod health;
mod rollups;
