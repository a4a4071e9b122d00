//! Dead letters through the admin API: a webhook for a number nobody owns is kept; once the number
//! is registered a re-drive counts it exactly once, a second re-drive counts nothing; only the
//! operator reaches them; filters and the cursor.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::walk;
use crate::admin_support::{spawn_admin, Admin, OPERATOR};
use crate::backend_tests;
use crate::helpers::Db;
use crate::telnyx_events::{call_initiated, message_received};
use crate::webhooks::{post_signed, CUSTOMER};

backend_tests!(
    redrive_after_registration_counts_once,
    company_tokens_never_reach_dead_letters,
    dead_letter_filters_and_cursor,
);

const LATE: &str = "+18314280176";

async fn sms_received(admin: &Admin, company: Uuid, number: &str) -> i64 {
    let (s, page) = admin.op(Method::GET, &format!("/v1/companies/{company}/numbers"), None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let n = page["data"].as_array().unwrap().iter().find(|n| n["phone_number"] == number).expect("the number");
    n["sms_received_count"].as_i64().unwrap()
}

async fn only_dead_letter(admin: &Admin) -> Value {
    let (s, page) = admin.op(Method::GET, "/v1/dead-letters", None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let data = page["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{page}");
    data[0].clone()
}

async fn redrive(admin: &Admin, id: i64) -> Value {
    let (s, done) = admin.op(Method::POST, &format!("/v1/dead-letters/{id}/redrive"), None).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    done
}

async fn redrive_after_registration_counts_once(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, _) = admin.company("Acme").await;
    let body = message_received("late-1", CUSTOMER, &[LATE], &[], "hello before you knew me");
    assert_eq!(post_signed(&admin.app, &body).await.status(), 200);

    let dead = only_dead_letter(&admin).await;
    assert_eq!(
        (&dead["event_id"], &dead["event_type"], &dead["reason"], &dead["phone_number"]),
        (&json!("late-1"), &json!("message.received"), &json!("unknown_number"), &json!(LATE))
    );
    assert!(dead.get("payload").is_none(), "lists carry no payloads: {dead}");
    let id = dead["id"].as_i64().unwrap();
    let (s, shown) = admin.op(Method::GET, &format!("/v1/dead-letters/{id}"), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(shown["payload"].as_str().unwrap().contains("hello before you knew me"), "{shown}");

    // Still nobody's number: it stays a dead letter, and no second one is kept.
    assert_eq!(redrive(&admin, id).await["outcome"], "dead_letter");

    admin.number(acme, json!({"phone_number": LATE})).await;
    assert_eq!(sms_received(&admin, acme, LATE).await, 0);
    let done = redrive(&admin, id).await;
    assert_eq!((&done["outcome"], &done["event_id"]), (&json!("counted"), &json!("late-1")));
    assert_eq!(sms_received(&admin, acme, LATE).await, 1);

    // Again: the ledger's dedupe key holds it.
    assert_eq!(redrive(&admin, id).await["outcome"], "duplicate");
    assert_eq!(sms_received(&admin, acme, LATE).await, 1);
    // And Telnyx redelivering the original changes nothing either.
    assert_eq!(post_signed(&admin.app, &body).await.status(), 200);
    assert_eq!(sms_received(&admin, acme, LATE).await, 1);

    let dead = only_dead_letter(&admin).await;
    assert_eq!(dead["redrive_outcome"], "duplicate", "{dead}");
    let (s, _) = admin.op(Method::DELETE, &format!("/v1/dead-letters/{id}"), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    for (method, path) in [
        (Method::GET, format!("/v1/dead-letters/{id}")),
        (Method::DELETE, format!("/v1/dead-letters/{id}")),
        (Method::POST, format!("/v1/dead-letters/{id}/redrive")),
    ] {
        let (s, p) = admin.op(method.clone(), &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {p}");
    }
    assert_eq!(sms_received(&admin, acme, LATE).await, 1);
}

async fn company_tokens_never_reach_dead_letters(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, acme_token) = admin.company("Acme").await;
    let body = message_received("nobodys-1", CUSTOMER, &[LATE], &[], "hi");
    assert_eq!(post_signed(&admin.app, &body).await.status(), 200);
    let id = only_dead_letter(&admin).await["id"].as_i64().unwrap();
    // Even the company that registers the number afterwards: the event came while it was nobody's.
    admin.number(acme, json!({"phone_number": LATE})).await;

    for (method, path) in [
        (Method::GET, "/v1/dead-letters".to_owned()),
        (Method::GET, format!("/v1/dead-letters/{id}")),
        (Method::POST, format!("/v1/dead-letters/{id}/redrive")),
        (Method::DELETE, format!("/v1/dead-letters/{id}")),
    ] {
        let (s, p) = admin.call(method.clone(), &path, Some(&acme_token), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {p}");
        assert!(p.get("data").is_none() && p.get("payload").is_none(), "{p}");
        let (s, _) = admin.call(method.clone(), &path, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path} without a token");
    }
    // Nothing happened: still there, never re-driven, nothing counted.
    let dead = only_dead_letter(&admin).await;
    assert!(dead["redriven_at"].is_null(), "{dead}");
    assert_eq!(sms_received(&admin, acme, LATE).await, 0);
}

async fn dead_letter_filters_and_cursor(db: Db) {
    let admin = spawn_admin(db).await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    for i in 0..3 {
        let body = message_received(&format!("m-{i}"), CUSTOMER, &["+19995550001"], &[], "x");
        assert_eq!(post_signed(&admin.app, &body).await.status(), 200);
    }
    for i in 0..2 {
        let body = call_initiated(&format!("c-{i}"), CUSTOMER, "+19995550002", "incoming");
        assert_eq!(post_signed(&admin.app, &body).await.status(), 200);
    }
    let ids = |rows: &[Value]| rows.iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>();

    // Every one, 2 per page: 3 pages, newest first, none repeated.
    let (all, pages) = walk(&admin, OPERATOR, "/v1/dead-letters", 2).await;
    assert_eq!((all.len(), pages), (5, 3));
    let all_ids = ids(&all);
    assert!(all_ids.windows(2).all(|w| w[0] > w[1]), "{all_ids:?}");
    assert_eq!(all[0]["event_id"], "c-1");

    // The filters, kept across pages by the Link header.
    let (calls, _) = walk(&admin, OPERATOR, "/v1/dead-letters?event_type=call.initiated", 1).await;
    assert_eq!(calls.iter().map(|r| r["event_id"].as_str().unwrap()).collect::<Vec<_>>(), ["c-1", "c-0"]);
    let (by_number, pages) = walk(&admin, OPERATOR, "/v1/dead-letters?number=%2B19995550001", 2).await;
    assert_eq!((by_number.len(), pages), (3, 2));
    assert!(by_number.iter().all(|r| r["event_type"] == "message.received"));
    let (by_reason, _) = walk(&admin, OPERATOR, "/v1/dead-letters?reason=unknown_number", 100).await;
    assert_eq!(by_reason.len(), 5);
    let (other_reason, _) = walk(&admin, OPERATOR, "/v1/dead-letters?reason=other", 100).await;
    assert!(other_reason.is_empty());
    let since = urlencode(&before.to_rfc3339());
    let (recent, _) = walk(&admin, OPERATOR, &format!("/v1/dead-letters?since={since}"), 100).await;
    assert_eq!(recent.len(), 5);
    let (older, _) = walk(&admin, OPERATOR, &format!("/v1/dead-letters?until={since}"), 100).await;
    assert!(older.is_empty());

    // Bad filters and cursors name their parameter.
    for (query, field) in [
        ("number=555", "number"),
        ("since=yesterday", "since"),
        (&format!("since={since}&until={since}") as &str, "until"),
        ("limit=1001", "limit"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
    ] {
        let (s, p) = admin.op(Method::GET, &format!("/v1/dead-letters?{query}"), None).await;
        assert_eq!((s, p["field"].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{query}: {p}");
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
