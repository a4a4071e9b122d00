//! GET /openapi.json: valid OpenAPI 3 (openapi-spec-validator when python3 has it), lists every
//! admin, provisioning and outbound route, resolves every reference, and every documented
//! operation is really served.
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
    ("get", "/v1/companies/{id}/usage"),
    ("get", "/v1/companies/{id}/numbers/{number_id}/usage"),
    ("patch", "/v1/companies/{id}/numbers/{number_id}"),
    ("get", "/v1/companies/{id}/default-number"),
    ("put", "/v1/companies/{id}/default-number"),
    ("post", "/v1/companies/{id}/routing/forward-secret"),
    ("get", "/v1/companies/{id}/limits"),
    ("put", "/v1/companies/{id}/limits"),
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
    ("get", "/v1/companies/{id}/outbox/{item_id}"),
    ("post", "/v1/companies/{id}/outbox/{item_id}/retry"),
    ("post", "/v1/companies/{id}/outbox/{item_id}/cancel"),
    ("post", "/v1/companies/{id}/outbox/retry"),
    ("get", "/v1/companies/{id}/forward-endpoints"),
    ("post", "/v1/companies/{id}/forward-endpoints/{endpoint_id}/enable"),
    ("get", "/v1/dead-letters"),
    ("get", "/v1/dead-letters/{dead_letter_id}"),
    ("delete", "/v1/dead-letters/{dead_letter_id}"),
    ("post", "/v1/dead-letters/{dead_letter_id}/redrive"),
    ("post", "/v1/companies/{id}/tokens"),
    ("get", "/v1/companies/{id}/tokens"),
    ("delete", "/v1/companies/{id}/tokens/{token_id}"),
    ("post", "/v1/webhook-replays"),
    ("post", "/v1/companies/{id}/provision"),
    ("post", "/v1/companies/{id}/numbers/purchase"),
    ("get", "/v1/companies/{id}/jobs"),
    ("get", "/v1/companies/{id}/jobs/{job_id}"),
    ("get", "/v1/companies/{id}/telnyx"),
    ("post", "/v1/companies/{id}/messages"),
    ("get", "/v1/companies/{id}/messages"),
    ("get", "/v1/companies/{id}/messages/{message_id}"),
    ("post", "/v1/companies/{id}/calls"),
    ("get", "/v1/companies/{id}/message-status-url"),
    ("put", "/v1/companies/{id}/message-status-url"),
    ("delete", "/v1/companies/{id}/message-status-url"),
];

/// Every `$ref` in `v` (recursively).
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

fn concrete(template: &str) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    template
        .replace("{id}", &id)
        .replace("{number_id}", &id)
        .replace("{token_id}", &id)
        .replace("{job_id}", &id)
        .replace("{item_id}", &id)
        .replace("{dead_letter_id}", "1")
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

    // Every registered route is documented, and documents its error bodies as problem+json:
    // 401 (no token) and 503 (database unavailable) on every one, every 4xx/5xx as problem+json.
    for (method, path) in ROUTES {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} missing from /openapi.json");
        for status in ["401", "503"] {
            let problem = &op["responses"][status]["content"]["application/problem+json"];
            assert!(problem.is_object(), "{method} {path}: {status} not documented as problem+json");
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            if status.starts_with('4') || status.starts_with('5') {
                let content = response["content"].as_object().unwrap();
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{method} {path} {status}"
                );
            }
        }
    }
    // Every reference resolves (a `$ref` to a schema left out of components is a broken document
    // that validators accept and clients cannot use).
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 50, "{}", found.len());
    for r in found {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("unexpected $ref {r}"));
        assert!(doc["components"]["schemas"][name].is_object(), "unresolved $ref {r}");
    }
    // Number health and usage carry the call outcomes.
    let schemas = &doc["components"]["schemas"];
    for field in ["answered_pct", "short_call_pct", "calls_ended", "calls_answered", "calls_short"] {
        assert!(schemas["NumberHealth"]["properties"][field].is_object(), "NumberHealth.{field}");
    }
    for field in ["calls_ended", "calls_answered", "calls_short"] {
        assert!(schemas["UsageCounts"]["properties"][field].is_object(), "UsageCounts.{field}");
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
