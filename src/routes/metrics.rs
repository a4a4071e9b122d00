//! GET /metrics: Prometheus text exposition.
use actix_web::{get, web, HttpResponse};
use metrics_exporter_prometheus::PrometheusHandle;

#[get("/metrics")]
pub async fn metrics(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(handle.render())
}
