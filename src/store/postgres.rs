//! PostgreSQL backend (production; several nodes can share one database).
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;

use super::{check_migrations, companies::impl_company_store, Lifecycle, StoreError, StoreResult};
use crate::config::{Backend, DatabaseSettings};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
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
        Ok(Self { pool })
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
        let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Database(m) => StoreError::Unavailable(format!("migrations not applied ({m})")),
                other => other,
            })?;
        check_migrations(&MIGRATOR, &applied)
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

impl_company_store!(PgStore);
crate::store::tokens::impl_token_store!(PgStore);
crate::store::jobs::impl_job_store!(PgStore);
crate::store::assignments::impl_assignment_store!(PgStore);
