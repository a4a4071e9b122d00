//! Per-company limits: the operator's overrides of the configured defaults, and fixed windows
//! counting what each company took (messages and calls per minute, numbers bought per day).
//!
//! Taking is one statement that reads the company's override, checks the window and counts, so
//! concurrent requests on several nodes cannot overrun a limit, and a refused request takes
//! nothing. The SQL is the same text on both backends, written once in [`impl_limit_store!`].
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreResult;
use crate::domain::CompanyId;

/// What a limit counts. The names are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    Messages,
    Calls,
    Purchases,
}

impl LimitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Messages => "messages",
            LimitKind::Calls => "calls",
            LimitKind::Purchases => "purchases",
        }
    }
}

/// The operator's overrides for one company; `None` means the configured default applies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LimitOverrides {
    pub messages_per_minute: Option<i64>,
    pub calls_per_minute: Option<i64>,
    pub purchases_per_day: Option<i64>,
}

impl LimitOverrides {
    pub fn of(&self, kind: LimitKind) -> Option<i64> {
        match kind {
            LimitKind::Messages => self.messages_per_minute,
            LimitKind::Calls => self.calls_per_minute,
            LimitKind::Purchases => self.purchases_per_day,
        }
    }
}

/// One attempt to take `amount` from a company's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Take {
    pub kind: LimitKind,
    /// Unix seconds of the start of the window the request falls in.
    pub window_start: i64,
    pub amount: i64,
    /// The limit when the company has no override.
    pub default_limit: i64,
}

#[async_trait]
pub trait LimitStore: Send + Sync {
    /// The company's overrides (none stored: all `None`).
    async fn limit_overrides(&self, company: CompanyId) -> StoreResult<LimitOverrides>;
    async fn put_limit_overrides(&self, company: CompanyId, overrides: &LimitOverrides) -> StoreResult<()>;
    /// Counts `take.amount` in the company's current window when that stays within its limit
    /// (its override, else the default): `Some(used)` then; `None` when refused (nothing counted).
    async fn take(&self, company: CompanyId, take: &Take) -> StoreResult<Option<i64>>;
    /// Gives back what a take counted in the same window (a request that did not go ahead after
    /// all); nothing when the window has moved on.
    async fn give_back(&self, company: CompanyId, take: &Take) -> StoreResult<()>;
}

/// The company's limit of the kind bound as `$2`, else the default bound as `$5`.
const LIMIT_OF_KIND: &str = "COALESCE((SELECT CASE $2 WHEN 'messages' THEN messages_per_minute \
     WHEN 'calls' THEN calls_per_minute ELSE purchases_per_day END \
     FROM company_limits WHERE company_id = $1), $5)";

pub(crate) fn take_sql() -> String {
    format!(
        "INSERT INTO company_rate_windows (company_id, kind, window_start, used) \
         SELECT $1, $2, $3, $4 WHERE $4 <= {LIMIT_OF_KIND} \
         ON CONFLICT (company_id, kind) DO UPDATE SET \
         used = CASE WHEN company_rate_windows.window_start = excluded.window_start \
                THEN company_rate_windows.used + excluded.used ELSE excluded.used END, \
         window_start = excluded.window_start \
         WHERE company_rate_windows.window_start <> excluded.window_start \
            OR company_rate_windows.used + excluded.used <= {LIMIT_OF_KIND} \
         RETURNING used"
    )
}

macro_rules! impl_limit_store {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::limits::LimitStore for $store {
            async fn limit_overrides(
                &self,
                company: $crate::domain::CompanyId,
            ) -> $crate::store::StoreResult<$crate::store::limits::LimitOverrides> {
                let row: Option<(Option<i64>, Option<i64>, Option<i64>)> = sqlx::query_as(
                    "SELECT messages_per_minute, calls_per_minute, purchases_per_day \
                     FROM company_limits WHERE company_id = $1",
                )
                .bind(company.as_uuid())
                .fetch_optional(&self.pool)
                .await?;
                Ok(row
                    .map(|(messages_per_minute, calls_per_minute, purchases_per_day)| {
                        $crate::store::limits::LimitOverrides { messages_per_minute, calls_per_minute, purchases_per_day }
                    })
                    .unwrap_or_default())
            }

            async fn put_limit_overrides(
                &self,
                company: $crate::domain::CompanyId,
                o: &$crate::store::limits::LimitOverrides,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO company_limits \
                     (company_id, messages_per_minute, calls_per_minute, purchases_per_day, updated_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (company_id) DO UPDATE SET \
                     messages_per_minute = excluded.messages_per_minute, calls_per_minute = excluded.calls_per_minute, \
                     purchases_per_day = excluded.purchases_per_day, updated_at = excluded.updated_at",
                )
                .bind(company.as_uuid())
                .bind(o.messages_per_minute)
                .bind(o.calls_per_minute)
                .bind(o.purchases_per_day)
                .bind(chrono::Utc::now())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn take(
                &self,
                company: $crate::domain::CompanyId,
                t: &$crate::store::limits::Take,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let used: Option<i64> = sqlx::query_scalar(&$crate::store::limits::take_sql())
                    .bind(company.as_uuid())
                    .bind(t.kind.as_str())
                    .bind(t.window_start)
                    .bind(t.amount)
                    .bind(t.default_limit)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(used)
            }

            async fn give_back(
                &self,
                company: $crate::domain::CompanyId,
                t: &$crate::store::limits::Take,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE company_rate_windows SET used = CASE WHEN used > $4 THEN used - $4 ELSE 0 END \
                     WHERE company_id = $1 AND kind = $2 AND window_start = $3",
                )
                .bind(company.as_uuid())
                .bind(t.kind.as_str())
                .bind(t.window_start)
                .bind(t.amount)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}
pub(crate) use impl_limit_store;
