//! Moving a customer's sticky assignment off an unhealthy number (number health, issue 22), with
//! a note in the company's routing log, in one transaction. The move is conditional on the
//! assignment still being on that number, so racing sends (on one node or several) move it once
//! and all get the number that won. Same SQL on both backends ([`impl_reassign_store!`]).
use async_trait::async_trait;

use super::rules::Assignment;
use super::StoreResult;
use crate::domain::{CompanyId, PhoneNumber, PhoneNumberId};

/// What the routing log shows of a move: `event_type` `assignment.moved`, outcome `reassigned`.
pub const MOVED_EVENT_TYPE: &str = "assignment.moved";
pub const MOVED_OUTCOME: &str = "reassigned";

/// One assignment to move.
#[derive(Debug, Clone)]
pub struct AssignmentMove<'a> {
    pub customer: &'a PhoneNumber,
    /// The unhealthy number it is on.
    pub from: &'a PhoneNumber,
    pub to_id: PhoneNumberId,
    pub to: &'a PhoneNumber,
    /// Why (the unhealthy number's health, in words), for the routing log.
    pub why: &'a str,
}

impl AssignmentMove<'_> {
    /// The routing log line's decision (JSON).
    pub fn note(&self) -> String {
        serde_json::json!({
            "note": format!("{} moved from {} to {}: {} is unhealthy ({})", self.customer, self.from, self.to, self.from, self.why),
            "previous": self.from.as_str(),
            "number": self.to.as_str(),
            "reason": "unhealthy_number",
        })
        .to_string()
    }
}

#[async_trait]
pub trait ReassignStore: Send + Sync {
    /// Moves the customer's assignment when it is still on `m.from` (and logs it); answers the
    /// assignment that holds afterwards, moved or not.
    async fn move_assignment(&self, company: CompanyId, m: &AssignmentMove<'_>) -> StoreResult<Assignment>;
}

macro_rules! impl_reassign_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::reassign::ReassignStore for $store {
            async fn move_assignment(
                &self,
                company: $crate::domain::CompanyId,
                m: &$crate::store::reassign::AssignmentMove<'_>,
            ) -> $crate::store::StoreResult<$crate::store::rules::Assignment> {
                let now = chrono::Utc::now();
                let mut tx = self.pool.begin().await?;
                let moved = sqlx::query(
                    "UPDATE customer_assignments SET phone_number_id = $3, phone_number = $4, created_at = $5 \
                     WHERE company_id = $1 AND customer_number = $2 AND phone_number = $6",
                )
                .bind(company.as_uuid())
                .bind(m.customer.as_str())
                .bind(m.to_id.as_uuid())
                .bind(m.to.as_str())
                .bind(now)
                .bind(m.from.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved == 1 {
                    // A routing log line (the log lives on the dedupe table; a key that counts
                    // nothing, purged with the others after ledger.dedupe_retention_hours).
                    sqlx::query(
                        "INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, \
                         event_type, decision, outcome, customer, occurred_day, occurred_at) \
                         VALUES ($1, $2, $3, 'none', $4, $5, $6, $7, $8, $9, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(company.as_uuid())
                    .bind(format!("assignment-moved-{}", uuid::Uuid::new_v4()))
                    .bind(m.to.as_str())
                    .bind(now)
                    .bind($crate::store::reassign::MOVED_EVENT_TYPE)
                    .bind(m.note())
                    .bind($crate::store::reassign::MOVED_OUTCOME)
                    .bind(m.customer.as_str())
                    // Its day's partition on PostgreSQL: dropped with the day's keys.
                    .bind(now.date_naive())
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                $crate::store::rules::RulesStore::get_assignment(self, company, m.customer).await
            }
        }
    };
}
pub(crate) use impl_reassign_store;
