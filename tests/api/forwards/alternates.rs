//! A primary that keeps failing hands the forward to its alternate once; every URL failing ends
//! as a visible failure; the one-URL form is stored and forwarded as before; bad alternates are
//! refused naming the field.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::{row_of, settled, spawn, Hook};
use crate::backend_tests;
use crate::helpers::Db;
use crate::telnyx_events::message_received;
use crate::webhooks::post_signed;

backend_tests!(
    an_exhausted_primary_hands_the_forward_to_its_alternate_once,
    a_one_url_destination_is_stored_and_forwarded_as_before,
    bad_alternates_are_refused_naming_the_field,
    a_move_to_the_next_alternate_is_made_once_from_its_hop
);

const SALES: &str = "+18314280176";
const SUPPORT: &str = "+18314280177";
const ALICE: &str = "+14155550100";

async fn an_exhausted_primary_hands_the_forward_to_its_alternate_once(db: Db) {
    let admin = spawn(db).await;
    let (acme, token) = admin.company("Acme").await;
    let (down, standby) = (Hook::answering(500).await, Hook::answering(204).await);
    let (all_down, also_down) = (Hook::answering(503).await, Hook::answering(500).await);
    let put = |name: &str, message: Value| {
        let path = format!("/v1/companies/{acme}/departments/{name}");
        let body = json!({"destinations": {"message": message}});
        let (admin, token) = (&admin, token.clone());
        async move { admin.call(Method::PUT, &path, Some(&token), Some(body)).await }
    };
    let sales = json!({"url": down.url(), "alternates": [standby.url()]});
    let (s, d) = put("Sales", sales.clone()).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["destinations"]["message"], sales, "the object form is answered as given");
    let (s, d) = put("Support", json!({"url": all_down.url(), "alternates": [also_down.url()]})).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    admin.number(acme, json!({"phone_number": SALES, "department": "Sales"})).await;
    admin.number(acme, json!({"phone_number": SUPPORT, "department": "Support"})).await;

    for (event, to) in [("fw-sales", SALES), ("fw-support", SUPPORT)] {
        assert_eq!(post_signed(&admin.app, &message_received(event, ALICE, &[to], &[], "hi")).await.status(), 200);
    }

    // Sales: 3 attempts on the primary (its schedule), then the alternate, once.
    let row = row_of(&admin, &token, acme, "fw-sales", settled).await;
    assert_eq!(row["status"], "delivered", "{row}");
    assert_eq!((row["hop"].as_i64(), row["attempts"].as_i64()), (Some(1), Some(1)), "{row}");
    assert_eq!(row["destination"], standby.url().as_str());
    assert_eq!(row["alternates"], json!([standby.url()]));
    assert_eq!(down.ids(), ["fw-sales"; 3]);
    assert_eq!(standby.ids(), ["fw-sales"], "the alternate got the forward exactly once");

    // Support: every URL exhausted: kept as a failure, listed as exhausted, never dropped.
    let row = row_of(&admin, &token, acme, "fw-support", settled).await;
    assert_eq!((row["status"].as_str(), row["failure"].as_str()), (Some("failed"), Some("exhausted")), "{row}");
    assert_eq!((row["hop"].as_i64(), row["destination"].as_str()), (Some(1), Some(also_down.url().as_str())));
    assert_eq!((all_down.ids().len(), also_down.ids().len()), (3, 3));
    let path = format!("/v1/companies/{acme}/outbox?status=exhausted");
    let (s, page) = admin.call(Method::GET, &path, Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let ids: Vec<&str> = page["data"].as_array().unwrap().iter().filter_map(|r| r["event_id"].as_str()).collect();
    assert_eq!(ids, ["fw-support"]);
}

