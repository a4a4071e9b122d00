//! A company's status URL: where every status change of its queued messages is forwarded, signed,
//! through the outbox (docs/SENDING.md). The forwards themselves are queued by the status changes
//! (`status_sql.rs`), which read this table in their own transaction.
//!
//! The SQL is the same text on both backends, written once in [`impl_status_url_store!`].
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;
use crate::domain::CompanyId;

/// The company's status URL as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StatusUrl {
    /// Receives a signed POST for every status change of the company's queued messages.
    #[schema(example = "https://backend.example.com/sms/status")]
    pub url: String,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait StatusUrlStore: Send + Sync {
    /// The company's status URL, if it set one.
    async fn status_url(&self, company: CompanyId) -> StoreResult<Option<StatusUrl>>;
    /// Sets (or replaces) the company's status URL.
    async fn put_status_url(&self, company: CompanyId, url: &str, now: DateTime<Utc>) -> StoreResult<StatusUrl>;
    /// Removes it (nothing is forwarded from then on); `true` when there was one.
    async fn delete_status_url(&self, company: CompanyId) -> StoreResult<bool>;
}

macro_rules! impl_status_url_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::status_urls::StatusUrlStore for $store {
            async fn status_url(
                &self,
                company: $crate::domain::CompanyId,
            ) -> $crate::store::StoreResult<Option<$crate::store::status_urls::StatusUrl>> {
                Ok(sqlx::query_as("SELECT url, updated_at FROM message_status_urls WHERE company_id = $1")
                    .bind(company.as_uuid())
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn put_status_url(
                &self,
                company: $crate::domain::CompanyId,
                url: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::store::status_urls::StatusUrl> {
                Ok(sqlx::query_as(
                    "INSERT INTO message_status_urls (company_id, url, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (company_id) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at \
                     RETURNING url, updated_at",
                )
                .bind(company.as_uuid())
                .bind(url)
                .bind(now)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn delete_status_url(&self, company: $crate::domain::CompanyId) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query("DELETE FROM message_status_urls WHERE company_id = $1")
                    .bind(company.as_uuid())
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }
        }
    };
}
pub(crate) use impl_status_url_store;
