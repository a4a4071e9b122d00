//! A Telnyx-like webhook sender: many connections, new events released at a steady rate, each
//! event signed as Telnyx signs it and delivered again (after a short backoff) until it gets a
//! 200, whatever happens to the daemon or its database meanwhile. A share of the events is
//! delivered twice at once (to every target when there are several), as Telnyx sometimes does.
//!
//! Connection `c` delivers events `c`, `c + connections`, ... in order, one at a time: while the
//! daemon is down its events wait, and the backlog goes out once it is back.
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::telnyx_events::{now, sign_with, signing_key};

/// The body of event `i` (its id must be unique to `i`).
pub type EventFn = Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>;

pub struct SenderConfig {
    /// Base URLs (`http://127.0.0.1:PORT`); each delivery goes to one drawn at random.
    pub targets: Vec<String>,
    pub connections: usize,
    /// New events per second.
    pub rate: f64,
    /// The sender releases at least this many events, and goes on until [`Sender::finish`].
    pub min_events: usize,
    pub duplicate_share: f64,
    pub seed: u64,
}

/// What the sender saw. `sent` distinct events, of which `acknowledged` got a 200.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub sent: u64,
    pub acknowledged: u64,
    /// Every HTTP request made, first deliveries, duplicates and redeliveries.
    pub attempts: u64,
    /// Requests that were a redelivery of one that got no 200.
    pub retried: u64,
    /// Events delivered twice at once.
    pub duplicated: u64,
    pub answered_503: u64,
    /// Requests that got no answer (connection refused or reset, timeout) or a 5xx other than 503.
    pub no_answer: u64,
    /// Answers other than 200 and 503 (a 4xx for a valid event is a bug: not redelivered).
    pub rejected: u64,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acknowledged: AtomicU64,
    attempts: AtomicU64,
    retried: AtomicU64,
    duplicated: AtomicU64,
    answered_503: AtomicU64,
    no_answer: AtomicU64,
    rejected: AtomicU64,
}

struct Shared {
    config: SenderConfig,
    event: EventFn,
    client: reqwest::Client,
    counters: Counters,
    /// Events 0..released may be sent.
    released: AtomicUsize,
    /// No more events will be released.
    exhausted: AtomicBool,
    stop: AtomicBool,
    tick: Notify,
}

pub struct Sender {
    shared: Arc<Shared>,
    pacer: JoinHandle<()>,
    connections: Vec<JoinHandle<()>>,
}

const BACKOFF_FIRST: Duration = Duration::from_millis(10);
const BACKOFF_MAX: Duration = Duration::from_millis(250);
const PACER_TICK: Duration = Duration::from_millis(5);

impl Sender {
    /// Starts sending on the current runtime.
    pub fn start(config: SenderConfig, event: EventFn) -> Sender {
        assert!(!config.targets.is_empty() && config.connections > 0);
        let client = reqwest::Client::builder()
            // A safety net against a hang; an answer normally comes within the commit deadline.
            .timeout(Duration::from_secs(15))
            .pool_max_idle_per_host(config.connections)
            .build()
            .expect("http client");
        let shared = Arc::new(Shared {
            config,
            event,
            client,
            counters: Counters::default(),
            released: AtomicUsize::new(0),
            exhausted: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            tick: Notify::new(),
        });
        let pacer = tokio::spawn(pace(shared.clone()));
        let connections = (0..shared.config.connections).map(|c| tokio::spawn(connection(shared.clone(), c))).collect();
        Sender { shared, pacer, connections }
    }

    pub fn figures(&self) -> Figures {
        snapshot(&self.shared.counters)
    }

    /// Stops releasing new events (once `min_events` are out) and waits, at most `bound`, until
    /// every event released got its 200.
    pub async fn finish(self, bound: Duration) -> Figures {
        self.shared.stop.store(true, Ordering::Relaxed);
        let all = async {
            let _ = self.pacer.await;
            for c in self.connections {
                c.await.expect("sender connection panicked");
            }
        };
        if tokio::time::timeout(bound, all).await.is_err() {
            panic!(
                "the sender could not deliver everything within {bound:?}: {:?} of {} events released",
                snapshot(&self.shared.counters),
                self.shared.released.load(Ordering::SeqCst),
            );
        }
        snapshot(&self.shared.counters)
    }
}

