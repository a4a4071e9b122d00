//! Companies, their numbers and their Telnyx settings.
//!
//! The SQL here is the same text on both backends, so it is written once in
//! [`impl_company_store!`] and expanded for each pool type.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::page::{CompanyKey, NumberKey, Window};
use super::{Company, CompanySettings, LiveNumber, NewNumber, NumberFilter, NumberPatch, NumberRecord, StoreResult};
use crate::domain::{CompanyId, PhoneNumber, PhoneNumberId};

#[async_trait]
pub trait CompanyStore: Send + Sync {
    /// Creates a company; `Conflict` when the id exists.
    async fn create_company(&self, id: CompanyId, name: &str) -> StoreResult<Company>;
    async fn get_company(&self, id: CompanyId) -> StoreResult<Company>;
    /// Companies by id, a window at a time.
    async fn page_companies(&self, window: &Window<CompanyKey>) -> StoreResult<Vec<Company>>;
    /// Every company.
    async fn list_companies(&self) -> StoreResult<Vec<Company>> {
        self.page_companies(&Window::all()).await
    }
    /// Stores a number; `Conflict` when a live (not deleted) row has the same phone number or the
    /// Telnyx id is taken.
    async fn insert_number(&self, number: &NewNumber) -> StoreResult<NumberRecord>;
    /// One of the company's numbers; `NotFound` also when it belongs to another company.
    async fn get_number(&self, company: CompanyId, id: PhoneNumberId) -> StoreResult<NumberRecord>;
    /// The company's numbers matching `filter`, by phone number then id, a window at a time.
    async fn page_numbers(
        &self,
        company: CompanyId,
        filter: NumberFilter,
        window: &Window<NumberKey>,
    ) -> StoreResult<Vec<NumberRecord>>;
    /// Every number of the company matching `filter`.
    async fn list_numbers(&self, company: CompanyId, filter: NumberFilter) -> StoreResult<Vec<NumberRecord>> {
        self.page_numbers(company, filter, &Window::all()).await
    }
    async fn update_number(
        &self,
        company: CompanyId,
        id: PhoneNumberId,
        patch: &NumberPatch,
    ) -> StoreResult<NumberRecord>;
    /// Every number that is not deleted, all companies, with only its owner's columns (loads the
    /// owner index).
    async fn live_numbers(&self) -> StoreResult<Vec<LiveNumber>>;
    /// The company that owns `number` (not deleted), if any: how the ingress learns a number
    /// another process added behind this node's back.
    async fn owner_of(&self, number: &PhoneNumber) -> StoreResult<Option<CompanyId>>;
    /// The company that last held `number` and released it (deleted), and when; `None` when no
    /// company released it.
    async fn last_release(&self, number: &PhoneNumber) -> StoreResult<Option<(CompanyId, DateTime<Utc>)>>;
    /// The company's settings; empty settings when none were stored.
    async fn get_settings(&self, company: CompanyId) -> StoreResult<CompanySettings>;
    async fn put_settings(&self, company: CompanyId, settings: &CompanySettings) -> StoreResult<()>;
}

/// A number's lifetime counter: what is folded into its row plus its daily rollup's rows after
/// them (migration 0029, [`crate::store::counter_fold`]). An expression over `phone_numbers`, so it
/// reads the same in a SELECT and in an UPDATE's RETURNING, on both backends.
macro_rules! lifetime_counter {
    ($rollup:literal, $name:literal) => {
        // CAST: PostgreSQL's sum of bigints is numeric.
        concat!(
            "CAST(folded_",
            $rollup,
            " + coalesce((SELECT sum(u.",
            $rollup,
            ") FROM usage_daily u WHERE u.company_id = phone_numbers.company_id \
             AND u.phone_number_id = phone_numbers.id AND u.day > phone_numbers.folded_through), 0) AS BIGINT) AS ",
            $name
        )
    };
}

pub(crate) const NUMBER_COLUMNS: &str = concat!(
    "id, company_id, phone_number, formatted_number, telnyx_phone_number_id, telnyx_messaging_profile_id, \
     telnyx_connection_id, features, status, department, location, number_type, campaign_id, brand_id, ",
    lifetime_counter!("incoming_calls", "incoming_calls_count"),
    ", ",
    lifetime_counter!("outgoing_calls", "outgoing_calls_count"),
    ", ",
    lifetime_counter!("sms_sent", "sms_sent_count"),
    ", ",
    lifetime_counter!("sms_received", "sms_received_count"),
    ", created_at, updated_at"
);

