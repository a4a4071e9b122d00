//! Per-company API tokens: stored as SHA-256 hashes, shown once, revocable.
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::page::{TokenKey, Window};
use super::{StoreError, StoreResult};
use crate::domain::{CompanyId, Scopes};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: Uuid,
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    pub name: String,
    /// What it may do: read, send, admin, tokens.
    #[schema(value_type = Vec<String>, example = json!(["read", "send", "admin"]))]
    pub scopes: Scopes,
    pub created_at: DateTime<Utc>,
    /// After this it authenticates nothing; `null`: it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// Within a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a live token hash grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenGrant {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A token to store (its hash; the token itself is shown once and never stored).
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub company: CompanyId,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub scopes: Scopes,
    pub expires_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_token(&self, token: &NewToken<'_>) -> StoreResult<ApiToken>;
    /// What a token hash grants, when it is not revoked (expiry is the caller's to check).
    async fn token_grant(&self, token_hash: &str) -> StoreResult<Option<TokenGrant>>;
    /// Records that the token was used now.
    async fn touch_token(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<()>;
    /// The company's tokens in the order they were made, a window at a time.
    async fn page_tokens(&self, company: CompanyId, window: &Window<TokenKey>) -> StoreResult<Vec<ApiToken>>;
    async fn list_tokens(&self, company: CompanyId) -> StoreResult<Vec<ApiToken>> {
        self.page_tokens(company, &Window::all()).await
    }
    /// Revokes one of the company's tokens; `NotFound` for another company's.
    async fn revoke_token(&self, company: CompanyId, id: Uuid) -> StoreResult<()>;
}

pub(crate) const TOKEN_COLUMNS: &str = "id, company_id, name, scopes, created_at, expires_at, last_used_at, revoked_at";

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub name: String,
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> StoreResult<Self> {
        Ok(ApiToken {
            id: r.id,
            company_id: CompanyId::from_uuid(r.company_id),
            name: r.name,
            scopes: Scopes::parse_list(&r.scopes)
                .map_err(|e| StoreError::Corrupt(format!("api_tokens.scopes: {e}")))?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
    }
}

macro_rules! impl_token_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::tokens::TokenStore for $store {
            async fn insert_token(
                &self,
                t: &$crate::store::tokens::NewToken<'_>,
            ) -> $crate::store::StoreResult<$crate::store::tokens::ApiToken> {
                let row: $crate::store::tokens::TokenRow = sqlx::query_as(&format!(
                    "INSERT INTO api_tokens (id, company_id, name, token_hash, created_at, scopes, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {}",
                    $crate::store::tokens::TOKEN_COLUMNS
                ))
                .bind(uuid::Uuid::new_v4())
                .bind(t.company.as_uuid())
                .bind(t.name)
                .bind(t.token_hash)
                .bind(chrono::Utc::now())
                .bind(t.scopes.to_string())
                .bind(t.expires_at)
                .fetch_one(&self.pool)
                .await?;
                row.try_into()
            }

            async fn token_grant(
                &self,
                token_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::tokens::TokenGrant>> {
                let row: Option<$crate::store::tokens::TokenRow> = sqlx::query_as(&format!(
                    "SELECT {} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
                    $crate::store::tokens::TOKEN_COLUMNS
                ))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let t = $crate::store::tokens::ApiToken::try_from(row)?;
                Ok(Some($crate::store::tokens::TokenGrant {
                    id: t.id,
                    company_id: t.company_id,
                    scopes: t.scopes,
                    expires_at: t.expires_at,
                    last_used_at: t.last_used_at,
                }))
            }

            async fn touch_token(
                &self,
                id: uuid::Uuid,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(id)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn page_tokens(
                &self,
                company: $crate::domain::CompanyId,
                w: &$crate::store::Window<$crate::store::page::TokenKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::tokens::ApiToken>> {
                let sql = format!(
                    "SELECT {} FROM api_tokens WHERE company_id = $1 {} ORDER BY created_at, id LIMIT $2",
                    $crate::store::tokens::TOKEN_COLUMNS,
                    w.after_clause("AND (created_at, id) > ($3, $4)")
                );
                let mut q =
                    sqlx::query_as::<_, $crate::store::tokens::TokenRow>(&sql).bind(company.as_uuid()).bind(w.limit);
                if let Some((created_at, id)) = w.after {
                    q = q.bind(created_at).bind(id);
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
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
