//! The outbox as an admin works it: an item whose attempts ran out is listed as exhausted, retried,
//! and delivered to its (loopback) receiver by the daemon's own worker; retry-all is bounded and
//! says how many; cancel; another company's token gets 404; filters and the cursor.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use switchboard::domain::CompanyId;
use switchboard::ledger::outbox_item::OutboxItem;
use switchboard::outbox::worker::MAX_ATTEMPTS;
use uuid::Uuid;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::walk;
use crate::admin_support::{eventually, spawn_admin, Admin};
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(exhausted_item_is_retried_and_delivered, outbox_filters_retry_all_and_cancel);

fn forward(company: Uuid, event: &str, url: &str) -> OutboxItem {
    crate::helpers::forward_item(CompanyId::from_uuid(company), event, url)
}

async fn item(admin: &Admin, token: &str, company: Uuid, id: Uuid) -> Value {
    let (s, v) = admin.call(Method::GET, &format!("/v1/companies/{company}/outbox/{id}"), Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Makes the daemon's worker give up on `item` as if its attempts ran out: waits for its first
/// failed attempt (the worker then leaves it alone for its backoff), then records the last one.
async fn exhaust(admin: &Admin, company: Uuid, item: &OutboxItem) {
    let store = &admin.app.store;
    eventually("the first attempt fails", || async {
        let e = store.get_outbox_item(CompanyId::from_uuid(company), item.id).await.unwrap();
        (e.attempts >= 1).then_some(())
    })
    .await;
    store.mark_outbox_failed(item.id, MAX_ATTEMPTS, "receiver answered 503").await.unwrap();
}

async fn exhausted_item_is_retried_and_delivered(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, token) = admin.company("Acme").await;
    let (_, other_token) = admin.company("Other").await;
    let receiver = MockServer::start().await;
    let open = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let (o, a) = (open.clone(), accepted.clone());
    Mock::given(method("POST"))
        .respond_with(move |_: &Request| {
            if o.load(Ordering::SeqCst) {
                a.fetch_add(1, Ordering::SeqCst);
                ResponseTemplate::new(204)
            } else {
                ResponseTemplate::new(503)
            }
        })
        .mount(&receiver)
        .await;
    let it = forward(acme, "ev-retry", &format!("{}/hooks/sales", receiver.uri()));
    admin.app.store.insert_outbox_items(std::slice::from_ref(&it)).await.unwrap();
    exhaust(&admin, acme, &it).await;

    let base = format!("/v1/companies/{acme}/outbox");
    let (exhausted, _) = walk(&admin, &token, &format!("{base}?status=exhausted"), 100).await;
    assert_eq!(exhausted.len(), 1);
    assert_eq!((&exhausted[0]["status"], exhausted[0]["attempts"].as_i64()), (&Value::from("failed"), Some(12)));

    // Another company cannot see or touch it.
    for (m, path) in [
        (Method::GET, format!("{base}/{}", it.id)),
        (Method::POST, format!("{base}/{}/retry", it.id)),
        (Method::POST, format!("{base}/{}/cancel", it.id)),
    ] {
        let (s, _) = admin.call(m.clone(), &path, Some(&other_token), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m} {path}");
    }

    open.store(true, Ordering::SeqCst);
    let (s, retried) = admin.call(Method::POST, &format!("{base}/{}/retry", it.id), Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{retried}");
    assert_eq!((&retried["status"], retried["attempts"].as_i64()), (&Value::from("pending"), Some(0)));
    let delivered = eventually("the retried item is delivered", || async {
        let v = item(&admin, &token, acme, it.id).await;
        (v["status"] == "delivered").then_some(v)
    })
    .await;
    assert_eq!(delivered["attempts"], 1);
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // Delivered: neither retried nor cancelled.
    for action in ["retry", "cancel"] {
        let (s, p) = admin.call(Method::POST, &format!("{base}/{}/{action}", it.id), Some(&token), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{action}: {p}");
    }
}

async fn outbox_filters_retry_all_and_cancel(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, token) = admin.company("Acme").await;
    // A receiver that always fails: every item's first attempt fails, then it waits its backoff.
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&receiver).await;
    let sales = format!("{}/hooks/sales", receiver.uri());
    let support = format!("{}/hooks/support", receiver.uri());
    let items: Vec<OutboxItem> =
        (0..5).map(|i| forward(acme, &format!("ev-{i}"), if i < 3 { &sales } else { &support })).collect();
    admin.app.store.insert_outbox_items(&items).await.unwrap();
    for it in &items {
        exhaust(&admin, acme, it).await;
    }
    let base = format!("/v1/companies/{acme}/outbox");

    let (all, pages) = walk(&admin, &token, &format!("{base}?status=failed"), 2).await;
    assert_eq!((all.len(), pages), (5, 3));
    let dest = url::form_urlencoded::byte_serialize(support.as_bytes()).collect::<String>();
    let (to_support, _) = walk(&admin, &token, &format!("{base}?destination={dest}&kind=forward_message"), 1).await;
    assert_eq!(to_support.len(), 2);
    let (calls, _) = walk(&admin, &token, &format!("{base}?kind=call_transfer"), 100).await;
    assert!(calls.is_empty());
    let (later, _) = walk(&admin, &token, &format!("{base}?since=2999-01-01T00:00:00Z"), 100).await;
    assert!(later.is_empty());

    // Cancel one (409 the second time); it is no longer failed.
    let cancel = format!("{base}/{}/cancel", items[0].id);
    let (s, c) = admin.call(Method::POST, &cancel, Some(&token), None).await;
    assert_eq!((s, c["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{c}");
    let (s, _) = admin.call(Method::POST, &cancel, Some(&token), None).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (cancelled, _) = walk(&admin, &token, &format!("{base}?status=cancelled"), 100).await;
    assert_eq!(cancelled.len(), 1);

    // Retry all to support, bounded: 1 of 2, then the other; then none.
    let retry_support = format!("{base}/retry?destination={dest}&status=exhausted");
    for expected in [1, 1, 0] {
        let (s, r) = admin.call(Method::POST, &format!("{retry_support}&limit=1"), Some(&token), None).await;
        assert_eq!((s, r["retried"].as_u64()), (StatusCode::OK, Some(expected)), "{r}");
    }
    // Everything else that gave up or was cancelled (the 2 others to sales and the cancelled one).
    let (s, r) = admin.call(Method::POST, &format!("{base}/retry"), Some(&token), None).await;
    assert_eq!((s, r["retried"].as_u64(), r["limit"].as_i64()), (StatusCode::OK, Some(3), Some(1000)), "{r}");

    for (query, field) in [("status=delivered", "status"), ("limit=0", "limit"), ("kind=fax", "kind")] {
        let (s, p) = admin.call(Method::POST, &format!("{base}/retry?{query}"), Some(&token), None).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{query}: {p}");
    }
    // Writes need the admin scope.
    let ro = serde_json::json!({"name": "ro", "scopes": ["read"]});
    let (s, t) = admin.op(Method::POST, &format!("/v1/companies/{acme}/tokens"), Some(ro)).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let read_only = t["token"].as_str().unwrap();
    let (s, _) = admin.call(Method::POST, &format!("{base}/retry"), Some(read_only), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = admin.call(Method::GET, &format!("{base}?status=pending"), Some(read_only), None).await;
    assert_eq!(s, StatusCode::OK);
}
