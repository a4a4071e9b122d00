//! PostgreSQL backend (production; several nodes can share one database).
use async_trait::async_trait;
use sqlx::postgres::PgListener;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use tokio::sync::mpsc;

use super::{companies::impl_company_store, readiness_of, Lifecycle, StoreError, StoreResult, APPLIED_MIGRATIONS_SQL};
use crate::company::changes::Change;
use crate::config::{Backend, DatabaseSettings};
use crate::domain::CompanyId;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// For the change listener's own connection (outside the pool, so closing the pool never
    /// waits for it).
    url: String,
}

impl PgStore {
    pub async fn connect(settings: &DatabaseSettings) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(&settings.url)
            .map_err(|e| StoreError::Unavailable(format!("database.url: {e}")))?
            .application_name("switchboard");
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(Self { pool, url: settings.url.clone() })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Lifecycle for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
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

    async fn publish_change(&self, company: CompanyId, change: Change) -> StoreResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGES_CHANNEL)
            .bind(format!("{company}:{}", change.as_str()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn subscribe_changes(&self) -> StoreResult<Option<mpsc::Receiver<(CompanyId, Change)>>> {
        let mut listener = PgListener::connect(&self.url).await?;
        listener.listen(CHANGES_CHANNEL).await?;
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(async move {
            loop {
                // recv() reconnects by itself after a lost connection.
                match listener.recv().await {
                    Ok(n) => {
                        let parsed =
                            n.payload().split_once(':').and_then(|(c, k)| Some((c.parse().ok()?, Change::parse(k)?)));
                        if let Some(change) = parsed {
                            if tx.send(change).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener lost its connection; retrying");
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    }
                }
            }
        });
        Ok(Some(rx))
    }
}

const CHANGES_CHANNEL: &str = "switchboard_changes";

impl_company_store!(PgStore);
crate::store::tokens::impl_token_store!(PgStore);
crate::store::rules_sql::impl_rules_store!(PgStore);
crate::store::counted_events::impl_counted_events!(PgStore);
crate::outbox::store::impl_outbox_store!(PgStore, "FOR UPDATE SKIP LOCKED");
crate::store::jobs::impl_job_store!(PgStore);
