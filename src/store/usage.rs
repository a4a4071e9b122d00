//! Usage over time: reads of the daily rollup (`usage_daily`), which only the ledger's commit
//! writes (`postgres_ledger.rs`, `sqlite_ledger.rs`). Days are UTC days of the commit. The SQL is
//! the same text on both backends (a `date` column on PostgreSQL, 'YYYY-MM-DD' text on SQLite:
//! sqlx binds `NaiveDate` as each expects), written once in [`impl_usage_store!`].
use async_trait::async_trait;
use chrono::NaiveDate;
use serde::Serialize;

use super::StoreResult;
use crate::domain::{CompanyId, PhoneNumberId};

/// What a number (or a company) did over some days: the four counters, the outcomes of its
/// messages per recipient (`failed` includes the three causes after it), and the outcomes of its
/// calls (`calls_ended` includes the answered ones, `calls_answered` the short ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UsageCounts {
    pub incoming_calls: i64,
    pub outgoing_calls: i64,
    pub sms_sent: i64,
    pub sms_received: i64,
    pub delivered: i64,
    pub failed: i64,
    /// Failed as spam or blocked by the carrier (Telnyx 40002, 40003, 40015).
    pub failed_spam: i64,
    /// Failed on throughput limits (40011, 40014).
    pub failed_throughput: i64,
    /// Failed for a bad or unreachable destination (40001, 40012).
    pub failed_destination: i64,
    /// Calls of the company's that ended (`call.hangup` of the caller's leg of an inbound call, or
    /// of a call placed from the number).
    pub calls_ended: i64,
    /// ...of which had been answered.
    pub calls_answered: i64,
    /// ...of which lasted less than `number_health.short_call_secs`.
    pub calls_short: i64,
}

/// The columns of [`UsageCounts`], in order, as the rollup names them.
pub const USAGE_COLUMNS: [&str; 12] = [
    "incoming_calls",
    "outgoing_calls",
    "sms_sent",
    "sms_received",
    "delivered",
    "failed",
    "failed_spam",
    "failed_throughput",
    "failed_destination",
    "calls_ended",
    "calls_answered",
    "calls_short",
];

impl UsageCounts {
    /// The values in [`USAGE_COLUMNS`] order.
    pub fn values(&self) -> [i64; 12] {
        [
            self.incoming_calls,
            self.outgoing_calls,
            self.sms_sent,
            self.sms_received,
            self.delivered,
            self.failed,
            self.failed_spam,
            self.failed_throughput,
            self.failed_destination,
            self.calls_ended,
            self.calls_answered,
            self.calls_short,
        ]
    }

    /// The counts of values in [`USAGE_COLUMNS`] order.
    pub fn from_values(v: [i64; 12]) -> Self {
        let [incoming_calls, outgoing_calls, sms_sent, sms_received, delivered, failed, failed_spam, failed_throughput, failed_destination, calls_ended, calls_answered, calls_short] =
            v;
        Self {
            incoming_calls,
            outgoing_calls,
            sms_sent,
            sms_received,
            delivered,
            failed,
            failed_spam,
            failed_throughput,
            failed_destination,
            calls_ended,
            calls_answered,
            calls_short,
        }
    }
}

/// One row of a query: a key (day or number) and the twelve sums.
pub(crate) type SumRow<K> = (K, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

pub(crate) fn counts_of<K>(r: SumRow<K>) -> (K, UsageCounts) {
    (r.0, UsageCounts::from_values([r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12]))
}

/// One row of the per-number query: company, number and the twelve sums.
pub(crate) type ByNumberRow = (uuid::Uuid, uuid::Uuid, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64);

pub(crate) fn by_number(r: ByNumberRow) -> (CompanyId, PhoneNumberId, UsageCounts) {
    let counts = UsageCounts::from_values([r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, r.13]);
    (CompanyId::from_uuid(r.0), PhoneNumberId::from_uuid(r.1), counts)
}

/// `CAST(SUM(column) AS BIGINT)` of every column (PostgreSQL sums bigints as numeric).
pub(crate) fn sums() -> String {
    USAGE_COLUMNS.iter().map(|c| format!("CAST(SUM({c}) AS BIGINT)")).collect::<Vec<_>>().join(", ")
}

#[async_trait]
pub trait UsageStore: Send + Sync {
    /// The days of `from..=to` that have usage, in order, summed over the company's numbers (or
    /// one number's alone).
    async fn daily_usage(
        &self,
        company: CompanyId,
        number: Option<PhoneNumberId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<(NaiveDate, UsageCounts)>>;
    /// Per number that has usage since `from` (inclusive), of one company or of every company:
    /// its sums.
    async fn usage_by_number(
        &self,
        company: Option<CompanyId>,
        from: NaiveDate,
    ) -> StoreResult<Vec<(CompanyId, PhoneNumberId, UsageCounts)>>;
}

macro_rules! impl_usage_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::usage::UsageStore for $store {
            async fn daily_usage(
                &self,
                company: $crate::domain::CompanyId,
                number: Option<$crate::domain::PhoneNumberId>,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> $crate::store::StoreResult<Vec<(chrono::NaiveDate, $crate::store::usage::UsageCounts)>> {
                let only_number = if number.is_some() { "AND phone_number_id = $4" } else { "" };
                let sql = format!(
                    "SELECT day, {} FROM usage_daily WHERE company_id = $1 AND day >= $2 AND day <= $3 {only_number} \
                     GROUP BY day ORDER BY day",
                    $crate::store::usage::sums()
                );
                let mut q = sqlx::query_as::<_, $crate::store::usage::SumRow<chrono::NaiveDate>>(&sql)
                    .bind(company.as_uuid())
                    .bind(from)
                    .bind(to);
                if let Some(n) = number {
                    q = q.bind(n.as_uuid());
                }
                let rows = q.fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map($crate::store::usage::counts_of).collect())
            }

            async fn usage_by_number(
                &self,
                company: Option<$crate::domain::CompanyId>,
                from: chrono::NaiveDate,
            ) -> $crate::store::StoreResult<
                Vec<($crate::domain::CompanyId, $crate::domain::PhoneNumberId, $crate::store::usage::UsageCounts)>,
            > {
                let only_company = if company.is_some() { "AND company_id = $2" } else { "" };
                let sql = format!(
                    "SELECT company_id, phone_number_id, {} FROM usage_daily WHERE day >= $1 {only_company} \
                     GROUP BY company_id, phone_number_id",
                    $crate::store::usage::sums()
                );
                let mut q = sqlx::query_as::<_, $crate::store::usage::ByNumberRow>(&sql).bind(from);
                if let Some(c) = company {
                    q = q.bind(c.as_uuid());
                }
                let rows = q.fetch_all(&self.pool).await?;
                Ok(rows.into_iter().map($crate::store::usage::by_number).collect())
            }
        }
    };
}
pub(crate) use impl_usage_store;
