//! Whether an event was already counted at a company: a read of the dedupe keys, for reports
//! (the webhook replay tells "counted now" from "already counted"). Counting itself never asks:
//! the ledger's unique keys decide.
//!
//! The SQL is the same text on both backends, written once in [`impl_counted_events!`].
use async_trait::async_trait;

use super::StoreResult;
use crate::domain::CompanyId;

#[async_trait]
pub trait CountedEvents: Send + Sync {
    /// True when a dedupe key of `event_id` exists at `company` (it counted there before and its
    /// key is not purged yet). Uses the key's (company_id, event_id) prefix.
    async fn event_counted(&self, company: CompanyId, event_id: &str) -> StoreResult<bool>;
}

/// Implements [`CountedEvents`] for a store type with a `pool` field of an sqlx pool type.
macro_rules! impl_counted_events {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::counted_events::CountedEvents for $store {
            async fn event_counted(
                &self,
                company: $crate::domain::CompanyId,
                event_id: &str,
            ) -> $crate::store::StoreResult<bool> {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM (SELECT 1 FROM webhook_events WHERE company_id = $1 AND event_id = $2 \
                     LIMIT 1) AS k",
                )
                .bind(company.as_uuid())
                .bind(event_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(n > 0)
            }
        }
    };
}
pub(crate) use impl_counted_events;
