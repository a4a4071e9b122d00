//! The limiters a message passes and the admission of a claim, as pure logic over the limiter
//! rows the store locked. Each rate limiter is GCRA without burst: its row holds the theoretical
//! arrival time (TAT); a message may go at `max(now, TAT of each of its limiters)` when that is
//! within the claim's horizon, and each limiter's TAT becomes that time plus its emission interval
//! (1 / rate, rounded up to the microsecond). Consecutive sends through one limiter are therefore
//! at least one interval apart, so no window of one second holds more than the rate per second
//! (per minute: no minute more than the rate per minute). A brand's daily budget counts the
//! messages whose send time falls in its Pacific day.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono_tz::America::Los_Angeles;

use super::clock::Clock;
use crate::config::SendingSettings;
use crate::domain::NumberType;
use crate::store::send_claim::{Admission, ClaimSize, Limiter};
use crate::store::send_queue::{MessageKind, OutboundRecord};

const MICROS_PER_SECOND: f64 = 1_000_000.0;

/// The microseconds between two sends at `per_second`, rounded up (never faster than the rate).
pub fn interval_us(per_second: f64) -> i64 {
    (MICROS_PER_SECOND / per_second).ceil().max(1.0) as i64
}

/// The limiters of the configured rates, and the claim's horizon.
#[derive(Debug, Clone)]
pub struct Planner {
    settings: SendingSettings,
    horizon_us: i64,
    /// The share of each configured rate the limiters use (`1 - limit_headroom_percent / 100`).
    use_share: f64,
    /// Read once a claim holds its lock (the worker's clock); without it the admission decides
    /// at the time the claim began.
    clock: Option<Arc<dyn Clock>>,
}

/// A limiter a message passes: its key and emission interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateKey {
    pub key: String,
    pub interval_us: i64,
}

impl Planner {
    pub fn new(settings: &SendingSettings) -> Self {
        Planner {
            settings: settings.clone(),
            horizon_us: settings.claim_horizon_ms as i64 * 1000,
            use_share: 1.0 - settings.limit_headroom_percent / 100.0,
            clock: None,
        }
    }

    /// Admissions decide at `clock`'s time once the claim holds its lock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The interval between two sends through a limiter of `per_second`, its headroom kept.
    fn interval(&self, per_second: f64) -> i64 {
        interval_us(per_second * self.use_share)
    }

    /// The sender's limiter: per number by type, or per 10DLC campaign.
    pub fn sender_limiter(&self, m: &OutboundRecord) -> RateKey {
        let s = &self.settings;
        let number =
            |per_second: f64| RateKey { key: format!("sender:{}", m.from), interval_us: self.interval(per_second) };
        match m.sender.number_type {
            NumberType::LongCode => number(s.long_code_per_minute / 60.0),
            NumberType::TollFree => number(s.toll_free_per_second),
            NumberType::ShortCode => number(s.short_code_per_second),
            NumberType::TenDlc => match &m.sender.campaign_id {
                Some(c) => {
                    let per_minute = s.campaign_per_minute.get(c).copied().unwrap_or(s.ten_dlc_per_minute);
                    RateKey { key: format!("campaign:{c}"), interval_us: self.interval(per_minute / 60.0) }
                }
                None => number(s.ten_dlc_per_minute / 60.0),
            },
        }
    }

    /// The account's limiter of the message's kind.
    pub fn account_limiter(&self, kind: MessageKind) -> RateKey {
        let per_second = match kind {
            MessageKind::Sms => self.settings.account_sms_per_second,
            MessageKind::Mms => self.settings.account_mms_per_second,
        };
        RateKey { key: format!("account:{}", kind.as_str()), interval_us: self.interval(per_second) }
    }

    /// The account's calls limiter.
    pub fn calls_limiter(&self) -> RateKey {
        RateKey { key: "account:calls".into(), interval_us: self.interval(self.settings.account_calls_per_second) }
    }

    /// The daily budget key of a 10DLC message's brand.
    pub fn brand_key(m: &OutboundRecord) -> Option<String> {
        match (m.sender.number_type, &m.sender.brand_id) {
            (NumberType::TenDlc, Some(b)) => Some(format!("brand:{b}")),
            _ => None,
        }
    }

    /// How many candidates a claim reads (per sender: what could pass within one horizon).
    pub fn claim_size(&self) -> ClaimSize {
        let s = &self.settings;
        let per =
            |per_second: f64| ((per_second * self.horizon_us as f64 / MICROS_PER_SECOND).ceil() as i64 + 1).max(1);
        ClaimSize {
            candidates: i64::from(s.claim_batch),
            admitted: i64::from(s.max_in_flight),
            per_short_code: per(s.short_code_per_second),
            per_toll_free: per(s.toll_free_per_second),
            per_other: per(s.ten_dlc_per_minute.max(s.long_code_per_minute) / 60.0),
        }
    }
}

/// The Pacific day (as `YYYY-MM-DD`) of a Unix-µs instant: when T-Mobile's brand budgets reset.
pub fn pacific_day(at_us: i64) -> String {
    chrono::DateTime::from_timestamp_micros(at_us)
        .map(|t| t.with_timezone(&Los_Angeles).date_naive().to_string())
        .unwrap_or_default()
}

