//! Builds the application: storage, shared services, the HTTP server on its own listener.
use std::net::TcpListener;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::auth::OperatorToken;
use crate::company::changes::{DynChanges, NoChanges};
use crate::config::Settings;
use crate::metrics::{self as m, SIGNATURE_CHECKS_DISABLED};
use crate::routes;
use crate::store::{self, DynStore};
use crate::telnyx::api::TelnyxApi;

pub struct Application {
    port: u16,
    server: Server,
    store: DynStore,
}

impl Application {
    /// Connects and migrates the database, then binds `settings.http.bind` (port 0 picks one).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let metrics = m::install();
        let store = store::connect(&settings.database)
            .await
            .with_context(|| format!("database.url: cannot open the {:?} database", settings.database.backend))?;
        store.migrate().await.context("database migrations")?;
        warn_about_settings(&settings);
        let listener = TcpListener::bind(settings.http.bind)
            .with_context(|| format!("http.bind: cannot listen on {}", settings.http.bind))?;
        let port = listener.local_addr()?.port();
        let server = run(listener, &settings, store.clone(), metrics)?;
        tracing::info!(port, backend = ?settings.database.backend, "switchboard listening");
        Ok(Self { port, server, store })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> DynStore {
        self.store.clone()
    }

    /// Serves until SIGTERM/SIGINT (or the server handle stops it), then finishes in-flight
    /// requests and flushes what is pending.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await?;
        self.store.close().await;
        tracing::info!("switchboard stopped");
        Ok(())
    }
}

fn warn_about_settings(settings: &Settings) {
    if settings.telnyx.public_key.is_none() {
        tracing::warn!(
            "telnyx.public_key is not set: webhooks will be answered 503 until it is configured \
             (SWITCHBOARD__TELNYX__PUBLIC_KEY)"
        );
    }
    let disabled = !settings.webhooks.verify_signatures;
    if disabled {
        tracing::warn!("webhooks.verify_signatures = false: webhook signatures are NOT checked");
    }
    metrics::gauge!(SIGNATURE_CHECKS_DISABLED).set(if disabled { 1.0 } else { 0.0 });
}

fn run(
    listener: TcpListener,
    settings: &Settings,
    store: DynStore,
    metrics: PrometheusHandle,
) -> anyhow::Result<Server> {
    let store = web::Data::new(store);
    let metrics = web::Data::new(metrics);
    let operator = web::Data::new(OperatorToken(settings.admin.operator_token.clone()));
    let telnyx = web::Data::new(TelnyxApi::from_settings(&settings.telnyx).context("telnyx client")?);
    let changes: web::Data<DynChanges> = web::Data::new(std::sync::Arc::new(NoChanges));
    let jobs = crate::provisioning::JobRunner::new(
        store.get_ref().clone(),
        telnyx.get_ref().clone(),
        changes.get_ref().clone(),
        crate::provisioning::ProvisioningConfig::from_settings(settings),
    );
    crate::provisioning::resume_jobs(&jobs);
    let jobs = web::Data::new(jobs);
    let json_config = web::JsonConfig::default().limit(64 * 1024).error_handler(routes::json_error::handler);
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(routes::request_metrics::track))
            .app_data(store.clone())
            .app_data(metrics.clone())
            .app_data(operator.clone())
            .app_data(telnyx.clone())
            .app_data(changes.clone())
            .app_data(jobs.clone())
            .app_data(json_config.clone())
            .configure(routes::admin::configure)
            .configure(routes::outbound::configure)
            .service(routes::health::healthz)
            .service(routes::health::readyz)
            .service(routes::metrics::metrics)
    })
    .shutdown_timeout(settings.http.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_secs(10))
    .listen(listener)?;
    if settings.http.workers > 0 {
        server = server.workers(settings.http.workers);
    }
    Ok(server.run())
}
