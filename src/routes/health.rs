//! GET /healthz (the process is alive) and GET /readyz (start-up's work is done: the database
//! answers, migrations are applied, the owner index is loaded and this node hears other nodes'
//! changes).
use actix_web::{get, web, HttpResponse};
use serde_json::json;

use crate::company::live_changes::LiveChanges;
use crate::store::{DynStore, StoreError};

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[get("/readyz")]
pub async fn readyz(store: web::Data<DynStore>, live: web::Data<LiveChanges>) -> HttpResponse {
    match store.readiness().await {
        // The server only answers once the owner index is loaded; the listener may still be
        // connecting, and until it does this node would miss other nodes' changes.
        Ok(()) if !live.is_listening() => HttpResponse::ServiceUnavailable()
            .json(json!({"status": "not ready", "database": "ok", "changes": "listener not connected"})),
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready", "database": "ok"})),
        // Unauthenticated: it names the failing check, the log has the error.
        Err(e) => {
            let database = match e {
                StoreError::MigrationsPending(_) => "migrations pending",
                _ => "unreachable",
            };
            tracing::warn!(error = %e, "not ready");
            HttpResponse::ServiceUnavailable().json(json!({"status": "not ready", "database": database}))
        }
    }
}
