//! Per-company limits: messages and calls per minute, numbers bought per UTC day. The defaults
//! come from `[limits]`; the operator overrides them per company. Counting is in the database
//! (one statement per take, see [`crate::store::LimitStore`]), so every node shares one budget
//! per company. Windows are fixed (the minute or UTC day a request falls in): a burst across a
//! window's edge can reach twice a per-minute limit, never more.
use crate::config::LimitSettings;
use crate::domain::CompanyId;
use crate::metrics::COMPANY_LIMIT_REFUSALS;
use crate::store::{DynStore, LimitKind, LimitOverrides, StoreError, Take};

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error("{}", describe_exceeded(*.kind, *.limit))]
    Exceeded { kind: LimitKind, limit: i64, retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe_exceeded(kind: LimitKind, limit: i64) -> String {
    match kind {
        LimitKind::Messages => format!("the company reached its limit of {limit} messages per minute"),
        LimitKind::Calls => format!("the company reached its limit of {limit} calls per minute"),
        LimitKind::Purchases => {
            format!("the company reached its limit of {limit} numbers bought per day (UTC); nothing was bought")
        }
    }
}

/// The configured default of `kind`.
pub fn default_of(defaults: &LimitSettings, kind: LimitKind) -> i64 {
    i64::from(match kind {
        LimitKind::Messages => defaults.messages_per_minute,
        LimitKind::Calls => defaults.calls_per_minute,
        LimitKind::Purchases => defaults.purchases_per_day,
    })
}

/// The window a request at `now` (Unix seconds) falls in: its start and its length.
pub fn window(kind: LimitKind, now: i64) -> (i64, i64) {
    let length = match kind {
        LimitKind::Messages | LimitKind::Calls => 60,
        LimitKind::Purchases => 86_400,
    };
    (now - now.rem_euclid(length), length)
}

/// The effective limits of one company: the override where there is one, else the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EffectiveLimits {
    pub messages_per_minute: i64,
    pub calls_per_minute: i64,
    pub purchases_per_day: i64,
}

pub fn effective(defaults: &LimitSettings, overrides: &LimitOverrides) -> EffectiveLimits {
    let of = |kind| overrides.of(kind).unwrap_or_else(|| default_of(defaults, kind));
    EffectiveLimits {
        messages_per_minute: of(LimitKind::Messages),
        calls_per_minute: of(LimitKind::Calls),
        purchases_per_day: of(LimitKind::Purchases),
    }
}

/// Counts `amount` against the company's limit of `kind` now, or refuses with how long to wait.
pub async fn take(
    store: &DynStore,
    defaults: &LimitSettings,
    company: CompanyId,
    kind: LimitKind,
    amount: i64,
) -> Result<Take, LimitError> {
    let now = chrono::Utc::now().timestamp();
    let (window_start, length) = window(kind, now);
    let take = Take { kind, window_start, amount, default_limit: default_of(defaults, kind) };
    if store.take(company, &take).await?.is_some() {
        return Ok(take);
    }
    metrics::counter!(COMPANY_LIMIT_REFUSALS, "kind" => kind.as_str()).increment(1);
    let limit = store.limit_overrides(company).await?.of(kind).unwrap_or(take.default_limit);
    let retry_after_secs = u64::try_from(window_start + length - now).unwrap_or(1).max(1);
    Err(LimitError::Exceeded { kind, limit, retry_after_secs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_the_minute_and_the_utc_day() {
        // 2026-12-04T21:30:15Z
        let now = 1_796_419_815;
        assert_eq!(window(LimitKind::Messages, now), (1_796_419_800, 60));
        assert_eq!(window(LimitKind::Calls, now + 45), (1_796_419_860, 60));
        let (day, len) = window(LimitKind::Purchases, now);
        assert_eq!(len, 86_400);
        assert_eq!(chrono::DateTime::from_timestamp(day, 0).expect("ts").to_rfc3339(), "2026-12-04T00:00:00+00:00");
    }

    #[test]
    fn an_override_replaces_only_its_own_default() {
        let defaults = LimitSettings::default();
        let o = LimitOverrides { calls_per_minute: Some(0), ..Default::default() };
        let e = effective(&defaults, &o);
        assert_eq!(e.calls_per_minute, 0);
        assert_eq!(e.messages_per_minute, 600);
        assert_eq!(e.purchases_per_day, 20);
    }
}