impl Admission for Planner {
    fn keys(&self, m: &OutboundRecord) -> Vec<String> {
        let mut keys = vec![self.sender_limiter(m).key, self.account_limiter(m.kind).key];
        keys.extend(Planner::brand_key(m));
        keys
    }

    fn decided_at_us(&self, claimed_at_us: i64) -> i64 {
        self.clock.as_ref().map_or(claimed_at_us, |c| c.now_us())
    }

    /// Earliest slot first, fair order on ties: each round looks at the first waiting message of
    /// every sender (so a sender's messages keep their order), takes the one that can go soonest
    /// (the first in fair order among equals) and advances its limiters. A sender whose own limiter
    /// is further ahead than the account's thus leaves the account's slot to another sender rather
    /// than a hole.
    ///
    /// The keys are resolved to indexes once, so a round is a pass over plain integers: a claim of
    /// 1,000 candidates admitting 250 is ~250,000 cheap steps, on the thread that also fires the
    /// node's sends (a slow admission would delay sends already due and then release them at once).
    fn admit(
        &self,
        now_us: i64,
        candidates: &[OutboundRecord],
        limiters: &mut BTreeMap<String, Limiter>,
        most: usize,
    ) -> Vec<(usize, i64)> {
        let latest = now_us + self.horizon_us;
        let budget = self.settings.brand_daily_messages as i64;
        let mut keys = KeyTable::default();
        let plans: Vec<Plan> = candidates
            .iter()
            .map(|m| {
                let sender = self.sender_limiter(m);
                let account = self.account_limiter(m.kind);
                Plan {
                    sender: keys.id(sender.key, limiters),
                    sender_interval: sender.interval_us,
                    account: keys.id(account.key, limiters),
                    account_interval: account.interval_us,
                    brand: Planner::brand_key(m).map(|b| keys.id(b, limiters)),
                }
            })
            .collect();
        // The Pacific day of every slot of this claim, unless the horizon crosses midnight.
        let day_now = pacific_day(now_us);
        let one_day = (day_now == pacific_day(latest)).then_some(day_now);
        let day_of = |at: i64| one_day.clone().unwrap_or_else(|| pacific_day(at));
        let n = keys.state.len();
        // Keys with no slot left in this claim; the round each sender's head was last seen in.
        let mut full = vec![false; n];
        let mut seen = vec![usize::MAX; n];
        let mut done = vec![false; candidates.len()];
        let mut admitted = Vec::new();
        while admitted.len() < most {
            let round = admitted.len();
            let mut best: Option<(i64, usize)> = None;
            for (i, p) in plans.iter().enumerate() {
                if done[i] || seen[p.sender] == round {
                    continue;
                }
                seen[p.sender] = round;
                if full[p.sender] || full[p.account] || p.brand.is_some_and(|b| full[b]) {
                    continue;
                }
                let (sender_tat, account_tat) = (keys.state[p.sender].tat_us, keys.state[p.account].tat_us);
                let at = now_us.max(sender_tat).max(account_tat);
                if at > latest {
                    full[p.sender] |= sender_tat > latest;
                    full[p.account] |= account_tat > latest;
                    continue;
                }
                if let Some(b) = p.brand {
                    let day = day_of(at);
                    let l = &keys.state[b];
                    if l.day.as_deref() == Some(day.as_str()) && l.used >= budget {
                        full[b] = true;
                        continue;
                    }
                }
                if best.is_none_or(|(best_at, _)| at < best_at) {
                    best = Some((at, i));
                }
            }
            let Some((at, i)) = best else { break };
            let p = &plans[i];
            if let Some(b) = p.brand {
                let day = day_of(at);
                let l = &mut keys.state[b];
                if l.day.as_deref() != Some(day.as_str()) {
                    (l.day, l.used) = (Some(day), 0);
                }
                l.used += 1;
            }
            keys.state[p.sender].tat_us = at + p.sender_interval;
            keys.state[p.account].tat_us = at + p.account_interval;
            done[i] = true;
            admitted.push((i, at));
        }
        for state in keys.state {
            limiters.insert(state.key.clone(), state);
        }
        admitted
    }
}

/// One candidate's limiters, as indexes into the claim's [`KeyTable`].
struct Plan {
    sender: usize,
    sender_interval: i64,
    account: usize,
    account_interval: i64,
    brand: Option<usize>,
}

/// The claim's limiter keys, each once, with their state (as stored, or fresh; `Limiter::key`
/// names it).
#[derive(Default)]
struct KeyTable {
    ids: HashMap<String, usize>,
    state: Vec<Limiter>,
}

impl KeyTable {
    fn id(&mut self, key: String, stored: &BTreeMap<String, Limiter>) -> usize {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let state = stored.get(&key).cloned().unwrap_or(Limiter { key: key.clone(), tat_us: 0, day: None, used: 0 });
        self.ids.insert(key, self.state.len());
        self.state.push(state);
        self.state.len() - 1
    }
}
