//! Sticky customer assignments and opt-outs, as outbound sending needs them: what one customer is
//! assigned to, whether they opted out, and claiming an assignment on first contact (the unique key
//! (company_id, customer_number) decides the winner when several requests or nodes race).
use async_trait::async_trait;

use super::StoreResult;
use crate::domain::{CompanyId, PhoneNumber, PhoneNumberId};

/// One customer as outbound sender choice sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerRouting {
    /// The company number the customer is assigned to, if any.
    pub assigned: Option<PhoneNumber>,
    pub opted_out: bool,
}

#[async_trait]
pub trait AssignmentStore: Send + Sync {
    async fn customer_routing(&self, company: CompanyId, customer: &PhoneNumber) -> StoreResult<CustomerRouting>;
    /// Assigns `customer` to `number` unless they already are assigned; returns the number that
    /// holds the assignment afterwards (the earlier one when another request won).
    async fn claim_outbound_assignment(
        &self,
        company: CompanyId,
        customer: &PhoneNumber,
        number_id: PhoneNumberId,
        number: &PhoneNumber,
    ) -> StoreResult<PhoneNumber>;
}

pub(crate) fn parse_number(s: &str) -> StoreResult<PhoneNumber> {
    PhoneNumber::parse(s).map_err(|e| super::StoreError::Corrupt(format!("customer_assignments.phone_number: {e}")))
}

macro_rules! impl_assignment_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::assignments::AssignmentStore for $store {
            async fn customer_routing(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<$crate::store::assignments::CustomerRouting> {
                let assigned: Option<String> = sqlx::query_scalar(
                    "SELECT phone_number FROM customer_assignments WHERE company_id = $1 AND customer_number = $2",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .fetch_optional(&self.pool)
                .await?;
                let opted_out: Option<String> = sqlx::query_scalar(
                    "SELECT customer_number FROM opt_outs WHERE company_id = $1 AND customer_number = $2",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .fetch_optional(&self.pool)
                .await?;
                Ok($crate::store::assignments::CustomerRouting {
                    assigned: assigned.as_deref().map($crate::store::assignments::parse_number).transpose()?,
                    opted_out: opted_out.is_some(),
                })
            }

            async fn claim_outbound_assignment(
                &self,
                company: $crate::domain::CompanyId,
                customer: &$crate::domain::PhoneNumber,
                number_id: $crate::domain::PhoneNumberId,
                number: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<$crate::domain::PhoneNumber> {
                sqlx::query(
                    "INSERT INTO customer_assignments (company_id, customer_number, phone_number_id, phone_number, \
                     source, created_at) VALUES ($1, $2, $3, $4, 'outbound', $5) \
                     ON CONFLICT (company_id, customer_number) DO NOTHING",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .bind(number_id.as_uuid())
                .bind(number.as_str())
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                let winner: String = sqlx::query_scalar(
                    "SELECT phone_number FROM customer_assignments WHERE company_id = $1 AND customer_number = $2",
                )
                .bind(company.as_uuid())
                .bind(customer.as_str())
                .fetch_one(&self.pool)
                .await?;
                $crate::store::assignments::parse_number(&winner)
            }
        }
    };
}
pub(crate) use impl_assignment_store;
