//! Black-box tests: the real app on a random port, a real database per test (both backends).
#[allow(dead_code)] // shared by modules; not every module uses every helper
mod helpers;

mod admin_contract;
mod admin_crud;
mod admin_explain;
mod admin_openapi;
mod admin_outbox;
mod admin_store;
mod admin_support;
mod admin_tenancy;
mod config_cli;
mod crash;
mod health;
mod hostile;
mod nodes;
mod outage;
mod outbound;
mod provisioning;
mod routed;
mod routed_live;
mod storage;
mod telnyx_events;
mod webhooks;
