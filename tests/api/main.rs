//! Black-box tests: the real app on a random port, a real database per test (both backends).
mod helpers;

mod config_cli;
mod health;
mod storage;
mod admin_crud;
mod admin_support;
mod admin_explain;
mod admin_tenancy;
mod admin_openapi;
mod admin_outbox;
