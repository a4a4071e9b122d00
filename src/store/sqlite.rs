//! SQLite backend: the embedded single-node default (WAL, file created when missing).
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::{companies::impl_company_store, readiness_of, Lifecycle, StoreError, StoreResult, APPLIED_MIGRATIONS_SQL};
use crate::config::{Backend, DatabaseSettings};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(settings: &DatabaseSettings) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(&settings.url)
            .map_err(|e| StoreError::Unavailable(format!("database.url: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before the webhook is answered, even across power loss.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        if let Some(dir) = options.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.min(8))
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl Lifecycle for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> StoreResult<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn readiness(&self) -> StoreResult<()> {
        readiness_of(sqlx::query_scalar(APPLIED_MIGRATIONS_SQL).fetch_all(&self.pool).await, &MIGRATOR)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

impl_company_store!(SqliteStore);
crate::store::tokens::impl_token_store!(SqliteStore);
crate::store::rules_sql::impl_rules_store!(SqliteStore);
crate::store::outbox::impl_outbox_store!(SqliteStore, "", crate::store::outbox::push_id_list);
crate::store::jobs::impl_job_store!(SqliteStore);
crate::store::retention::impl_retention_store!(SqliteStore);
crate::store::counter_fold::impl_counter_fold_store!(SqliteStore);
crate::store::forward_secrets::impl_forward_secret_store!(SqliteStore);
crate::store::limits::impl_limit_store!(SqliteStore);
crate::store::usage::impl_usage_store!(SqliteStore);
crate::store::reassign::impl_reassign_store!(SqliteStore);
crate::store::reservations::impl_reservation_store!(SqliteStore);
crate::store::dead_letters::impl_dead_letter_store!(SqliteStore);
crate::store::outbox_admin::impl_outbox_admin_store!(SqliteStore);
crate::store::forward_endpoints::impl_forward_endpoint_store!(SqliteStore);
crate::store::forwarding::impl_forwarding_store!(SqliteStore, crate::store::forwarding::SQLITE_DISABLED);
crate::store::send_queue::impl_send_queue_store!(SqliteStore, crate::store::send_queue::SQLITE);
crate::store::send_claim::impl_send_claim_store!(SqliteStore, crate::store::send_queue::SQLITE);
crate::store::sessions::impl_session_store!(SqliteStore);
crate::store::send_transitions::impl_send_transition_store!(SqliteStore, crate::store::status_sql::SQLITE);
crate::store::status_urls::impl_status_url_store!(SqliteStore);
