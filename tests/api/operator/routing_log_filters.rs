//! GET /v1/companies/{id}/routing-log filtered by outcome (unrouted among them), number, customer
//! and time, with its cursor.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::walk;
use crate::admin_support::{spawn_admin, OPERATOR};
use crate::backend_tests;
use crate::helpers::Db;
use crate::telnyx_events::message_received;
use crate::webhooks::post_signed;

backend_tests!(routing_log_filters_by_outcome_number_and_customer);

const ROUTED: &str = "+18314280176";
const BARE: &str = "+14155551234";
const ALICE: &str = "+14155550100";
const BOB: &str = "+14155550101";

async fn routing_log_filters_by_outcome_number_and_customer(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, token) = admin.company("Acme").await;
    let (_, other_token) = admin.company("Other").await;
    let dept = json!({"destinations": {"message": "https://crm.example.com/hooks/sales"}});
    let (s, d) = admin.op(Method::PUT, &format!("/v1/companies/{acme}/departments/Sales"), Some(dept)).await;
    assert!(s.is_success(), "{d}");
    admin.number(acme, json!({"phone_number": ROUTED, "department": "Sales"})).await;
    admin.number(acme, json!({"phone_number": BARE})).await;

    // Routed: 2 from Alice, 1 from Bob; unrouted (no rule, no default): 2 from Alice, 1 from Bob.
    let sends = [("f-0", ALICE, ROUTED), ("f-1", BOB, ROUTED), ("f-2", ALICE, ROUTED), ("u-0", ALICE, BARE)];
    let sends = sends.into_iter().chain([("u-1", BOB, BARE), ("u-2", ALICE, BARE)]);
    for (id, from, to) in sends {
        assert_eq!(post_signed(&admin.app, &message_received(id, from, &[to], &[], "hi")).await.status(), 200);
    }
    let base = format!("/v1/companies/{acme}/routing-log");
    let events = |rows: &[Value]| {
        let mut ids: Vec<String> = rows.iter().map(|r| r["event_id"].as_str().unwrap().to_owned()).collect();
        ids.sort();
        ids
    };

    let (unrouted, pages) = walk(&admin, &token, &format!("{base}?outcome=unrouted"), 2).await;
    assert_eq!((events(&unrouted), pages), (vec!["u-0".into(), "u-1".into(), "u-2".into()], 2));
    assert!(unrouted.iter().all(|r| r["outcome"] == "unrouted" && r["phone_number"] == BARE));
    let (forwarded, _) = walk(&admin, &token, &format!("{base}?outcome=forward"), 100).await;
    assert_eq!(events(&forwarded), ["f-0", "f-1", "f-2"]);

    let (alice, _) = walk(&admin, &token, &format!("{base}?customer=%2B14155550100"), 1).await;
    assert_eq!(events(&alice), ["f-0", "f-2", "u-0", "u-2"]);
    assert!(alice.iter().all(|r| r["customer"] == ALICE));
    let (bob_unrouted, _) =
        walk(&admin, &token, &format!("{base}?customer=%2B14155550101&outcome=unrouted"), 100).await;
    assert_eq!(events(&bob_unrouted), ["u-1"]);
    let (at_routed, _) = walk(&admin, OPERATOR, &format!("{base}?number=%2B18314280176"), 100).await;
    assert_eq!(events(&at_routed), ["f-0", "f-1", "f-2"]);
    let (all, _) = walk(&admin, &token, &base, 4).await;
    assert_eq!(all.len(), 6);
    let future = "2999-01-01T00:00:00Z";
    let (none, _) = walk(&admin, &token, &format!("{base}?since={future}"), 100).await;
    assert!(none.is_empty());
    let (past, _) = walk(&admin, &token, &format!("{base}?until={future}&outcome=unrouted"), 100).await;
    assert_eq!(past.len(), 3);

    for (query, field) in [("outcome=lost", "outcome"), ("number=12", "number"), ("until=soon", "until")] {
        let (s, p) = admin.call(Method::GET, &format!("{base}?{query}"), Some(&token), None).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{query}: {p}");
    }
    // Another company's token sees nothing of it.
    let (s, _) = admin.call(Method::GET, &format!("{base}?outcome=unrouted"), Some(&other_token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
