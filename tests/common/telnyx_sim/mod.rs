//! A stateful Telnyx simulator for tests: a stand-in for the parts of the Telnyx API v2 that
//! switchboard uses, checked against the Telnyx OpenAPI spec on every request.
//!
//! ```ignore
//! let sim = TelnyxSim::start().await;                 // 127.0.0.1:<free port>, own thread
//! // the daemon: telnyx.base_url = sim.base_url(), telnyx.public_key = sim.public_key_base64()
//! sim.set_webhook_url(format!("{}/webhooks/telnyx", app.address));
//! sim.add_available_numbers("US", "415", 3);
//! let call = sim.inbound_call("+12125550100", "+14155550001").await; // signed call.initiated
//! assert_eq!(call.delivery.status, Some(200));        // what the daemon answered
//! let leg_b = sim.wait_transfer_leg(&call.call_control_id, 1).await; // after the daemon's transfer
//! sim.hangup(&leg_b.call_control_id, HangupCause::UserBusy).await;
//! sim.fail_next("POST /number_orders", Fault::FailAfterEffect(500));
//! // dropping `sim` fails the test if any request broke the spec (see `take_violations`)
//! ```
//!
//! What it models (each file says how): numbers available per country and area code, orders
//! (`pending` -> `success`, then listed by GET /phone_numbers) [`numbers`], [`orders`]; messaging
//! profiles, outbound voice profiles, Call Control applications [`profiles`]; call legs and the
//! call control state machine with Telnyx's 422 refusals and `command_id` dedupe [`calls`];
//! speak, recordings and answering machine detection [`media`]; targets that answer (as a person
//! or a machine) or fail by themselves [`scripts`];
//! messages and their status webhooks [`messages`]; signed webhook delivery, optionally retried
//! [`webhooks`]; faults on demand [`faults`]; the request log [`log`]; the spec validator
//! [`spec`]. Methods that deliver a webhook return once the receiver answered, with its status, so
//! tests never sleep to synchronize; webhooks caused by the daemon's own commands (a transfer's
//! leg B) are awaited with [`TelnyxSim::wait_for_webhook`] or [`TelnyxSim::wait_transfer_leg`].
//!
//! The spec is loaded once per test binary (see [`spec::Spec::global`]); without a spec file the
//! simulator still works and says that validation is off.
mod calls;
mod drive;
mod faults;
mod log;
mod media;
mod messages;
mod numbers;
mod orders;
mod profiles;
mod reply;
mod routes;
mod scripts;
mod server;
mod spec;
mod spec_params;
mod webhook_deliveries;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use ed25519_dalek::SigningKey;

// Re-exported for tests; a test binary need not use each.
#[allow(unused_imports)]
pub use calls::{Direction, HangupCause, Leg, LegState};
#[allow(unused_imports)]
pub use drive::CallHandle;
#[allow(unused_imports)]
pub use faults::Fault;
#[allow(unused_imports)]
pub use log::{RequestRecord, Violation, ViolationKind};
#[allow(unused_imports)]
pub use media::RECORDING_BASE;
#[allow(unused_imports)]
pub use messages::{Message, MessageOutcome, RateLimit};
#[allow(unused_imports)]
pub use numbers::{AvailableNumber, OwnedNumber};
#[allow(unused_imports)]
pub use orders::Order;
#[allow(unused_imports)]
pub use profiles::Kind as ProfileKind;
#[allow(unused_imports)]
pub use routes::Query;
#[allow(unused_imports)]
pub use scripts::TargetScript;
#[allow(unused_imports)]
pub use spec::Spec;
#[allow(unused_imports)]
pub use webhooks::{Delivery, Outgoing, RetryPolicy};

