//! Numbers reserved for the company whose provisioning job is about to buy them: from the search
//! until the number is stored (or its purchase failed). Registration refuses a number reserved
//! for another company, so a number bought on the shared Telnyx account cannot be taken by
//! another company's token between the order and the moment the job stores it.
//!
//! A reservation also ends at its `expires_at` (a job abandoned for good does not hold numbers
//! forever). The SQL is the same text on both backends, written once in
//! [`impl_reservation_store!`].
use async_trait::async_trait;
use uuid::Uuid;

use super::StoreResult;
use crate::domain::{CompanyId, PhoneNumber};

#[async_trait]
pub trait ReservationStore: Send + Sync {
    /// Reserves `number` for `company` (by `job`) until `expires_at` (Unix seconds): `true` when
    /// it is now the company's (new, renewed, or the previous reservation had expired at `now`),
    /// `false` when another company holds an unexpired reservation.
    async fn reserve_number(
        &self,
        company: CompanyId,
        job: Uuid,
        number: &PhoneNumber,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<bool>;
    /// The company holding an unexpired reservation of `number` at `now`.
    async fn reserved_for(&self, number: &PhoneNumber, now: i64) -> StoreResult<Option<CompanyId>>;
    /// Ends the job's reservation of `number` (nothing when it holds none).
    async fn release_number(&self, job: Uuid, number: &PhoneNumber) -> StoreResult<()>;
}

macro_rules! impl_reservation_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::reservations::ReservationStore for $store {
            async fn reserve_number(
                &self,
                company: $crate::domain::CompanyId,
                job: uuid::Uuid,
                number: &$crate::domain::PhoneNumber,
                now: i64,
                expires_at: i64,
            ) -> $crate::store::StoreResult<bool> {
                let taken: Option<String> = sqlx::query_scalar(
                    "INSERT INTO number_reservations (phone_number, company_id, job_id, expires_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (phone_number) DO UPDATE SET \
                     company_id = excluded.company_id, job_id = excluded.job_id, expires_at = excluded.expires_at \
                     WHERE number_reservations.company_id = excluded.company_id \
                        OR number_reservations.expires_at <= $5 \
                     RETURNING phone_number",
                )
                .bind(number.as_str())
                .bind(company.as_uuid())
                .bind(job)
                .bind(expires_at)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(taken.is_some())
            }

            async fn reserved_for(
                &self,
                number: &$crate::domain::PhoneNumber,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::domain::CompanyId>> {
                let company: Option<uuid::Uuid> = sqlx::query_scalar(
                    "SELECT company_id FROM number_reservations WHERE phone_number = $1 AND expires_at > $2",
                )
                .bind(number.as_str())
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(company.map($crate::domain::CompanyId::from_uuid))
            }

            async fn release_number(
                &self,
                job: uuid::Uuid,
                number: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM number_reservations WHERE job_id = $1 AND phone_number = $2")
                    .bind(job)
                    .bind(number.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_reservation_store;
