//! /routing/explain on the demo company: assignment over department, after hours at 03:00 local,
//! and the San Francisco location's message destination.
use reqwest::{Method, StatusCode};
use serde_json::json;
use switchboard::demo;

use crate::admin_support::spawn_admin;
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(explain_demo_decisions, demo_routing_loads_idempotently);

async fn explain_demo_decisions(db: Db) {
    let admin = spawn_admin(db).await;
    demo::load(admin.app.store.as_ref()).await.unwrap();
    demo::load_demo_routing(admin.app.store.as_ref(), demo::DEMO_COMPANY_ID).await.unwrap();
    let path = format!("/v1/companies/{}/routing/explain", demo::DEMO_COMPANY_ID);
    // 2026-11-25 is a Wednesday; 18:00Z is 10:00 in Los Angeles (PST), 11:00Z is 03:00.
    let cases = [
        (
            json!({"from": "+14155550100", "to": "+14155551234", "kind": "call", "at": "2026-11-25T18:00:00Z"}),
            json!({"kind": "call", "address": "sip:sales@pbx.example.com"}),
            json!({"rule": "department", "name": "Sales", "after_hours": false}),
        ),
        (
            json!({"from": "+12065550123", "to": "+14155551234", "kind": "call", "at": "2026-11-25T11:00:00Z"}),
            json!({"kind": "call", "address": "sip:emergency@pbx.example.com"}),
            json!({"rule": "department", "name": "Support", "after_hours": true}),
        ),
        (
            json!({"from": "+12065550123", "to": "+14155551234", "kind": "call", "at": "2026-11-25T18:00:00Z"}),
            json!({"kind": "call", "address": "sip:support@pbx.example.com"}),
            json!({"rule": "department", "name": "Support", "after_hours": false}),
        ),
        (
            json!({"from": "+12065550123", "to": "+14155550001", "kind": "message"}),
            json!({"kind": "message", "address": "https://crm.example.com/hooks/san-francisco"}),
            json!({"rule": "location", "name": "San Francisco", "after_hours": false}),
        ),
    ];
    for (req, destination, matched) in cases {
        let (s, d) = admin.op(Method::POST, &path, Some(req.clone())).await;
        assert_eq!(s, StatusCode::OK, "{req}: {d}");
        assert_eq!(d["destination"], destination, "{req}: {d:#}");
        assert_eq!(d["matched"], matched, "{req}: {d:#}");
        assert!(!d["trace"].as_array().unwrap().is_empty());
    }
    let (_, d) = admin.op(Method::POST, &path, Some(cases_first())).await;
    assert_eq!(d["via_assignment"], "+18314280176");
    assert_eq!(d["trace"][0]["rule"], "assignment");
    assert_eq!(d["trace"][0]["outcome"], "matched");
}

fn cases_first() -> serde_json::Value {
    json!({"from": "+14155550100", "to": "+14155551234", "kind": "call", "at": "2026-11-25T18:00:00Z"})
}

async fn demo_routing_loads_idempotently(db: Db) {
    let admin = spawn_admin(db).await;
    let store = admin.app.store.as_ref();
    demo::load(store).await.unwrap();
    demo::load_demo_routing(store, demo::DEMO_COMPANY_ID).await.unwrap();
    demo::load_demo_routing(store, demo::DEMO_COMPANY_ID).await.unwrap();
    let routing = store.load_company_routing(demo::DEMO_COMPANY_ID).await.unwrap();
    assert_eq!(routing.departments().count(), 3);
    assert_eq!(routing.locations().count(), 3);
    assert!(routing.location("San Francisco").unwrap().serves_area_code("628"));
    assert!(routing.department("Support").unwrap().hours.is_some());
    assert_eq!(routing.assignments().count(), 1);
    assert_eq!(routing.numbers().count(), 6);
}