fn snapshot(c: &Counters) -> Figures {
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    Figures {
        sent: get(&c.sent),
        acknowledged: get(&c.acknowledged),
        attempts: get(&c.attempts),
        retried: get(&c.retried),
        duplicated: get(&c.duplicated),
        answered_503: get(&c.answered_503),
        no_answer: get(&c.no_answer),
        rejected: get(&c.rejected),
    }
}

/// Releases `rate` events per second until stopped (and `min_events` are out).
async fn pace(shared: Arc<Shared>) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(PACER_TICK);
    loop {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * shared.config.rate) as usize;
        let released = shared.released.load(Ordering::SeqCst);
        let stopping = shared.stop.load(Ordering::Relaxed);
        let target = if stopping { due.min(shared.config.min_events).max(released) } else { due };
        if target > released {
            shared.released.store(target, Ordering::SeqCst);
        }
        if stopping && target >= shared.config.min_events {
            shared.exhausted.store(true, Ordering::SeqCst);
            shared.tick.notify_waiters();
            return;
        }
        shared.tick.notify_waiters();
    }
}

async fn connection(shared: Arc<Shared>, c: usize) {
    let mut rng = StdRng::seed_from_u64(shared.config.seed ^ (c as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut i = c;
    loop {
        // Wait until event i is released, or no more will be.
        loop {
            let tick = shared.tick.notified();
            if i < shared.released.load(Ordering::SeqCst) {
                break;
            }
            if shared.exhausted.load(Ordering::SeqCst) {
                return;
            }
            tick.await;
        }
        deliver(&shared, i, &mut rng).await;
        i += shared.config.connections;
    }
}

/// Delivers event `i` until it got a 200 (every copy of it, when duplicated).
async fn deliver(shared: &Shared, i: usize, rng: &mut StdRng) {
    let body = (shared.event)(i);
    let counters = &shared.counters;
    counters.sent.fetch_add(1, Ordering::Relaxed);
    let targets = &shared.config.targets;
    let ok = if rng.gen_bool(shared.config.duplicate_share) {
        counters.duplicated.fetch_add(1, Ordering::Relaxed);
        // Twice at once: to every target, or twice to the only one.
        let copies: Vec<Option<&str>> = if targets.len() > 1 {
            targets.iter().map(|t| Some(t.as_str())).collect()
        } else {
            vec![Some(targets[0].as_str()); 2]
        };
        let seeds: Vec<u64> = copies.iter().map(|_| rng.gen()).collect();
        let copies = copies.into_iter().zip(seeds).map(|(t, s)| until_ok(shared, &body, t, StdRng::seed_from_u64(s)));
        join_all(copies).await.into_iter().all(|ok| ok)
    } else {
        until_ok(shared, &body, None, StdRng::seed_from_u64(rng.gen())).await
    };
    if ok {
        counters.acknowledged.fetch_add(1, Ordering::Relaxed);
    }
}

/// Posts `body` (to `target`, else to a random target each time) until a 200; `false` when it is
/// rejected (4xx), which no valid event should be.
async fn until_ok(shared: &Shared, body: &[u8], target: Option<&str>, mut rng: StdRng) -> bool {
    let counters = &shared.counters;
    let mut backoff = BACKOFF_FIRST;
    let mut first = true;
    loop {
        if !std::mem::take(&mut first) {
            counters.retried.fetch_add(1, Ordering::Relaxed);
            let jitter = rng.gen_range(0.5..1.5);
            tokio::time::sleep(backoff.mul_f64(jitter)).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
        counters.attempts.fetch_add(1, Ordering::Relaxed);
        let base = target.unwrap_or_else(|| &shared.config.targets[rng.gen_range(0..shared.config.targets.len())]);
        let ts = now();
        let answer = shared
            .client
            .post(format!("{base}/webhooks/telnyx"))
            .header("content-type", "application/json")
            .header("telnyx-signature-ed25519", sign_with(&signing_key(), ts, body))
            .header("telnyx-timestamp", ts.to_string())
            .body(body.to_vec())
            .send()
            .await;
        match answer.map(|r| r.status().as_u16()) {
            Ok(200) => return true,
            Ok(503) => counters.answered_503.fetch_add(1, Ordering::Relaxed),
            Ok(s) if (400..500).contains(&s) => {
                counters.rejected.fetch_add(1, Ordering::Relaxed);
                return false;
            }
            // 5xx other than 503, or no answer at all: Telnyx delivers again.
            Ok(_) | Err(_) => counters.no_answer.fetch_add(1, Ordering::Relaxed),
        };
    }
}
