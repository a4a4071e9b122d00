//! Usage over time and number health (issue 22): the daily rollup written in the ledger's commit,
//! its API and CSV export.
mod health;
mod rollups;
