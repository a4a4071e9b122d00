//! Black-box tests: the real app on a random port, a real database per test (both backends).
#[allow(dead_code)] // shared by modules; not every module uses every helper
mod helpers;

mod actor_start;
mod admin_contract;
mod admin_crud;
mod admin_explain;
mod admin_openapi;
mod admin_outbox;
mod admin_pagination;
mod admin_store;
mod admin_support;
mod admin_tenancy;
mod chains;
mod chains_final;
mod chains_nodes;
mod commits_in_flight;
mod company_changes;
mod config_cli;
mod console;
mod dedupe_partitions;
mod forwards;
mod group_commit;
mod health;
mod hostile;
mod layers;
mod nodes;
mod operator;
mod opt_out_order;
mod outage;
mod outbound;
mod outbox_handoff;
mod outcomes;
mod pool_checks;
#[path = "../common/prism.rs"]
#[allow(dead_code)] // shared with tests/telnyx_contract.rs
mod prism;
mod prism_flow;
mod provisioning;
mod provisioning_sim;
mod purge;
mod register_sim;
mod reliability;
mod replay;
mod replay_outage;
mod routed;
mod routed_live;
mod routing_log_compact;
mod scaling;
mod security;
mod send_queue;
mod simulator;
mod storage;
mod telnyx_events;
#[path = "../common/telnyx_sim/mod.rs"]
#[allow(dead_code)] // a shared test tool: not every test uses every part
mod telnyx_sim;
mod upgrade;
mod upgrade_dedupe_key;
mod upgrade_settings;
mod usage;
mod webhooks;