async fn a_one_url_destination_is_stored_and_forwarded_as_before(db: Db) {
    let admin = spawn(db).await;
    let (acme, token) = admin.company("Acme").await;
    let hook = Hook::answering(200).await;
    let path = format!("/v1/companies/{acme}/departments/Sales");
    let body = json!({"destinations": {"message": hook.url()}});
    let (s, d) = admin.call(Method::PUT, &path, Some(&token), Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (_, d) = admin.call(Method::GET, &path, Some(&token), None).await;
    assert_eq!(d["destinations"]["message"], hook.url().as_str(), "still a plain string: {d}");
    // The object form without alternates is the same destination, written back as a string.
    let body = json!({"destinations": {"message": {"url": hook.url()}}});
    let (_, d) = admin.call(Method::PUT, &path, Some(&token), Some(body)).await;
    assert_eq!(d["destinations"]["message"], hook.url().as_str(), "{d}");
    admin.number(acme, json!({"phone_number": SALES, "department": "Sales"})).await;

    assert_eq!(post_signed(&admin.app, &message_received("fw-1", ALICE, &[SALES], &[], "hi")).await.status(), 200);
    let row = row_of(&admin, &token, acme, "fw-1", settled).await;
    assert_eq!((row["status"].as_str(), row["hop"].as_i64()), (Some("delivered"), Some(0)), "{row}");
    assert_eq!(row["alternates"], json!([]));
    assert_eq!(hook.ids(), ["fw-1"]);
}

async fn bad_alternates_are_refused_naming_the_field(db: Db) {
    let admin = spawn(db).await;
    let (acme, token) = admin.company("Acme").await;
    let eleven: Vec<String> = (0..11).map(|i| format!("https://h{i}.example.com/in")).collect();
    let cases = [
        (json!({"url": "https://a.example.com/in", "alternates": eleven}), "destinations.message.alternates"),
        (
            json!({"url": "https://a.example.com/in", "alternates": ["https://b.example.com/", "nope"]}),
            "destinations.message.alternates[1]",
        ),
        (
            json!({"url": "https://a.example.com/in", "alternates": ["https://a.example.com/in"]}),
            "destinations.message.alternates[0]",
        ),
        (json!({"url": "ftp://a.example.com/in", "alternates": []}), "destinations.message.url"),
        // Valid URLs, but a private address the operator's forward policy does not allow.
        (
            json!({"url": "https://a.example.com/in", "alternates": ["https://10.1.2.3/in"]}),
            "destinations.message.alternates[0]",
        ),
    ];
    let path = format!("/v1/companies/{acme}/departments/Sales");
    for (message, field) in cases {
        let body = json!({"destinations": {"message": message}});
        let (s, p) = admin.call(Method::PUT, &path, Some(&token), Some(body)).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{message}: {p}");
    }
    let (s, _) = admin.call(Method::GET, &path, Some(&token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "nothing was stored");
}

/// Two workers that both decided to move a forward on (one took it again after a lease expired):
/// the move is made from the hop it was decided on, once; the second finds the row moved.
async fn a_move_to_the_next_alternate_is_made_once_from_its_hop(db: Db) {
    let app = crate::helpers::spawn_app_with(db, |s| {
        s.forwards.retry_schedule = vec![std::time::Duration::ZERO, std::time::Duration::from_secs(60)];
    })
    .await;
    let company = switchboard::domain::CompanyId::new();
    app.store.create_company(company, "Acme").await.unwrap();
    // Nothing listens on port 9: the daemon's own worker, if it gets there first, only fails.
    let (primary, first, second) = ("http://127.0.0.1:9/a", "http://127.0.0.1:9/b", "http://127.0.0.1:9/c");
    let mut item = crate::helpers::forward_item(company, "fw-move", primary);
    item.alternates = vec![first.to_owned(), second.to_owned()];
    app.store.insert_outbox_items(std::slice::from_ref(&item)).await.unwrap();
    let stored = app.store.get_outbox_item(company, item.id).await.unwrap();
    assert_eq!((stored.hop, stored.item.alternates.clone()), (0, item.alternates.clone()), "alternates are stored");

    let now = chrono::Utc::now();
    assert!(app.store.move_outbox_to_alternate(item.id, 0, 1, first, now, "receiver answered 500").await.unwrap());
    assert!(!app.store.move_outbox_to_alternate(item.id, 0, 1, first, now, "receiver answered 500").await.unwrap());
    assert!(!app.store.move_outbox_to_alternate(item.id, 0, 2, second, now, "late").await.unwrap(), "no hop skipped");
    let moved = app.store.get_outbox_item(company, item.id).await.unwrap();
    assert_eq!((moved.hop, moved.item.destination.as_str(), moved.status.as_str()), (1, first, "pending"));
    assert_eq!(moved.item.id, item.id, "the same item, keyed by its primary");
}