/// Implements [`CompanyStore`] for a store type with a `pool` field of an sqlx pool type.
macro_rules! impl_company_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::CompanyStore for $store {
            async fn create_company(
                &self,
                id: $crate::domain::CompanyId,
                name: &str,
            ) -> $crate::store::StoreResult<$crate::store::Company> {
                let row: $crate::store::models::CompanyRow = sqlx::query_as(
                    "INSERT INTO companies (id, name, created_at) VALUES ($1, $2, $3) RETURNING id, name, created_at",
                )
                .bind(id.as_uuid())
                .bind(name)
                .bind(chrono::Utc::now())
                .fetch_one(&self.pool)
                .await?;
                Ok(row.into())
            }

            async fn get_company(
                &self,
                id: $crate::domain::CompanyId,
            ) -> $crate::store::StoreResult<$crate::store::Company> {
                let row: $crate::store::models::CompanyRow =
                    sqlx::query_as("SELECT id, name, created_at FROM companies WHERE id = $1")
                        .bind(id.as_uuid())
                        .fetch_one(&self.pool)
                        .await?;
                Ok(row.into())
            }

            async fn page_companies(
                &self,
                w: &$crate::store::Window<$crate::store::page::CompanyKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::Company>> {
                let sql = format!(
                    "SELECT id, name, created_at FROM companies {} ORDER BY id LIMIT $1",
                    w.after_clause("WHERE id > $2")
                );
                let mut q = sqlx::query_as::<_, $crate::store::models::CompanyRow>(&sql).bind(w.limit);
                if let Some(id) = w.after {
                    q = q.bind(id);
                }
                let rows = q.fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn insert_number(
                &self,
                n: &$crate::store::NewNumber,
            ) -> $crate::store::StoreResult<$crate::store::NumberRecord> {
                let now = chrono::Utc::now();
                let sql = format!(
                    "INSERT INTO phone_numbers (id, company_id, phone_number, formatted_number, telnyx_phone_number_id, \
                     telnyx_messaging_profile_id, telnyx_connection_id, features, status, department, location, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
                     RETURNING {}",
                    $crate::store::companies::NUMBER_COLUMNS
                );
                let row: $crate::store::models::NumberRow = sqlx::query_as(&sql)
                    .bind(n.id.as_uuid())
                    .bind(n.company_id.as_uuid())
                    .bind(n.phone_number.as_str())
                    .bind(n.phone_number.formatted())
                    .bind(n.telnyx_phone_number_id.as_deref())
                    .bind(n.telnyx_messaging_profile_id.as_deref())
                    .bind(n.telnyx_connection_id.as_deref())
                    .bind(n.features.to_db())
                    .bind(n.status.as_str())
                    .bind(n.department.as_deref())
                    .bind(n.location.as_deref())
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            }

            async fn get_number(
                &self,
                company: $crate::domain::CompanyId,
                id: $crate::domain::PhoneNumberId,
            ) -> $crate::store::StoreResult<$crate::store::NumberRecord> {
                let sql = format!(
                    "SELECT {} FROM phone_numbers WHERE company_id = $1 AND id = $2",
                    $crate::store::companies::NUMBER_COLUMNS
                );
                let row: $crate::store::models::NumberRow = sqlx::query_as(&sql)
                    .bind(company.as_uuid())
                    .bind(id.as_uuid())
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            }

            async fn page_numbers(
                &self,
                company: $crate::domain::CompanyId,
                filter: $crate::store::NumberFilter,
                w: &$crate::store::Window<$crate::store::page::NumberKey>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::NumberRecord>> {
                // Features are stored as "sms,mms,voice": match the name between commas.
                let sql = format!(
                    "SELECT {} FROM phone_numbers WHERE company_id = $1 \
                     AND ($2 IS NULL OR status = $2) \
                     AND ($3 IS NULL OR (',' || features || ',') LIKE ('%,' || $3 || ',%')) {} \
                     ORDER BY phone_number, id LIMIT $4",
                    $crate::store::companies::NUMBER_COLUMNS,
                    w.after_clause("AND (phone_number, id) > ($5, $6)")
                );
                let mut q = sqlx::query_as::<_, $crate::store::models::NumberRow>(&sql)
                    .bind(company.as_uuid())
                    .bind(filter.status.map(|s| s.as_str()))
                    .bind(filter.feature.map(|f| f.as_str()))
                    .bind(w.limit);
                if let Some((phone_number, id)) = &w.after {
                    q = q.bind(phone_number.clone()).bind(*id);
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn update_number(
                &self,
                company: $crate::domain::CompanyId,
                id: $crate::domain::PhoneNumberId,
                p: &$crate::store::NumberPatch,
            ) -> $crate::store::StoreResult<$crate::store::NumberRecord> {
                // A flag per optional field says whether to set it ($n) or keep the column.
                let sql = format!(
                    "UPDATE phone_numbers SET \
                     department = CASE WHEN $3 THEN $4 ELSE department END, \
                     location = CASE WHEN $5 THEN $6 ELSE location END, \
                     status = COALESCE($7, status), \
                     features = COALESCE($8, features), \
                     telnyx_messaging_profile_id = CASE WHEN $9 THEN $10 ELSE telnyx_messaging_profile_id END, \
                     telnyx_connection_id = CASE WHEN $11 THEN $12 ELSE telnyx_connection_id END, \
                     updated_at = $13, \
                     number_type = COALESCE($14, number_type), \
                     campaign_id = CASE WHEN $15 THEN $16 ELSE campaign_id END, \
                     brand_id = CASE WHEN $17 THEN $18 ELSE brand_id END \
                     WHERE company_id = $1 AND id = $2 RETURNING {}",
                    $crate::store::companies::NUMBER_COLUMNS
                );
                let row: $crate::store::models::NumberRow = sqlx::query_as(&sql)
                    .bind(company.as_uuid())
                    .bind(id.as_uuid())
                    .bind(p.department.is_some())
                    .bind(p.department.clone().flatten())
                    .bind(p.location.is_some())
                    .bind(p.location.clone().flatten())
                    .bind(p.status.map(|s| s.as_str()))
                    .bind(p.features.map(|f| f.to_db()))
                    .bind(p.telnyx_messaging_profile_id.is_some())
                    .bind(p.telnyx_messaging_profile_id.clone().flatten())
                    .bind(p.telnyx_connection_id.is_some())
                    .bind(p.telnyx_connection_id.clone().flatten())
                    .bind(chrono::Utc::now())
                    .bind(p.number_type.map(|t| t.as_str()))
                    .bind(p.campaign_id.is_some())
                    .bind(p.campaign_id.clone().flatten())
                    .bind(p.brand_id.is_some())
                    .bind(p.brand_id.clone().flatten())
                    .fetch_one(&self.pool)
                    .await?;
                row.try_into()
            }

            async fn live_numbers(&self) -> $crate::store::StoreResult<Vec<$crate::store::LiveNumber>> {
                // Streamed: a million rows are decoded as they arrive, not held twice.
                use futures::TryStreamExt;
                let mut rows = sqlx::query_as::<_, (uuid::Uuid, uuid::Uuid, String, String)>(
                    "SELECT id, company_id, phone_number, status FROM phone_numbers WHERE status <> 'deleted'",
                )
                .fetch(&self.pool);
                let mut numbers = Vec::new();
                while let Some(row) = rows.try_next().await? {
                    numbers.push($crate::store::LiveNumber::from_row(row)?);
                }
                Ok(numbers)
            }

            async fn owner_of(
                &self,
                number: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<Option<$crate::domain::CompanyId>> {
                let owner: Option<uuid::Uuid> = sqlx::query_scalar(
                    "SELECT company_id FROM phone_numbers WHERE phone_number = $1 AND status <> 'deleted'",
                )
                .bind(number.as_str())
                .fetch_optional(&self.pool)
                .await?;
                Ok(owner.map($crate::domain::CompanyId::from_uuid))
            }

            async fn last_release(
                &self,
                number: &$crate::domain::PhoneNumber,
            ) -> $crate::store::StoreResult<Option<($crate::domain::CompanyId, chrono::DateTime<chrono::Utc>)>> {
                let row: Option<(uuid::Uuid, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT company_id, updated_at FROM phone_numbers WHERE phone_number = $1 AND status = 'deleted' \
                     ORDER BY updated_at DESC LIMIT 1",
                )
                .bind(number.as_str())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(c, at)| ($crate::domain::CompanyId::from_uuid(c), at)))
            }

            async fn get_settings(
                &self,
                company: $crate::domain::CompanyId,
            ) -> $crate::store::StoreResult<$crate::store::CompanySettings> {
                let row: Option<$crate::store::models::SettingsRow> = sqlx::query_as(
                    "SELECT messaging_profile_id, call_control_application_id, outbound_voice_profile_id, \
                     default_outbound_number, default_outbound_phone_number_id, default_outbound_number_id \
                     FROM company_telnyx_settings WHERE company_id = $1",
                )
                .bind(company.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
                row.map(TryInto::try_into).transpose().map(Option::unwrap_or_default)
            }

            async fn put_settings(
                &self,
                company: $crate::domain::CompanyId,
                s: &$crate::store::CompanySettings,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO company_telnyx_settings (company_id, messaging_profile_id, call_control_application_id, \
                     outbound_voice_profile_id, default_outbound_number, default_outbound_phone_number_id, \
                     default_outbound_number_id, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (company_id) DO UPDATE SET messaging_profile_id = excluded.messaging_profile_id, \
                     call_control_application_id = excluded.call_control_application_id, \
                     outbound_voice_profile_id = excluded.outbound_voice_profile_id, \
                     default_outbound_number = excluded.default_outbound_number, \
                     default_outbound_phone_number_id = excluded.default_outbound_phone_number_id, \
                     default_outbound_number_id = excluded.default_outbound_number_id, \
                     updated_at = excluded.updated_at",
                )
                .bind(company.as_uuid())
                .bind(s.messaging_profile_id.as_deref())
                .bind(s.call_control_application_id.as_deref())
                .bind(s.outbound_voice_profile_id.as_deref())
                .bind(s.default_outbound_number.as_ref().map(|n| n.as_str()))
                .bind(s.default_outbound_phone_number_id.as_deref())
                .bind(s.default_outbound_number_id.map(|i| i.as_uuid()))
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_company_store;
