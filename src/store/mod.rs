//! Storage: one interface, two backends (PostgreSQL for production and several nodes, SQLite as
//! the embedded single-node default). Each concern has its own trait; [`Store`] is all of them.
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{Backend, DatabaseSettings};
use changes::Announcement;
use outbox::OutboxStore;
use outbox_admin::OutboxAdminStore;

pub mod changes;
pub mod companies;
pub mod conditions;
pub mod counter_fold;
pub mod dead_letters;
pub mod dedupe_partitions;
pub mod forward_endpoints;
pub mod forward_secrets;
pub mod forwarding;
pub mod jobs;
pub mod limits;
pub mod models;
pub mod outbox;
pub mod outbox_admin;
pub mod page;
pub mod postgres;
mod postgres_ledger;
mod postgres_statuses;
pub mod reassign;
pub mod reservations;
pub mod retention;
pub mod routing_log;
pub mod rules;
pub(crate) mod rules_sql;
pub mod send_claim;
pub mod send_queue;
mod send_sql;
mod send_status;
pub mod send_transitions;
pub mod sessions;
pub mod sqlite;
mod sqlite_ledger;
mod sqlite_statuses;
pub(crate) mod status_sql;
pub mod status_urls;
pub mod tokens;
pub mod usage;

pub use crate::ledger::{LedgerStore, LedgerWriter};
pub use companies::CompanyStore;
pub use dead_letters::{DeadLetterFilter, DeadLetterRecord, DeadLetterStore};
pub use forward_endpoints::ForwardEndpointStore;
pub use forward_secrets::{ForwardSecretStore, ForwardSecrets};
pub use forwarding::{Forwarding, ForwardingStore};
pub use jobs::{JobRecord, JobStore, JobUpdate};
pub use limits::{LimitKind, LimitOverrides, LimitStore, Take};
pub use models::*;
pub use page::Window;
pub use reservations::ReservationStore;
pub use retention::{Retained, RetentionStore};
pub use rules::RulesStore;
pub use send_claim::SendClaimStore;
pub use send_queue::SendQueueStore;
pub use send_transitions::SendTransitionStore;
pub use sessions::{SessionRecord, SessionStore};
pub use status_urls::StatusUrlStore;
pub use tokens::{ApiToken, NewToken, TokenGrant, TokenStore};
pub use usage::{UsageCounts, UsageStore};

/// What every storage operation can fail with; "row not found" and unique violations are mapped
/// here once for both backends. Driver errors are kept as the source.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// A condition found before or around the driver (bad URL, migrations missing, connect timeout).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The driver could not reach the database (pool timeout, I/O, TLS, protocol).
    #[error("database unavailable: {0}")]
    Disconnected(#[source] sqlx::Error),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// The database answers, but this binary's migrations are not all applied.
    #[error("migrations not applied ({0}); run `switchboard migrate`")]
    MigrationsPending(String),
}

impl StoreError {
    /// The database could not be reached (the caller may retry later), as opposed to a refusal.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Disconnected(_) | StoreError::MigrationsPending(_))
    }

    /// The SQLSTATE code of a database error (`40P01` deadlock, `40001` serialization failure...).
    pub fn sqlstate(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            StoreError::Database(e) => e.as_database_error().and_then(|d| d.code()),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_owned()),
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Disconnected(e),
            other => StoreError::Database(other),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migration(e)
    }
}

impl From<sqlx::Error> for crate::ledger::store::StorageError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<StoreError> for crate::ledger::store::StorageError {
    fn from(e: StoreError) -> Self {
        crate::ledger::store::StorageError::new(e)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Connection-level operations every backend has.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    fn backend(&self) -> Backend;
    /// Applies this backend's migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// The database answers and every migration this binary knows is applied.
    async fn readiness(&self) -> StoreResult<()>;
    async fn close(&self);
    /// Changes published by any node (including this one), and a resync after every (re)connection
    /// of the listener; `None` when the backend has no other nodes.
    async fn subscribe_changes(&self) -> StoreResult<Option<tokio::sync::mpsc::Receiver<Announcement>>> {
        Ok(None)
    }
}

/// The whole storage interface, `dyn`-safe so handlers do not become generic over the backend.
pub trait Store:
    Lifecycle
    + CompanyStore
    + TokenStore
    + LedgerStore
    + RulesStore
    + OutboxStore
    + JobStore
    + RetentionStore
    + counter_fold::CounterFoldStore
    + ForwardSecretStore
    + ForwardEndpointStore
    + ForwardingStore
    + LimitStore
    + ReservationStore
    + DeadLetterStore
    + OutboxAdminStore
    + UsageStore
    + SessionStore
    + reassign::ReassignStore
    + SendQueueStore
    + SendClaimStore
    + SendTransitionStore
    + StatusUrlStore
    + 'static
{
}
impl<T> Store for T where
    T: Lifecycle
        + CompanyStore
        + TokenStore
        + LedgerStore
        + RulesStore
        + OutboxStore
        + JobStore
        + RetentionStore
        + counter_fold::CounterFoldStore
        + ForwardSecretStore
        + ForwardEndpointStore
        + ForwardingStore
        + LimitStore
        + ReservationStore
        + DeadLetterStore
        + OutboxAdminStore
        + UsageStore
        + SessionStore
        + reassign::ReassignStore
        + SendQueueStore
        + SendClaimStore
        + SendTransitionStore
        + StatusUrlStore
        + 'static
{
}

pub type DynStore = Arc<dyn Store>;

/// Connects to the configured backend (creating the SQLite file and its folder when missing).
pub async fn connect(settings: &DatabaseSettings) -> StoreResult<DynStore> {
    Ok(match settings.backend {
        Backend::Postgres => Arc::new(postgres::PgStore::connect(settings).await?),
        Backend::Sqlite => Arc::new(sqlite::SqliteStore::connect(settings).await?),
    })
}

/// Readiness from the applied-migrations query of either backend.
pub(crate) fn readiness_of(
    applied: Result<Vec<i64>, sqlx::Error>,
    migrator: &sqlx::migrate::Migrator,
) -> StoreResult<()> {
    let applied = applied.map_err(|e| match StoreError::from(e) {
        StoreError::Database(e) => StoreError::MigrationsPending(e.to_string()),
        other => other,
    })?;
    check_migrations(migrator, &applied)
}

pub(crate) const APPLIED_MIGRATIONS_SQL: &str = "SELECT version FROM _sqlx_migrations WHERE success";

/// Checks that the newest migration known to `migrator` is applied, given the applied versions.
pub(crate) fn check_migrations(migrator: &sqlx::migrate::Migrator, applied: &[i64]) -> StoreResult<()> {
    let missing: Vec<i64> = migrator.iter().map(|m| m.version).filter(|v| !applied.contains(v)).collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(StoreError::MigrationsPending(format!("{missing:?}")))
    }
}