/// How long a wait for a webhook may take before the test fails (a hang, not a timing goal).
const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// What the test configured.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where events go when no profile, application or command names a URL.
    pub webhook_url: Option<String>,
    pub retry: RetryPolicy,
    /// Orders succeed right after they are answered (default); else [`TelnyxSim::complete_order`].
    pub auto_complete_orders: bool,
    /// When set, every sent message gets `message.sent` and `message.finalized` with this outcome.
    pub message_outcome: Option<MessageOutcome>,
    /// Added to the clock (the `command_id` window, call legs' `start_time`, events'
    /// `occurred_at`) by [`TelnyxSim::advance_clock`].
    pub clock_offset: Duration,
    /// The account's message rate limit, when the test set one ([`TelnyxSim::set_message_rate_limit`]).
    pub message_rate_limit: Option<messages::RateLimit>,
    /// POST /messages answers this long after it took the message ([`TelnyxSim::set_message_answer_delay`]).
    pub message_answer_delay: Option<Duration>,
}

/// The simulated account.
#[derive(Debug, Default)]
pub struct World {
    pub config: Config,
    pub numbers: numbers::Numbers,
    pub orders: orders::Orders,
    pub profiles: profiles::Profiles,
    pub calls: calls::Calls,
    /// What the far end of legs to each target does by itself.
    pub scripts: scripts::Scripts,
    pub messages: Vec<Message>,
}

/// State shared by the server thread and the test.
pub struct Inner {
    world: Mutex<World>,
    faults: Mutex<faults::Faults>,
    log: log::Log,
    key: SigningKey,
    spec: Option<&'static Spec>,
    http: reqwest::Client,
    /// While true, POST /messages takes messages and answers none ([`TelnyxSim::hold_message_answers`]).
    answers_held: tokio::sync::watch::Sender<bool>,
}

