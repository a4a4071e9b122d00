use crate::backend_tests;
use crate::helpers::{spawn_app, Db};

backend_tests!(healthz_answers, readyz_checks_database_and_migrations, metrics_are_prometheus_text);

async fn healthz_answers(db: Db) {
    let app = spawn_app(db).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
}

async fn readyz_checks_database_and_migrations(db: Db) {
    let app = spawn_app(db).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    // Closing the pool makes the database unreachable for this app: readyz must say so.
    app.store.close().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "not ready");
}

async fn metrics_are_prometheus_text(db: Db) {
    let app = spawn_app(db).await;
    app.get("/healthz").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(text.contains("# TYPE switchboard_http_requests_total counter"), "{text}");
    assert!(text.contains("switchboard_http_requests_total{endpoint=\"/healthz\",status=\"2xx\"}"), "{text}");
}
