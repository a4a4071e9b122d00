//! A number as the admin API shows it in lists and by id: the stored record with its live usage
//! counters, and its health over the window (`company::health`).
use serde::Serialize;

use crate::company::health::HealthBook;
use crate::domain::CompanyId;
use crate::routes::api_error::ApiError;
use crate::routing::NumberHealth;
use crate::store::NumberRecord;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NumberView {
    #[serde(flatten)]
    pub record: NumberRecord,
    /// Deliverability and spam blocks of its messages over `number_health.window_days`; an
    /// `unhealthy` number is skipped by automatic sender choice.
    pub health: NumberHealth,
}

/// `rows` (numbers of `company`) with their health.
pub async fn with_health(
    book: &HealthBook,
    company: CompanyId,
    rows: Vec<NumberRecord>,
) -> Result<Vec<NumberView>, ApiError> {
    let health = book.company(company).await?;
    Ok(rows.into_iter().map(|record| NumberView { health: book.of(&health, record.id), record }).collect())
}
