//! Number health at run time: each company's judged numbers, kept in memory so that a sender
//! choice costs no database read of its own.
//!
//! How it stays correct, simply:
//! - A company's health is read from the daily rollups (one grouped query over the window) on its
//!   first use and again when it is older than `number_health.refresh_secs` (changes committed by
//!   other nodes show within that).
//! - When this node commits a delivery outcome (`message.finalized`) or a call outcome
//!   (`call.hangup`) for a company, the ingress marks it changed before answering Telnyx; the next use reads it again (at most once per
//!   `number_health.refresh_min_ms`, which bounds the reads of a busy company). A mark that
//!   arrives while a read is in flight is kept, so that read cannot hide it.
//! - The gauge of unhealthy numbers is recomputed for every company from the database every
//!   `refresh_secs` ([`spawn_health_gauge`]): it counts numbers no node may have in memory.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};

use crate::config::NumberHealthSettings;
use crate::domain::{CompanyId, PhoneNumberId};
use crate::metrics::NUMBERS_UNHEALTHY;
use crate::routing::{judge_health, CallTotals, CompanyRouting, DeliveryTotals, NumberHealth};
use crate::store::{DynStore, StoreResult, UsageCounts};

/// One company's numbers that have usage in the window (others have nothing to judge).
pub type CompanyHealth = Arc<HashMap<PhoneNumberId, NumberHealth>>;

struct Entry {
    /// When the health held was read (`None`: never).
    read_at: Option<Instant>,
    /// When this node last committed a delivery or call outcome for the company.
    changed_at: Option<Instant>,
    numbers: CompanyHealth,
}

pub struct HealthBook {
    store: DynStore,
    settings: NumberHealthSettings,
    companies: Mutex<HashMap<CompanyId, Entry>>,
}

impl HealthBook {
    pub fn new(store: DynStore, settings: NumberHealthSettings) -> Self {
        Self { store, settings, companies: Mutex::new(HashMap::new()) }
    }

    pub fn settings(&self) -> &NumberHealthSettings {
        &self.settings
    }

    /// The first day of the window (UTC, today included).
    fn window_start(&self) -> NaiveDate {
        Utc::now().date_naive() - chrono::Duration::days(i64::from(self.settings.window_days.max(1)) - 1)
    }

    fn judge(&self, u: &UsageCounts) -> NumberHealth {
        let totals =
            DeliveryTotals { sent: u.sms_sent, delivered: u.delivered, failed: u.failed, failed_spam: u.failed_spam };
        let calls = CallTotals { ended: u.calls_ended, answered: u.calls_answered, short: u.calls_short };
        judge_health(totals, calls, &self.settings)
    }

    /// A number without outcomes in the window.
    pub fn unjudged(&self) -> NumberHealth {
        judge_health(DeliveryTotals::default(), CallTotals::default(), &self.settings)
    }

    /// This node committed a delivery or call outcome for `company`: read its health again at next
    /// use.
    pub fn changed(&self, company: CompanyId) {
        let mut companies = self.companies.lock().unwrap_or_else(|e| e.into_inner());
        let entry = companies.entry(company).or_insert_with(|| Entry {
            read_at: None,
            changed_at: None,
            numbers: CompanyHealth::default(),
        });
        entry.changed_at = Some(Instant::now());
    }

    /// Whether the held health of `company` can still be used at `now`.
    fn fresh(&self, entry: &Entry, now: Instant) -> bool {
        let Some(read_at) = entry.read_at else { return false };
        let age = now.saturating_duration_since(read_at);
        if age >= Duration::from_secs(self.settings.refresh_secs) {
            return false;
        }
        let changed_since = entry.changed_at.is_some_and(|c| c >= read_at);
        !changed_since || age < Duration::from_millis(self.settings.refresh_min_ms)
    }

    /// The company's numbers with usage in the window, judged.
    pub async fn company(&self, company: CompanyId) -> StoreResult<CompanyHealth> {
        let now = Instant::now();
        {
            let companies = self.companies.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(e) = companies.get(&company).filter(|e| self.fresh(e, now)) {
                return Ok(e.numbers.clone());
            }
        }
        let rows = self.store.usage_by_number(Some(company), self.window_start()).await?;
        let numbers: CompanyHealth = Arc::new(rows.iter().map(|(_, id, u)| (*id, self.judge(u))).collect());
        let mut companies = self.companies.lock().unwrap_or_else(|e| e.into_inner());
        let changed_at = companies.get(&company).and_then(|e| e.changed_at);
        companies.insert(company, Entry { read_at: Some(now), changed_at, numbers: numbers.clone() });
        Ok(numbers)
    }

    /// One number's health (unjudged when it has no outcomes in the window).
    pub fn of(&self, health: &CompanyHealth, number: PhoneNumberId) -> NumberHealth {
        health.get(&number).cloned().unwrap_or_else(|| self.unjudged())
    }

    /// Marks the unhealthy numbers of `routing` (a company's, as loaded for a sender choice).
    pub async fn mark(&self, company: CompanyId, routing: &mut CompanyRouting) -> StoreResult<()> {
        let health = self.company(company).await?;
        let unhealthy: Vec<_> = routing
            .numbers()
            .filter_map(|r| health.get(&r.id).filter(|h| h.is_unhealthy()).map(|h| (r.number.clone(), h)))
            .map(|(n, h)| (n, h.reason.clone().unwrap_or_default()))
            .collect();
        for (number, why) in unhealthy {
            routing.set_unhealthy(number, why);
        }
        Ok(())
    }

    /// Unhealthy numbers over every company, from the database.
    pub async fn count_unhealthy(&self) -> StoreResult<usize> {
        let rows = self.store.usage_by_number(None, self.window_start()).await?;
        Ok(rows.iter().filter(|(_, _, u)| self.judge(u).is_unhealthy()).count())
    }
}

/// Sets the unhealthy-numbers gauge now and every `number_health.refresh_secs`.
pub fn spawn_health_gauge(book: Arc<HealthBook>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(book.settings.refresh_secs.max(1)));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match book.count_unhealthy().await {
                Ok(n) => metrics::gauge!(NUMBERS_UNHEALTHY).set(n as f64),
                Err(e) => tracing::warn!(error = %e, "cannot count unhealthy numbers"),
            }
        }
    })
}
