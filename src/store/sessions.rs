//! Console sign-in sessions: the SHA-256 of a random session id, the SHA-256 of the token it was
//! opened with, and when it was opened and last used. Whether a session is still alive (idle and
//! absolute expiry, its token still live) is the console's judgement (the console's session module);
//! the store only keeps the rows. The SQL is the same text on both backends.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, id_hash: &str, token_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;
    async fn session(&self, id_hash: &str) -> StoreResult<Option<SessionRecord>>;
    /// Records that the session was used at `now`.
    async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> StoreResult<()>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Deletes sessions last used before `idle_before` or opened before `opened_before`.
    async fn purge_sessions(&self, idle_before: DateTime<Utc>, opened_before: DateTime<Utc>) -> StoreResult<u64>;
}

macro_rules! impl_session_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::sessions::SessionStore for $store {
            async fn insert_session(
                &self,
                id_hash: &str,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO console_sessions (id_hash, token_hash, created_at, last_seen_at) VALUES ($1, $2, $3, $3)",
                )
                .bind(id_hash)
                .bind(token_hash)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(
                &self,
                id_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::sessions::SessionRecord>> {
                Ok(sqlx::query_as(
                    "SELECT token_hash, created_at, last_seen_at FROM console_sessions WHERE id_hash = $1",
                )
                .bind(id_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn touch_session(
                &self,
                id_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE console_sessions SET last_seen_at = $2 WHERE id_hash = $1")
                    .bind(id_hash)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn delete_session(&self, id_hash: &str) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM console_sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn purge_sessions(
                &self,
                idle_before: chrono::DateTime<chrono::Utc>,
                opened_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM console_sessions WHERE last_seen_at < $1 OR created_at < $2")
                    .bind(idle_before)
                    .bind(opened_before)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}
pub(crate) use impl_session_store;
