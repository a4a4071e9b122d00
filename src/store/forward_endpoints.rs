//! A company's forward endpoints (receiver URLs) that answered 410 Gone: disabled, so forwards
//! skip them, until an admin re-enables them (Standard Webhooks: 410 means "stop sending").
//! A row exists once an endpoint was first disabled; re-enabled, it stays as `active`.
//!
//! The SQL is the same text on both backends, written once in [`impl_forward_endpoint_store!`].
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::page::Window;
use super::{StoreError, StoreResult};
use crate::domain::CompanyId;

/// Forward endpoints: by URL.
pub type EndpointKey = String;

/// Whether forwards may go to an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointState {
    Active,
    Disabled,
}

impl EndpointState {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointState::Active => "active",
            EndpointState::Disabled => "disabled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardEndpoint {
    pub id: Uuid,
    pub company_id: CompanyId,
    pub url: String,
    pub state: EndpointState,
    /// Why it was last disabled (`receiver answered 410`).
    pub reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub enabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait ForwardEndpointStore: Send + Sync {
    /// Disables the company's endpoint `url` (recorded on first use); returns whether it was
    /// active before (false: it was disabled already, nothing changed).
    async fn disable_forward_endpoint(
        &self,
        company: CompanyId,
        url: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// The company's endpoints by URL, a window at a time.
    async fn page_forward_endpoints(
        &self,
        company: CompanyId,
        window: &Window<EndpointKey>,
    ) -> StoreResult<Vec<ForwardEndpoint>>;
    /// Re-enables one of the company's endpoints (a no-op when it is active); `NotFound` when the
    /// company has none by that id.
    async fn enable_forward_endpoint(
        &self,
        company: CompanyId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<ForwardEndpoint>;
    /// Disabled endpoints of every company (the gauge).
    async fn disabled_forward_endpoint_count(&self) -> StoreResult<i64>;
}

pub(crate) const ENDPOINT_COLUMNS: &str = "id, company_id, url, state, reason, disabled_at, enabled_at, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct EndpointRow {
    pub id: Uuid,
    pub company_id: Uuid,
    pub url: String,
    pub state: String,
    pub reason: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub enabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<EndpointRow> for ForwardEndpoint {
    type Error = StoreError;
    fn try_from(r: EndpointRow) -> StoreResult<Self> {
        let state = match r.state.as_str() {
            "active" => EndpointState::Active,
            "disabled" => EndpointState::Disabled,
            other => return Err(StoreError::Corrupt(format!("forward_endpoints.state: {other}"))),
        };
        Ok(ForwardEndpoint {
            id: r.id,
            company_id: CompanyId::from_uuid(r.company_id),
            url: r.url,
            state,
            reason: r.reason,
            disabled_at: r.disabled_at,
            enabled_at: r.enabled_at,
            created_at: r.created_at,
        })
    }
}

macro_rules! impl_forward_endpoint_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::forward_endpoints::ForwardEndpointStore for $store {
            async fn disable_forward_endpoint(
                &self,
                company: $crate::domain::CompanyId,
                url: &str,
                reason: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                // Only a change of state returns a row: an endpoint disabled already is left alone.
                let changed: Option<uuid::Uuid> = sqlx::query_scalar(
                    "INSERT INTO forward_endpoints AS f (company_id, url, id, state, reason, disabled_at, created_at) \
                     VALUES ($1, $2, $3, 'disabled', $4, $5, $5) \
                     ON CONFLICT (company_id, url) DO UPDATE SET state = 'disabled', reason = excluded.reason, \
                     disabled_at = excluded.disabled_at WHERE f.state = 'active' RETURNING id",
                )
                .bind(company.as_uuid())
                .bind(url)
                .bind(uuid::Uuid::new_v4())
                .bind(reason)
                .bind(at)
                .fetch_optional(&self.pool)
                .await?;
                Ok(changed.is_some())
            }

            async fn page_forward_endpoints(
                &self,
                company: $crate::domain::CompanyId,
                w: &$crate::store::Window<$crate::store::forward_endpoints::EndpointKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::forward_endpoints::ForwardEndpoint>> {
                let sql = format!(
                    "SELECT {} FROM forward_endpoints WHERE company_id = $1 {} ORDER BY url LIMIT $2",
                    $crate::store::forward_endpoints::ENDPOINT_COLUMNS,
                    w.after_clause("AND url > $3")
                );
                let mut q = sqlx::query_as::<_, $crate::store::forward_endpoints::EndpointRow>(&sql)
                    .bind(company.as_uuid())
                    .bind(w.limit);
                if let Some(url) = &w.after {
                    q = q.bind(url.clone());
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn enable_forward_endpoint(
                &self,
                company: $crate::domain::CompanyId,
                id: uuid::Uuid,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::store::forward_endpoints::ForwardEndpoint> {
                sqlx::query(
                    "UPDATE forward_endpoints SET state = 'active', enabled_at = $3 \
                     WHERE company_id = $1 AND id = $2 AND state = 'disabled'",
                )
                .bind(company.as_uuid())
                .bind(id)
                .bind(at)
                .execute(&self.pool)
                .await?;
                let sql = format!(
                    "SELECT {} FROM forward_endpoints WHERE company_id = $1 AND id = $2",
                    $crate::store::forward_endpoints::ENDPOINT_COLUMNS
                );
                let row: $crate::store::forward_endpoints::EndpointRow =
                    sqlx::query_as(&sql).bind(company.as_uuid()).bind(id).fetch_one(&self.pool).await?;
                row.try_into()
            }

            async fn disabled_forward_endpoint_count(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM forward_endpoints WHERE state = 'disabled'")
                    .fetch_one(&self.pool)
                    .await?)
            }
        }
    };
}
pub(crate) use impl_forward_endpoint_store;
