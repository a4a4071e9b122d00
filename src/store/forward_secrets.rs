//! A company's forward signing secrets: the current one, and after a rotation the previous one
//! until its grace period ends (forwards are signed with both meanwhile, so a receiver can switch
//! at its own pace).
//!
//! The SQL is the same text on both backends, written once in [`impl_forward_secret_store!`].
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::StoreResult;
use crate::domain::CompanyId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardSecrets {
    pub current: String,
    /// The secret before the last rotation, and until when forwards are signed with it too.
    pub previous: Option<(String, DateTime<Utc>)>,
}

impl ForwardSecrets {
    /// The secrets a forward sent at `now` is signed with: the current one first.
    pub fn signing_at(&self, now: DateTime<Utc>) -> Vec<&str> {
        let previous = self.previous.as_ref().filter(|(_, until)| *until > now).map(|(s, _)| s.as_str());
        std::iter::once(self.current.as_str()).chain(previous).collect()
    }
}

/// What a rotation answers: the new secret (shown once, like a token) and the old one's end.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RotatedSecret {
    pub forward_secret: String,
    /// Until then forwards carry a signature with the previous secret too.
    pub previous_valid_until: DateTime<Utc>,
}

#[async_trait]
pub trait ForwardSecretStore: Send + Sync {
    /// Makes a new secret current; the current one signs too until `previous_until`.
    async fn rotate_forward_secret(
        &self,
        company: CompanyId,
        new_secret: &str,
        previous_until: DateTime<Utc>,
    ) -> StoreResult<ForwardSecrets>;
}

#[derive(sqlx::FromRow)]
pub(crate) struct SecretsRow {
    pub forward_secret: String,
    pub previous_forward_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
}

impl From<SecretsRow> for ForwardSecrets {
    fn from(r: SecretsRow) -> Self {
        ForwardSecrets { current: r.forward_secret, previous: r.previous_forward_secret.zip(r.previous_secret_until) }
    }
}

macro_rules! impl_forward_secret_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::forward_secrets::ForwardSecretStore for $store {
            async fn rotate_forward_secret(
                &self,
                company: $crate::domain::CompanyId,
                new_secret: &str,
                previous_until: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<$crate::store::forward_secrets::ForwardSecrets> {
                $crate::store::rules::RulesStore::get_routing_defaults(self, company).await?;
                let row: $crate::store::forward_secrets::SecretsRow = sqlx::query_as(
                    "UPDATE company_routing SET previous_forward_secret = forward_secret, \
                     previous_secret_until = $3, forward_secret = $2, updated_at = $4 WHERE company_id = $1 \
                     RETURNING forward_secret, previous_forward_secret, previous_secret_until",
                )
                .bind(company.as_uuid())
                .bind(new_secret)
                .bind(previous_until)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                Ok(row.into())
            }
        }
    };
}
pub(crate) use impl_forward_secret_store;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_secret_signs_until_its_grace_ends() {
        let now = Utc::now();
        let rotated = ForwardSecrets {
            current: "whsec_new".into(),
            previous: Some(("whsec_old".into(), now + chrono::Duration::hours(1))),
        };
        assert_eq!(rotated.signing_at(now), vec!["whsec_new", "whsec_old"]);
        assert_eq!(rotated.signing_at(now + chrono::Duration::hours(2)), vec!["whsec_new"]);
        let fresh = ForwardSecrets { current: "whsec_only".into(), previous: None };
        assert_eq!(fresh.signing_at(now), vec!["whsec_only"]);
    }
}
