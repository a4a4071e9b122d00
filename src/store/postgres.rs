//! PostgreSQL backend (production; several nodes can share one database).
use async_trait::async_trait;
use sqlx::postgres::PgListener;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use tokio::sync::mpsc;

use super::{companies::impl_company_store, readiness_of, Lifecycle, StoreError, StoreResult, APPLIED_MIGRATIONS_SQL};
use crate::config::{Backend, DatabaseSettings};
use crate::store::changes::Announcement;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// Whether the ledger must still look new dedupe keys up among those written before the
    /// table was partitioned (store/dedupe_partitions.rs).
    pub(crate) undated: super::dedupe_partitions::UndatedKeys,
}

impl PgStore {
    pub async fn connect(settings: &DatabaseSettings) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(&settings.url)
            .map_err(|e| StoreError::Unavailable(format!("database.url: {e}")))?
            .application_name("switchboard");
        // sqlx pings every connection it takes back; pinging it again when it is handed out costs a
        // round trip per statement. Only a connection idle for longer (it may have been lost since:
        // a restart, a proxy's idle timeout) is checked again, as HikariCP's bypass window does.
        let ping_after = settings.ping_after_idle;
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= ping_after {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, undated: Default::default() })
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

    async fn subscribe_changes(&self) -> StoreResult<Option<mpsc::Receiver<Announcement>>> {
        // The listener's own connection, outside the pool, so closing the pool never waits for it.
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(self.pool.options().get_acquire_timeout())
            .connect_lazy_with((*self.pool.connect_options()).clone());
        let (tx, rx) = mpsc::channel(1024);
        tokio::spawn(follow_changes(pool, tx));
        Ok(Some(rx))
    }
}

/// Hands on every change announced on [`CHANGES_CHANNEL`] until the receiver is dropped. After
/// each (re)connection it hands on a resync first: what was announced while it was not listening
/// (the database was down, or the connection was lost) is gone.
async fn follow_changes(pool: PgPool, tx: mpsc::Sender<Announcement>) {
    // The previous connection failed or was lost, and that was warned about: further failures to
    // connect stay quiet, and the next connection is logged.
    let mut lost = false;
    loop {
        let connected = tokio::select! {
            _ = tx.closed() => return,
            l = listen(&pool) => l,
        };
        let mut listener = match connected {
            Ok(l) => l,
            Err(e) => {
                if !std::mem::replace(&mut lost, true) {
                    tracing::warn!(error = %e, "change listener cannot connect; retrying");
                }
                tokio::select! {
                    _ = tx.closed() => return,
                    _ = tokio::time::sleep(LISTEN_RETRY) => continue,
                }
            }
        };
        if lost {
            tracing::info!("change listener connected again; rereading every company");
        }
        if tx.send(Announcement::Resync).await.is_err() {
            return;
        }
        loop {
            let next = tokio::select! {
                _ = tx.closed() => return,
                n = listener.try_recv() => n,
            };
            let announcement = match next {
                Ok(Some(n)) => match Announcement::parse(n.payload()) {
                    Some(announcement) => announcement,
                    None => continue,
                },
                // The connection was lost and is back (sqlx reconnects before answering None).
                Ok(None) => Announcement::Resync,
                Err(e) => {
                    tracing::warn!(error = %e, "change listener lost its connection; reconnecting");
                    lost = true;
                    break;
                }
            };
            if tx.send(announcement).await.is_err() {
                return;
            }
        }
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    // This pool is never closed; only the receiver going away ends the listener.
    listener.ignore_pool_close_event(true);
    listener.listen(CHANGES_CHANNEL).await?;
    Ok(listener)
}

const LISTEN_RETRY: std::time::Duration = std::time::Duration::from_millis(500);

const CHANGES_CHANNEL: &str = "switchboard_changes";

impl_company_store!(PgStore);
crate::store::tokens::impl_token_store!(PgStore);
crate::store::rules_sql::impl_rules_store!(PgStore);
crate::store::outbox::impl_outbox_store!(PgStore, "FOR UPDATE SKIP LOCKED", crate::store::outbox::push_id_array);
crate::store::jobs::impl_job_store!(PgStore);
crate::store::retention::impl_retention_store!(PgStore);
crate::store::counter_fold::impl_counter_fold_store!(PgStore);
crate::store::forward_secrets::impl_forward_secret_store!(PgStore);
crate::store::limits::impl_limit_store!(PgStore);
crate::store::usage::impl_usage_store!(PgStore);
crate::store::reassign::impl_reassign_store!(PgStore);
crate::store::reservations::impl_reservation_store!(PgStore);
crate::store::dead_letters::impl_dead_letter_store!(PgStore);
crate::store::outbox_admin::impl_outbox_admin_store!(PgStore);
crate::store::forward_endpoints::impl_forward_endpoint_store!(PgStore);
crate::store::forwarding::impl_forwarding_store!(PgStore, crate::store::forwarding::POSTGRES_DISABLED);
crate::store::send_queue::impl_send_queue_store!(PgStore, crate::store::send_queue::POSTGRES);
crate::store::send_claim::impl_send_claim_store!(PgStore, crate::store::send_queue::POSTGRES);
crate::store::sessions::impl_session_store!(PgStore);
crate::store::send_transitions::impl_send_transition_store!(PgStore, crate::store::status_sql::POSTGRES);
crate::store::status_urls::impl_status_url_store!(PgStore);
