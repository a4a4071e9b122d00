//! Builds the application: storage, the owner index, company actors, the ledger, the HTTP server
//! on its own listener.
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::company::directory::Directory;
use crate::company::index::NumberIndex;
use crate::company::live_changes::LiveChanges;
use crate::company::registry::Registry;
use crate::config::{IngestMode, Settings};
use crate::ingress::verify::Verification;
use crate::ingress::{Ingress, IngressParts};
use crate::ledger::{CommitMode, Ledger};
use crate::metrics::{self as m, SIGNATURE_CHECKS_DISABLED};
use crate::outbox::guard::{ForwardPolicy, SystemLookup};
use crate::replay::{OutageTracker, Replayer};
use crate::routes;
use crate::routes::admin::forward_secret::SecretGrace;
use crate::routes::auth::OperatorToken;
use crate::routes::auth_limit::AuthFailures;
use crate::sendq::{SendQueue, SendWorker, SystemClock};
use crate::store::{self, DynStore};
use crate::telnyx::api::TelnyxApi;

pub struct Application {
    port: u16,
    server: Server,
    store: DynStore,
    directory: Directory,
    live: Arc<LiveChanges>,
    index: Arc<NumberIndex>,
    registry: Registry,
    ledger_closer: crate::ledger::LedgerCloser,
    ledger_task: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
    /// The outbox items this node's ledger handed to its worker and not yet taken.
    held: Arc<tokio::sync::Mutex<crate::ledger::handoff::HeldItems>>,
}

/// How long start-up waits for the change listener before reading the owner index without it.
const LISTENER_CONNECT_WAIT: Duration = Duration::from_secs(10);
/// Outbox items the ledger may hand to this node's worker ahead of their delivery; past that,
/// batches commit their items due and the worker claims them.
const HELD_ITEMS: usize = 8192;

/// What the HTTP workers share.
struct Shared {
    store: DynStore,
    live: web::Data<LiveChanges>,
    metrics: PrometheusHandle,
    ingress: web::Data<Ingress>,
    directory: web::Data<Directory>,
    forward_policy: web::Data<ForwardPolicy>,
    telnyx: TelnyxApi,
    jobs: crate::provisioning::JobRunner,
    replayer: web::Data<Replayer>,
    send_queue: web::Data<SendQueue>,
    sessions: web::Data<crate::console::session::Sessions>,
}

impl Application {
    /// Connects and migrates the database, loads the owner index, starts the ledger, then binds
    /// `settings.http.bind` (port 0 picks one).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let metrics = m::install();
        let store = store::connect(&settings.database)
            .await
            .with_context(|| format!("database.url: cannot open the {:?} database", settings.database.backend))?;
        store.migrate().await.context("database migrations")?;
        // Today's dedupe partition and the next days' before the first webhook (without them keys
        // would still be kept, in the default partition, until the next pass moved them).
        let retention = chrono::Duration::hours(settings.ledger.dedupe_retention_hours as i64);
        crate::ledger::store::keep_partitions(store.as_ref(), retention, chrono::Utc::now()).await;
        warn_about_settings(&settings);

