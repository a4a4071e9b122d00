//! Black-box tests: the real app on a random port, a real database per test (both backends).
mod helpers;

mod config_cli;
mod crash;
mod health;
mod nodes;
mod outage;
mod storage;
mod telnyx_events;
mod webhooks;
