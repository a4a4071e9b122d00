//! How large the reliability cases run: `SWITCHBOARD_RELIABILITY=full` for the full suite
//! (scripts/reliability.sh), else the bounded part CI runs. `SWITCHBOARD_RELIABILITY_SEED` replays
//! a run (every case prints the seed it used); `SWITCHBOARD_RELIABILITY_EVENTS` overrides the
//! number of events of every case.
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Sizes {
    /// Distinct events each case sends (at least).
    pub events: usize,
    /// Concurrent sender connections.
    pub connections: usize,
    /// New events released per second while a case runs (redeliveries come on top).
    pub rate: f64,
    /// kill -9 of the daemon per backend.
    pub kills: usize,
    /// A kill comes this long (uniformly drawn) after the daemon became ready.
    pub kill_delay: (Duration, Duration),
    /// PostgreSQL server restarts under load.
    pub db_restarts: usize,
    /// How long the server stays down (uniformly drawn).
    pub db_down: (Duration, Duration),
    /// Customers whose first outbound contact races on two nodes.
    pub customers: usize,
    /// Share of events delivered twice at once (to both nodes where there are two).
    pub duplicate_share: f64,
    /// Bound for everything sent to be acknowledged once the load stops (a hang, not a goal).
    pub drain_bound: Duration,
}

impl Sizes {
    pub fn from_env() -> Sizes {
        let full = std::env::var("SWITCHBOARD_RELIABILITY").is_ok_and(|v| v == "full");
        let ms = Duration::from_millis;
        let mut sizes = if full {
            Sizes {
                events: 20_000,
                connections: 64,
                rate: 2_000.0,
                kills: 5,
                kill_delay: (ms(300), ms(2_500)),
                db_restarts: 3,
                db_down: (ms(1_000), ms(4_000)),
                customers: 300,
                duplicate_share: 0.1,
                drain_bound: Duration::from_secs(600),
            }
        } else {
            Sizes {
                events: 3_000,
                connections: 32,
                rate: 600.0,
                kills: 5,
                kill_delay: (ms(100), ms(600)),
                db_restarts: 2,
                db_down: (ms(500), ms(1_500)),
                customers: 40,
                duplicate_share: 0.1,
                drain_bound: Duration::from_secs(120),
            }
        };
        if let Some(n) = std::env::var("SWITCHBOARD_RELIABILITY_EVENTS").ok().and_then(|v| v.parse().ok()) {
            sizes.events = n;
        }
        sizes
    }

    /// The seed of a case: `SWITCHBOARD_RELIABILITY_SEED` when set, else a fresh one.
    pub fn seed() -> u64 {
        std::env::var("SWITCHBOARD_RELIABILITY_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(rand::random)
    }
}