        let index = Arc::new(NumberIndex::new());
        let outbox_wake = Arc::new(Notify::new());
        let mode = match settings.webhooks.ingest_mode {
            IngestMode::PerEventUpdate => CommitMode::PerEvent,
            _ => CommitMode::Batched,
        };
        // SQLite has one writer: more lanes or commits in flight would only wait for its lock.
        let lanes = match settings.database.backend {
            crate::config::Backend::Postgres => (settings.ledger.commit_lanes, settings.ledger.commits_in_flight),
            crate::config::Backend::Sqlite => (1, 1),
        };
        // The ledger hands the items it commits to this node's outbox worker, held for it.
        let (hand_off, held) = crate::ledger::handoff::hand_off(HELD_ITEMS, crate::outbox::HOLD);
        let held = Arc::new(tokio::sync::Mutex::new(held));
        let to_outbox = crate::ledger::handoff::ToOutbox { wake: outbox_wake.clone(), hand_off: Some(hand_off) };
        let (ledger, ledger_closer, ledger_task) =
            Ledger::start(store.clone(), &settings.ledger, lanes, mode, to_outbox);
        let registry = Registry::new(store.clone(), &settings.actors, settings.routing, ledger.clone());
        let verification = Verification::from_settings(
            settings.webhooks.verify_signatures,
            settings.telnyx.public_key,
            settings.webhooks.batch_verify,
        )?;
        let forward_policy = Arc::new(ForwardPolicy::new(
            settings.forwards.insecure_hosts.clone(),
            settings.forwards.allowed_cidrs.clone(),
        ));
        let live = Arc::new(LiveChanges::new(store.clone(), index.clone(), registry.clone()));
        let following = crate::company::live_changes::load_and_follow(live.clone(), LISTENER_CONNECT_WAIT)
            .await
            .context("loading the number index")?;
        let health = Arc::new(crate::company::health::HealthBook::new(store.clone(), settings.number_health));
        let directory = Directory::new(store.clone(), live.clone(), health.clone());
        let telnyx = TelnyxApi::from_settings(&settings.telnyx).context("telnyx client")?;
        let jobs = crate::provisioning::JobRunner::new(
            store.clone(),
            telnyx.clone(),
            directory.clone(),
            crate::provisioning::ProvisioningConfig::from_settings(&settings),
        );
        crate::provisioning::resume_jobs(&jobs);
        let (outage, outages) = if settings.replay.after_outage {
            let (tracker, ended) = OutageTracker::new();
            (tracker, Some(ended))
        } else {
            (OutageTracker::disabled(), None)
        };
        let ingress = web::Data::new(Ingress::new(IngressParts {
            verification,
            tolerance_secs: settings.webhooks.timestamp_tolerance_secs,
            stateless: settings.webhooks.ingest_mode == IngestMode::Stateless,
            index: index.clone(),
            registry: registry.clone(),
            ledger,
            deadline: Duration::from_millis(settings.ledger.commit_deadline_ms),
            store: store.clone(),
            directory: directory.clone(),
            jobs: jobs.clone(),
            observer: Arc::new(outage),
        }));
        let retention = i64::try_from(settings.ledger.dedupe_retention_hours)
            .ok()
            .and_then(chrono::Duration::try_hours)
            .unwrap_or(chrono::Duration::MAX);
        let replayer = Arc::new(Replayer::new(telnyx.clone(), ingress.clone().into_inner(), retention));
        crate::sendq::describe_metrics();
        let send_wake = Arc::new(Notify::new());
        let clock: Arc<dyn crate::sendq::Clock> = Arc::new(SystemClock);
        let send_queue = SendQueue::new(store.clone(), &settings.sending, clock.clone(), send_wake.clone());
        let sessions = web::Data::new(crate::console::session::Sessions::new(
            store.clone(),
            OperatorToken(settings.admin.operator_token.clone()),
            settings.console,
            settings.public_base_url.as_ref().is_some_and(|u| u.scheme() == "https"),
            Arc::new(chrono::Utc::now),
        ));
        let mut background = vec![
            SendWorker::new(store.clone(), telnyx.clone(), &settings.sending, clock, send_wake)
                .with_outbox_wake(outbox_wake.clone())
                .spawn(),
            spawn_purge(store.clone(), &settings, sessions.clone()),
            crate::company::health::spawn_health_gauge(health),
            following,
            crate::outbox::spawn_outbox_worker(
                store.clone(),
                crate::outbox::Deliverer::new(telnyx.clone(), forward_policy.clone(), Arc::new(SystemLookup)),
                outbox_wake,
                crate::outbox::RetrySchedule::from_settings(&settings.forwards),
                Some(held.clone()),
            ),
        ];
        if let Some(ended) = outages {
            // On the arbiter (not tokio::spawn): the ingress starts company actors.
            let task = crate::replay::replay_after_outages(ended, replayer.clone(), settings.replay.clone());
            background.push(actix_web::rt::spawn(task));
        }

        let listener = crate::listener::http_listener(settings.http.bind)
            .with_context(|| format!("http.bind: cannot listen on {}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let shared = Shared {
            store: store.clone(),
            live: web::Data::from(live.clone()),
            metrics,
            ingress,
            directory: web::Data::new(directory.clone()),
            forward_policy: web::Data::from(forward_policy.clone()),
            telnyx,
            jobs,
            replayer: web::Data::from(replayer),
            send_queue: web::Data::new(send_queue),
            sessions,
        };
        let server = run(listener, &settings, shared)?;
        tracing::info!(port, backend = ?settings.database.backend, "switchboard listening");
        Ok(Self { port, server, store, directory, live, index, registry, ledger_closer, ledger_task, background, held })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> DynStore {
        self.store.clone()
    }

    /// The owner index the webhooks are planned with.
    pub fn index(&self) -> Arc<NumberIndex> {
        self.index.clone()
    }

    /// The front door for changes to company data.
    pub fn directory(&self) -> Directory {
        self.directory.clone()
    }

    /// The company actors of this node.
    pub fn registry(&self) -> Registry {
        self.registry.clone()
    }

    /// The company changes announced by the database and applied on this node (how many, the last).
    pub fn announcements_applied(&self) -> tokio::sync::watch::Receiver<crate::company::live_changes::Applied> {
        self.live.announcements_applied()
    }

    /// Serves until SIGTERM/SIGINT (or the server handle stops it): stops accepting, finishes
    /// in-flight requests, commits what the ledger still holds, then returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await?;
        for task in &self.background {
            task.abort();
        }
        for task in self.background {
            let _ = task.await;
        }
        // The worker is stopped: what it had not attempted is due again (later commits write
        // their items due).
        crate::outbox::give_back_held(&self.store, &self.held).await;
        // Every request was answered: the batcher commits what is left and ends.
        self.ledger_closer.close();
        let _ = self.ledger_task.await;
        self.store.close().await;
        tracing::info!("switchboard stopped");
        Ok(())
    }
}

