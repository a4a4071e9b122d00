//! The `[forwards]` section: the exceptions to "a message forward goes to a public https URL", and
//! when a failed forward is attempted again.
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(super) struct RawForwards {
    insecure_hosts: Vec<String>,
    allowed_cidrs: Vec<String>,
    secret_grace_hours: u32,
    retry_schedule: Vec<String>,
    retry_jitter_percent: u32,
    retry_after_max_secs: u64,
}

/// Most steps a retry schedule may have.
const MAX_RETRY_STEPS: usize = 50;
/// The longest wait of one step (a week).
const MAX_RETRY_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Clone, Default)]
pub struct ForwardSettings {
    /// Hosts a forward may reach over plain http (local development).
    pub insecure_hosts: Vec<String>,
    /// Private ranges a forward may reach (a receiver inside the operator's own network).
    pub allowed_cidrs: Vec<IpNet>,
    /// After a rotation, how long forwards are signed with the previous secret too.
    pub secret_grace_hours: u32,
    /// The wait before a forward's first attempt on a URL, then after each failed one (its length
    /// is the attempts per URL).
    pub retry_schedule: Vec<Duration>,
    /// Each wait is spread by up to this percentage at random.
    pub retry_jitter_percent: u32,
    /// The longest `Retry-After` honoured.
    pub retry_after_max_secs: u64,
}

impl RawForwards {
    pub(super) fn validate(self, bad: &mut impl FnMut(&str, String)) -> ForwardSettings {
        let mut insecure_hosts = Vec::new();
        for h in self.insecure_hosts.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
            if h.contains(['/', ':', '@', ' ']) && !(h.starts_with('[') && h.ends_with(']')) {
                bad(
                    "forwards.insecure_hosts",
                    format!("{h:?} is not a host name or address (no scheme, port or path)"),
                );
            } else {
                insecure_hosts.push(h.to_ascii_lowercase());
            }
        }
        let mut allowed_cidrs = Vec::new();
        for c in self.allowed_cidrs.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            match c.parse::<IpNet>() {
                Ok(net) => allowed_cidrs.push(net),
                Err(_) => bad("forwards.allowed_cidrs", format!("{c:?} is not a CIDR range like 10.1.0.0/16")),
            }
        }
        if self.secret_grace_hours > 24 * 30 {
            bad("forwards.secret_grace_hours", "must be at most 720 (30 days)".into());
        }
        let mut retry_schedule = Vec::new();
        for step in &self.retry_schedule {
            match parse_duration(step) {
                Some(d) if d <= MAX_RETRY_WAIT => retry_schedule.push(d),
                Some(_) => bad("forwards.retry_schedule", format!("{step:?} is longer than a week")),
                None => bad("forwards.retry_schedule", format!("{step:?} is not a duration like 250ms, 5s, 5m or 2h")),
            }
        }
        if !(1..=MAX_RETRY_STEPS).contains(&self.retry_schedule.len()) {
            bad("forwards.retry_schedule", format!("must list from 1 to {MAX_RETRY_STEPS} durations"));
        }
        if self.retry_jitter_percent > 50 {
            bad("forwards.retry_jitter_percent", "must be from 0 to 50".into());
        }
        if self.retry_after_max_secs > MAX_RETRY_WAIT.as_secs() {
            bad("forwards.retry_after_max_secs", format!("must be at most {} (a week)", MAX_RETRY_WAIT.as_secs()));
        }
        ForwardSettings {
            insecure_hosts,
            allowed_cidrs,
            secret_grace_hours: self.secret_grace_hours,
            retry_schedule,
            retry_jitter_percent: self.retry_jitter_percent,
            retry_after_max_secs: self.retry_after_max_secs,
        }
    }
}

/// `250ms`, `5s`, `5m`, `2h` or a bare number of seconds.
pub(super) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let ms = match unit.trim() {
        "ms" => n,
        "" | "s" => n.checked_mul(1000)?,
        "m" => n.checked_mul(60_000)?,
        "h" => n.checked_mul(3_600_000)?,
        _ => return None,
    };
    Some(Duration::from_millis(ms))
}
