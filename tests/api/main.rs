//! Black-box tests: the real app on a random port, a real database per test (both backends).
mod helpers;

mod config_cli;
mod health;
mod outbound;
mod provisioning;
mod storage;
