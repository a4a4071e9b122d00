//! Per-company API tokens: stored as SHA-256 hashes, shown once, revocable.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::StoreResult;
use crate::domain::CompanyId;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(&self, company: CompanyId, name: &str, token_hash: &str) -> StoreResult<ApiToken>;
    /// The company a live (not revoked) token hash belongs to.
    async fn company_for_token(&self, token_hash: &str) -> StoreResult<Option<CompanyId>>;
    async fn list_tokens(&self, company: CompanyId) -> StoreResult<Vec<ApiToken>>;
    /// Revokes one of the company's tokens; `NotFound` for another company's.
    async fn revoke_token(&self, company: CompanyId, id: Uuid) -> StoreResult<()>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenRow> for ApiToken {
    fn from(r: TokenRow) -> Self {
        ApiToken {
            id: r.id,
            company_id: CompanyId::from_uuid(r.company_id),
            name: r.name,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        }
    }
}

macro_rules! impl_token_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::tokens::TokenStore for $store {
            async fn insert_token(
                &self,
                company: $crate::domain::CompanyId,
                name: &str,
                token_hash: &str,
            ) -> $crate::store::StoreResult<$crate::store::tokens::ApiToken> {
                let row: $crate::store::tokens::TokenRow = sqlx::query_as(
                    "INSERT INTO api_tokens (id, company_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id, company_id, name, created_at, revoked_at",
                )
                .bind(uuid::Uuid::new_v4())
                .bind(company.as_uuid())
                .bind(name)
                .bind(token_hash)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                Ok(row.into())
            }

            async fn company_for_token(
                &self,
                token_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::domain::CompanyId>> {
                let id: Option<uuid::Uuid> = sqlx::query_scalar(
                    "SELECT company_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(id.map($crate::domain::CompanyId::from_uuid))
            }

            async fn list_tokens(
                &self,
                company: $crate::domain::CompanyId,
            ) -> $crate::store::StoreResult<Vec<$crate::store::tokens::ApiToken>> {
                let rows: Vec<$crate::store::tokens::TokenRow> = sqlx::query_as(
                    "SELECT id, company_id, name, created_at, revoked_at FROM api_tokens WHERE company_id = $1 \
                     ORDER BY created_at, id",
                )
                .bind(company.as_uuid())
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn revoke_token(
                &self,
                company: $crate::domain::CompanyId,
                id: uuid::Uuid,
            ) -> $crate::store::StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE company_id = $1 AND id = $2",
                )
                .bind(company.as_uuid())
                .bind(id)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err($crate::store::StoreError::NotFound);
                }
                Ok(())
            }
        }
    };
}
pub(crate) use impl_token_store;
