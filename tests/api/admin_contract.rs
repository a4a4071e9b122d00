//! What the property-based run against /openapi.json (scripts/schemathesis.sh) found, pinned here:
//! undeclared methods answered 405 with `Allow`, unmatched paths answered as problem+json, JSON
//! arrays refused where the document declares objects, JSON Schema integers (`2.0`) taken as
//! integers, and lengths counted in characters as the error messages say.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::admin_support::{spawn_admin, OPERATOR};
use crate::backend_tests;
use crate::helpers::Db;

const PROBLEM: &str = "application/problem+json";

/// Sends `method path` with the operator token; returns status, Allow, content type and body.
async fn raw(
    admin: &crate::admin_support::Admin,
    method: Method,
    path: &str,
) -> (StatusCode, Option<String>, String, Value) {
    let res = admin
        .app
        .client
        .request(method, format!("{}{path}", admin.app.address))
        .bearer_auth(OPERATOR)
        .send()
        .await
        .expect("request");
    let header = |name: &str| res.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
    let (status, allow, content_type) = (res.status(), header("allow"), header("content-type").unwrap_or_default());
    (status, allow, content_type, res.json().await.unwrap_or(Value::Null))
}

#[actix_web::test]
async fn undeclared_methods_answer_405_with_allow_and_unknown_paths_404() {
    // Routing does not touch the database: one backend is enough.
    let admin = spawn_admin(Db::Sqlite).await;
    let company = uuid::Uuid::new_v4();
    let cases = [
        (Method::TRACE, "/v1/companies".to_owned(), "GET, POST"),
        (Method::DELETE, format!("/v1/companies/{company}"), "GET"),
        (Method::POST, format!("/v1/companies/{company}/numbers/{company}"), "GET, PATCH"),
        // The literal route wins over /numbers/{number_id}.
        (Method::PUT, format!("/v1/companies/{company}/numbers/purchase"), "POST"),
        (Method::PATCH, format!("/v1/companies/{company}/departments/Sales"), "GET, PUT, DELETE"),
        (Method::GET, format!("/v1/companies/{company}/calls"), "POST"),
        (Method::DELETE, "/openapi.json".to_owned(), "GET"),
    ];
    for (method, path, allow) in cases {
        let (status, got_allow, content_type, body) = raw(&admin, method.clone(), &path).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
        assert_eq!(got_allow.as_deref(), Some(allow), "{method} {path}");
        assert_eq!(content_type, PROBLEM, "{method} {path}");
        assert_eq!(body["status"], 405, "{body}");
        assert!(body["detail"].as_str().unwrap().contains(allow), "{body}");
    }
    for path in ["/v1/nothing", "/v1/companies/", "/v1/companies//numbers", "/nope"] {
        let (status, allow, content_type, body) = raw(&admin, Method::GET, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!((allow, content_type.as_str()), (None, PROBLEM), "{path}");
        assert_eq!(body["status"], 404, "{body}");
    }
    // The served routes are untouched by the fallback.
    let (status, _, _, _) = raw(&admin, Method::GET, "/v1/companies").await;
    assert_eq!(status, StatusCode::OK);
}

async fn arrays_are_refused_where_objects_are_declared(db: Db) {
    let admin = spawn_admin(db).await;
    let (co, _) = admin.company("Acme").await;
    let base = format!("/v1/companies/{co}");
    // serde's derive alone accepted each of these as the struct of its fields in order.
    let cases = [
        (Method::PUT, format!("{base}/routing"), json!({"destinations": [null, null]})),
        (Method::PUT, format!("{base}/routing"), json!({"destinations": []})),
        (Method::PUT, format!("{base}/departments/Sales"), json!([{}, null])),
        (Method::PUT, format!("{base}/departments/Sales"), json!({"hours": ["UTC", []]})),
        (
            Method::PUT,
            format!("{base}/departments/Sales"),
            json!({"hours": {"time_zone": "UTC", "open": [["monday", "09:00", "17:00"]]}}),
        ),
        (
            Method::PUT,
            format!("{base}/locations/SF"),
            json!({"hours": {"time_zone": "UTC", "open": [], "after_hours": [null, null]}}),
        ),
        (Method::POST, "/v1/companies".to_owned(), json!(["Acme Two", null])),
        (Method::POST, format!("{base}/tokens"), json!(["ci"])),
        (Method::POST, format!("{base}/routing/explain"), json!(["+14155550100", "+14155551234", "call", null])),
    ];
    for (method, path, body) in cases {
        let (s, e) = admin.op(method.clone(), &path, Some(body.clone())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{method} {path} {body}: {e}");
        assert_eq!(e["field"], "body", "{e}");
        assert!(e["detail"].as_str().unwrap().contains("expected a map"), "{e}");
    }
    // Nothing was written: no department, no second company, default routing untouched.
    let (s, _) = admin.op(Method::GET, &format!("{base}/departments/Sales"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, companies) = admin.op(Method::GET, "/v1/companies", None).await;
    assert_eq!(companies["data"].as_array().unwrap().len(), 1, "{companies}");
    // The same bodies as objects are taken.
    let hours = json!({"time_zone": "UTC", "open": [{"day": "monday", "start": "09:00", "end": "17:00"}],
        "after_hours": {"call": "+14155550100"}});
    let (s, d) = admin.op(Method::PUT, &format!("{base}/departments/Sales"), Some(json!({"hours": hours}))).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["hours"]["open"][0]["day"], "monday", "{d}");
    assert_eq!(d["hours"]["after_hours"]["call"], "+14155550100", "{d}");
}

async fn lengths_count_characters_not_bytes(db: Db) {
    let admin = spawn_admin(db).await;
    let (co, _) = admin.company("Acme").await;
    // 100 characters, 200 bytes: "1 to 100 printable characters" holds, so it is accepted.
    let id = "é".repeat(100);
    let (s, n) = admin
        .op(
            Method::POST,
            &format!("/v1/companies/{co}/numbers"),
            Some(json!({"phone_number": "+14155550100", "telnyx_phone_number_id": id})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    assert_eq!(n["telnyx_phone_number_id"], id.as_str());
    let (s, e) = admin
        .op(
            Method::POST,
            &format!("/v1/companies/{co}/numbers"),
            Some(json!({"phone_number": "+14155550101", "telnyx_phone_number_id": "é".repeat(101)})),
        )
        .await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::BAD_REQUEST, Some("telnyx_phone_number_id")), "{e}");
    // The explain sender likewise: 256 characters pass, 257 do not.
    let explain = |from: String| json!({"from": from, "to": "+14155550100", "kind": "message"});
    let path = format!("/v1/companies/{co}/routing/explain");
    let (s, d) = admin.op(Method::POST, &path, Some(explain("ü".repeat(256)))).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (s, e) = admin.op(Method::POST, &path, Some(explain("ü".repeat(257)))).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::BAD_REQUEST, Some("from")), "{e}");
}

backend_tests!(arrays_are_refused_where_objects_are_declared, lengths_count_characters_not_bytes);

#[actix_web::test]
async fn purchase_quantity_is_any_json_integer() {
    // Validation only (the company is not provisioned, so nothing reaches Telnyx): one backend.
    let admin = spawn_admin(Db::Sqlite).await;
    let (co, _) = admin.company("Acme").await;
    let path = format!("/v1/companies/{co}/numbers/purchase");
    // JSON Schema's integer includes 2.0: it passes validation and meets the next rule.
    for quantity in [json!(2), json!(2.0), json!(10.0)] {
        let (s, e) = admin.op(Method::POST, &path, Some(json!({ "quantity": quantity }))).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{quantity}: {e}");
        assert!(e["detail"].as_str().unwrap().contains("not provisioned"), "{e}");
    }
    for quantity in [json!(2.5), json!(0), json!(11.0), json!(-1), json!(1e300)] {
        let (s, e) = admin.op(Method::POST, &path, Some(json!({ "quantity": quantity }))).await;
        assert_eq!((s, e["field"].as_str()), (StatusCode::BAD_REQUEST, Some("quantity")), "{quantity}: {e}");
    }
}
