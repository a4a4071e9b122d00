//! What a company's forwards need, read together once per batch of the outbox worker: the secrets
//! that sign them and the endpoints that asked for no more (410 Gone). One statement instead of
//! one per concern: the worker reads this for every company of every batch of forwards.
//!
//! The SQL differs between the backends only in how the disabled URLs are gathered (a JSON array
//! either way); [`impl_forwarding_store!`] writes the rest once.
use async_trait::async_trait;

use super::forward_secrets::{ForwardSecrets, SecretsRow};
use super::{StoreError, StoreResult};
use crate::domain::CompanyId;

/// A company's forward secrets and disabled endpoint URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarding {
    pub secrets: ForwardSecrets,
    pub disabled: Vec<String>,
}

#[async_trait]
pub trait ForwardingStore: Send + Sync {
    /// The company's forward secrets (its routing row and first secret are created on first use)
    /// and its disabled endpoints.
    async fn forwarding(&self, company: CompanyId) -> StoreResult<Forwarding>;
}

/// The disabled URLs of the company of `company_routing r`, as a JSON array.
pub(crate) const POSTGRES_DISABLED: &str = "(SELECT coalesce(json_agg(e.url), '[]')::text FROM forward_endpoints e \
     WHERE e.company_id = r.company_id AND e.state = 'disabled')";
pub(crate) const SQLITE_DISABLED: &str = "(SELECT json_group_array(e.url) FROM forward_endpoints e \
     WHERE e.company_id = r.company_id AND e.state = 'disabled')";

#[derive(sqlx::FromRow)]
pub(crate) struct ForwardingRow {
    #[sqlx(flatten)]
    pub secrets: SecretsRow,
    pub disabled: String,
}

impl TryFrom<ForwardingRow> for Forwarding {
    type Error = StoreError;
    fn try_from(r: ForwardingRow) -> StoreResult<Self> {
        let disabled = serde_json::from_str(&r.disabled)
            .map_err(|e| StoreError::Corrupt(format!("forward_endpoints.url as a JSON array: {e}")))?;
        Ok(Forwarding { secrets: r.secrets.into(), disabled })
    }
}

macro_rules! impl_forwarding_store {
    ($store:ty, $disabled:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::forwarding::ForwardingStore for $store {
            async fn forwarding(
                &self,
                company: $crate::domain::CompanyId,
            ) -> $crate::store::StoreResult<$crate::store::forwarding::Forwarding> {
                static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
                    format!(
                        "SELECT r.forward_secret, r.previous_forward_secret, r.previous_secret_until, {} AS disabled \
                         FROM company_routing r WHERE r.company_id = $1",
                        $disabled
                    )
                });
                let read = || {
                    sqlx::query_as::<_, $crate::store::forwarding::ForwardingRow>(SQL.as_str()).bind(company.as_uuid())
                };
                if let Some(row) = read().fetch_optional(&self.pool).await? {
                    return row.try_into();
                }
                // The company has no routing row yet: its first use creates it.
                $crate::store::rules::RulesStore::get_routing_defaults(self, company).await?;
                read().fetch_one(&self.pool).await?.try_into()
            }
        }
    };
}
pub(crate) use impl_forwarding_store;
