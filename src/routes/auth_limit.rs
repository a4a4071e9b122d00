//! Failed authentication is rate limited per client address: after `admin.auth_failures_per_minute`
//! refused tokens (replenished at that rate; a request without a token is not a guess), every admin request from that address answers 429 with
//! Retry-After until the budget refills, whatever token it carries (answering a right token
//! while locked would let a guesser tell right from wrong). The address is the TCP peer: behind a
//! proxy all clients share the proxy's budget.
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::metrics::ADMIN_AUTH_FAILURES;

/// Addresses tracked before stale entries are dropped (bounds the memory an attacker can fill).
const SWEEP_EVERY: usize = 10_000;

pub struct AuthFailures {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Addresses locked out, until when.
    locked: DashMap<IpAddr, Instant>,
}

impl AuthFailures {
    pub fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute.max(1)).expect("at least 1");
        Self { limiter: RateLimiter::keyed(Quota::per_minute(per_minute)), locked: DashMap::new() }
    }

    /// How long `ip` stays locked out, when it is.
    pub fn locked(&self, ip: IpAddr) -> Option<Duration> {
        let until = *self.locked.get(&ip)?;
        match until.checked_duration_since(Instant::now()) {
            Some(wait) if !wait.is_zero() => Some(wait),
            _ => {
                self.locked.remove_if(&ip, |_, u| *u == until);
                None
            }
        }
    }

    /// Records a failed attempt from `ip`; answers how long it is locked out when this one
    /// exhausted its budget.
    pub fn failed(&self, ip: IpAddr) -> Option<Duration> {
        if self.limiter.len() >= SWEEP_EVERY {
            self.limiter.retain_recent();
            self.locked.retain(|_, until| *until > Instant::now());
        }
        match self.limiter.check_key(&ip) {
            Ok(()) => {
                metrics::counter!(ADMIN_AUTH_FAILURES, "outcome" => "refused").increment(1);
                None
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now()).max(Duration::from_secs(1));
                self.locked.insert(ip, Instant::now() + wait);
                metrics::counter!(ADMIN_AUTH_FAILURES, "outcome" => "locked").increment(1);
                Some(wait)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_locked_after_its_budget_and_others_are_not() {
        let limits = AuthFailures::new(3);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        assert_eq!((limits.failed(a), limits.failed(a), limits.failed(a)), (None, None, None));
        assert!(limits.locked(a).is_none());
        let wait = limits.failed(a).expect("the fourth failure locks");
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(60), "{wait:?}");
        assert!(limits.locked(a).is_some());
        assert!(limits.locked(b).is_none() && limits.failed(b).is_none(), "another address has its own budget");
    }
}