impl Inner {
    fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn faults(&self) -> MutexGuard<'_, faults::Faults> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running simulator; dropping it stops the server and fails the test on spec violations.
pub struct TelnyxSim {
    inner: Arc<Inner>,
    server: server::Running,
}

impl TelnyxSim {
    /// Loads the spec (once per test binary, off the async runtime) and starts the server.
    pub async fn start() -> TelnyxSim {
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(Spec::global());
        });
        let spec = rx.await.expect("the spec loader thread answers");
        let inner = Arc::new(Inner {
            world: Mutex::new(World {
                config: Config { auto_complete_orders: true, ..Config::default() },
                ..World::default()
            }),
            faults: Mutex::default(),
            log: log::Log::new(),
            key: SigningKey::generate(&mut rand::rngs::OsRng),
            spec,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(Duration::from_secs(20))
                .build()
                .expect("webhook client"),
            answers_held: tokio::sync::watch::channel(false).0,
        });
        let server = server::start(Arc::clone(&inner));
        TelnyxSim { inner, server }
    }

    /// The API root to give the daemon as `telnyx.base_url` (the spec's paths have no `/v2`).
    pub fn base_url(&self) -> url::Url {
        url::Url::parse(&format!("http://127.0.0.1:{}/", self.server.port)).expect("sim url")
    }

    /// The webhook signing key as the Telnyx portal shows it (the daemon's `telnyx.public_key`).
    pub fn public_key_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.inner.key.verifying_key().to_bytes())
    }

    /// The raw 32-byte verifying key (the daemon's `Settings::telnyx.public_key`).
    pub fn public_key_bytes(&self) -> [u8; 32] {
        self.inner.key.verifying_key().to_bytes()
    }

    /// Where events go when no profile, application or command names a URL.
    pub fn set_webhook_url(&self, url: impl Into<String>) {
        self.inner.world().config.webhook_url = Some(url.into());
    }

    /// Deliveries answered non-2xx (or not at all) are tried `retries` more times, then at the
    /// failover URL when one is configured (off by default).
    pub fn set_delivery_retries(&self, retries: u32) {
        self.inner.world().config.retry.retries = retries;
    }

    /// Whether orders succeed right after they are answered (default true).
    pub fn set_auto_complete_orders(&self, on: bool) {
        self.inner.world().config.auto_complete_orders = on;
    }

    /// Sends `message.sent` and `message.finalized` with `outcome` after every POST /messages
    /// (`None`, the default: only when the test calls [`TelnyxSim::message_finalized`]).
    pub fn set_message_outcome(&self, outcome: Option<MessageOutcome>) {
        self.inner.world().config.message_outcome = outcome;
    }

    /// What legs to `target` do from now on as soon as they ring (answer as a person or a
    /// machine, or end with a cause), without the test acting on each.
    pub fn script_target(&self, target: &str, script: TargetScript) {
        self.inner.world().scripts.set(target, script);
    }

    /// Limits the account's POST /messages: past `limit.per_second` accepted in the last second
    /// (per sender too when `limit.per_sender`), Telnyx answers 429 with error 40011 and
    /// `Retry-After`. `None` lifts it.
    pub fn set_message_rate_limit(&self, limit: Option<RateLimit>) {
        self.inner.world().config.message_rate_limit = limit;
    }

    /// POST /messages takes each message at once (it is in [`TelnyxSim::messages`], its webhooks
    /// can be sent) and answers `delay` later, like a slow Telnyx: a client that gives up or dies
    /// meanwhile never hears of a message that was taken. `None` (the default): answers at once.
    pub fn set_message_answer_delay(&self, delay: Option<Duration>) {
        self.inner.world().config.message_answer_delay = delay;
    }

    /// `true`: POST /messages takes messages but answers none until called with `false` (the
    /// answers then go out; clients that hung up get none).
    pub fn hold_message_answers(&self, held: bool) {
        self.inner.answers_held.send_replace(held);
    }

    /// Moves the simulator's clock forward: past the 60 s `command_id` window, or to let a call
    /// last (legs' `start_time` and events' `occurred_at` follow the clock; the signature's
    /// timestamp does not).
    pub fn advance_clock(&self, by: Duration) {
        self.inner.world().config.clock_offset += by;
    }

    /// Queues `fault` for the next request to `operation` (`"POST /number_orders"`,
    /// `"POST /calls/{call_control_id}/actions/transfer"`); several queue up in order.
    pub fn fail_next(&self, operation: &str, fault: Fault) {
        self.inner.faults().push(operation, fault);
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.inner.log.requests()
    }

    /// The requests to `operation` (`"POST /messages"`).
    pub fn requests_to(&self, operation: &str) -> Vec<RequestRecord> {
        self.requests().into_iter().filter(|r| r.is(operation)).collect()
    }

    /// Spec violations so far (requests, and the simulator's own responses and webhooks).
    pub fn violations(&self) -> Vec<Violation> {
        self.inner.log.violations()
    }

    /// The violations so far, forgotten (for tests that cause them on purpose).
    pub fn take_violations(&self) -> Vec<Violation> {
        self.inner.log.take_violations()
    }

    /// Fails the test when any request, response or webhook broke the spec.
    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "Telnyx spec violations:\n{}", lines(&v));
    }

    /// Every webhook delivery attempt so far, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.log.deliveries()
    }

    /// The first delivery `pred` accepts, awaiting new ones (fails the test after 30 s).
    pub async fn wait_for_webhook(&self, pred: impl Fn(&Delivery) -> bool) -> Delivery {
        self.inner
            .log
            .wait_delivery(WAIT_LIMIT, pred)
            .await
            .unwrap_or_else(|| panic!("no matching webhook within {WAIT_LIMIT:?}; delivered: {:#?}", self.deliveries()))
    }

    /// The first request `pred` accepts, awaiting new ones (fails the test after 30 s): e.g. the
    /// command the daemon sends in answer to a webhook.
    pub async fn wait_for_request(&self, pred: impl Fn(&RequestRecord) -> bool) -> RequestRecord {
        self.inner
            .log
            .wait_request(WAIT_LIMIT, pred)
            .await
            .unwrap_or_else(|| panic!("no matching request within {WAIT_LIMIT:?}; requests: {:#?}", self.requests()))
    }

    /// Reads or changes the simulated account directly (an escape hatch for what has no method).
    pub fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.inner.world())
    }
}

impl Drop for TelnyxSim {
    fn drop(&mut self) {
        self.server.stop();
        let v = self.inner.log.violations();
        if !v.is_empty() && !std::thread::panicking() {
            panic!("Telnyx spec violations (call take_violations() if they are expected):\n{}", lines(&v));
        }
    }
}

fn lines(v: &[Violation]) -> String {
    v.iter().map(|v| format!("  {v}")).collect::<Vec<_>>().join("\n")
}
