//! GET /openapi.json: valid OpenAPI 3 (openapi-spec-validator when python3 has it), lists every
//! admin route, and every documented operation is really served.
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::admin_support::spawn_admin;
use crate::helpers::Db;

/// Every admin route this branch registers (method, path template).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/v1/companies"),
    ("get", "/v1/companies"),
    ("get", "/v1/companies/{id}"),
    ("get", "/v1/companies/{id}/numbers"),
    ("post", "/v1/companies/{id}/numbers"),
    ("get", "/v1/companies/{id}/numbers/{number_id}"),
    ("patch", "/v1/companies/{id}/numbers/{number_id}"),
    ("get", "/v1/companies/{id}/default-number"),
    ("put", "/v1/companies/{id}/default-number"),
    ("get", "/v1/companies/{id}/departments"),
    ("get", "/v1/companies/{id}/departments/{name}"),
    ("put", "/v1/companies/{id}/departments/{name}"),
    ("delete", "/v1/companies/{id}/departments/{name}"),
    ("get", "/v1/companies/{id}/locations"),
    ("get", "/v1/companies/{id}/locations/{name}"),
    ("put", "/v1/companies/{id}/locations/{name}"),
    ("delete", "/v1/companies/{id}/locations/{name}"),
    ("get", "/v1/companies/{id}/routing"),
    ("put", "/v1/companies/{id}/routing"),
    ("post", "/v1/companies/{id}/routing/explain"),
    ("get", "/v1/companies/{id}/assignments"),
    ("get", "/v1/companies/{id}/assignments/{customer}"),
    ("put", "/v1/companies/{id}/assignments/{customer}"),
    ("delete", "/v1/companies/{id}/assignments/{customer}"),
    ("get", "/v1/companies/{id}/opt-outs"),
    ("put", "/v1/companies/{id}/opt-outs/{customer}"),
    ("delete", "/v1/companies/{id}/opt-outs/{customer}"),
    ("get", "/v1/companies/{id}/routing-log"),
    ("get", "/v1/companies/{id}/routing-log/{event_id}"),
    ("get", "/v1/companies/{id}/outbox"),
    ("post", "/v1/companies/{id}/tokens"),
    ("get", "/v1/companies/{id}/tokens"),
    ("delete", "/v1/companies/{id}/tokens/{token_id}"),
    ("post", "/v1/webhook-replays"),
];

fn concrete(template: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    template
        .replace("{id}", &id)
        .replace("{number_id}", &id)
        .replace("{token_id}", &id)
        .replace("{name}", "Sales")
        .replace("{customer}", "+14155550100")
        .replace("{event_id}", "ev-1")
}

#[actix_web::test]
async fn openapi_document_is_valid_and_complete() {
    let admin = spawn_admin(Db::Sqlite).await;
    let res = admin.app.get("/openapi.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(doc["security"].as_array().is_some_and(|s| !s.is_empty()));

    // Every registered route is documented, and documents its error bodies as problem+json.
    for (method, path) in ROUTES {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing from /openapi.json");
        let not_found = &op["responses"]["401"]["content"]["application/problem+json"];
        assert!(not_found.is_object(), "{method} {path}: 401 not documented as problem+json");
    }
    // Every documented operation is served: without a token it answers 401, not a routing 404/405.
    let paths = doc["paths"].as_object().unwrap();
    let mut documented = 0;
    for (path, item) in paths {
        for (method, _) in item.as_object().unwrap() {
            documented += 1;
            assert!(ROUTES.contains(&(method.as_str(), path.as_str())), "undocumented test route {method} {path}");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (s, _) = admin.call(m, &concrete(path), None, Some(serde_json::json!({}))).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path}");
        }
    }
    assert_eq!(documented, ROUTES.len());

    // The standard validator, when python3 has it (pip install openapi-spec-validator).
    let available = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("openapi-spec-validator not installed; skipping the external validation");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = Command::new("python3").args(["-m", "openapi_spec_validator"]).arg(&file).output().unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator rejected the document:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