fn warn_about_settings(settings: &Settings) {
    if settings.telnyx.public_key.is_none() && settings.webhooks.verify_signatures {
        tracing::warn!(
            "telnyx.public_key is not set: webhooks will be answered 503 until it is configured \
             (SWITCHBOARD__TELNYX__PUBLIC_KEY)"
        );
    }
    let disabled = !settings.webhooks.verify_signatures;
    if disabled {
        tracing::warn!("webhooks.verify_signatures = false: webhook signatures are NOT checked");
    }
    if settings.webhooks.ingest_mode != IngestMode::Ledger {
        tracing::warn!(mode = ?settings.webhooks.ingest_mode, "webhooks.ingest_mode is a benchmark mode");
    }
    metrics::gauge!(SIGNATURE_CHECKS_DISABLED).set(if disabled { 1.0 } else { 0.0 });
}

/// Deletes dedupe keys, dead letters, settled outbox items and finished jobs older than their
/// retention, periodically; and once a day folds the numbers' closed days of usage into their
/// lifetime counters (`store::counter_fold`).
fn spawn_purge(
    store: DynStore,
    settings: &Settings,
    sessions: web::Data<crate::console::session::Sessions>,
) -> JoinHandle<()> {
    let retention = chrono::Duration::hours(settings.ledger.dedupe_retention_hours as i64);
    let every = Duration::from_secs(settings.ledger.purge_interval_secs.max(1));
    let kept = settings.retention;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let mut folded_through = None;
        loop {
            tick.tick().await;
            folded_through = crate::store::counter_fold::fold_once_a_day(store.as_ref(), folded_through).await;
            crate::ledger::store::keep_dedupe(store.as_ref(), retention, chrono::Utc::now()).await;
            crate::store::retention::purge_expired(store.as_ref(), &kept, chrono::Utc::now()).await;
            if let Err(e) = sessions.purge().await {
                tracing::warn!(error = %e, "console session purge failed; will retry");
            }
        }
    })
}

fn run(listener: TcpListener, settings: &Settings, shared: Shared) -> anyhow::Result<Server> {
    let store = web::Data::new(shared.store);
    let live = shared.live;
    let metrics = web::Data::new(shared.metrics);
    let operator = web::Data::new(OperatorToken(settings.admin.operator_token.clone()));
    let auth_failures = web::Data::new(AuthFailures::new(settings.admin.auth_failures_per_minute));
    let secret_grace = web::Data::new(SecretGrace::from_settings(&settings.forwards));
    let limits = web::Data::new(settings.limits);
    let routing = web::Data::new(settings.routing);
    let telnyx = web::Data::new(shared.telnyx);
    let (ingress, directory, forward_policy) = (shared.ingress, shared.directory, shared.forward_policy);
    let jobs = web::Data::new(shared.jobs);
    let replayer = shared.replayer;
    let send_queue = shared.send_queue;
    let sessions = shared.sessions;
    let json_config = web::JsonConfig::default().limit(64 * 1024).error_handler(routes::json_error::handler);
    let payload_config = web::PayloadConfig::new(settings.webhooks.body_limit_bytes);
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(routes::nul_guard::refuse_nul))
            .wrap(from_fn(routes::request_metrics::track))
            .app_data(store.clone())
            .app_data(live.clone())
            .app_data(metrics.clone())
            .app_data(operator.clone())
            .app_data(auth_failures.clone())
            .app_data(secret_grace.clone())
            .app_data(limits.clone())
            .app_data(routing.clone())
            .app_data(telnyx.clone())
            .app_data(directory.clone())
            .app_data(forward_policy.clone())
            .app_data(ingress.clone())
            .app_data(jobs.clone())
            .app_data(replayer.clone())
            .app_data(send_queue.clone())
            .app_data(sessions.clone())
            .app_data(json_config.clone())
            .app_data(payload_config.clone())
            .configure(routes::configure)
            .configure(crate::console::configure)
    })
    .shutdown_timeout(settings.http.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_secs(10))
    .listen(listener)?;
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    Ok(server.run())
}
