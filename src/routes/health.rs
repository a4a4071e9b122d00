//! GET /healthz (the process is alive) and GET /readyz (the database answers, migrations applied).
use actix_web::{get, web, HttpResponse};
use serde_json::json;

use crate::store::{DynStore, StoreError};

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[get("/readyz")]
pub async fn readyz(store: web::Data<DynStore>) -> HttpResponse {
    match store.readiness().await {
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
