//! The routing log stores each decision in its compact form (`ledger::decision_codec`) and the
//! admin API answers it in full: the JSON the routing function wrote, key for key.
use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::{Connection, PgConnection, SqliteConnection};

use crate::admin_support::spawn_admin;
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(the_routing_log_stores_decisions_compact_and_answers_them_in_full);

const NUMBER: &str = "+18314280176";
const CUSTOMER: &str = "+13105550199";

/// The decision column as stored, for `event_id`.
async fn stored_decision(db: Db, url: &str, event_id: &str) -> String {
    let sql = format!("SELECT decision FROM webhook_events WHERE event_id = '{event_id}'");
    match db {
        Db::Postgres => {
            let mut conn = PgConnection::connect(url).await.expect("connect");
            sqlx::query_scalar(&sql).fetch_one(&mut conn).await.expect("stored decision")
        }
        Db::Sqlite => {
            let mut conn = SqliteConnection::connect(url).await.expect("connect");
            sqlx::query_scalar(&sql).fetch_one(&mut conn).await.expect("stored decision")
        }
    }
}

async fn the_routing_log_stores_decisions_compact_and_answers_them_in_full(db: Db) {
    // Arrange: a company number without routing rules (its messages are unrouted).
    let admin = spawn_admin(db).await;
    let (co, token) = admin.company("Acme").await;
    let t = Some(token.as_str());
    admin.number(co, json!({"phone_number": NUMBER})).await;
    // What serde_json writes for the decision (what the log stored before the compact form).
    let skipped = |rule: &str, reason: String| json!({"rule": rule, "outcome": "skipped", "reason": reason});
    let expected = json!({
        "destination": null,
        "matched": {"rule": "unrouted"},
        "via_assignment": null,
        "effective_number": NUMBER,
        "trace": [
            skipped("assignment", format!("{CUSTOMER} has no assignment")),
            skipped("department", format!("{NUMBER} has no department")),
            skipped("location", format!("{NUMBER} has no location")),
            skipped("company_default", "the company has no default message destination".into()),
        ]
    });

    // Act
    let body = crate::telnyx_events::message_received("ev-compact", CUSTOMER, &[NUMBER], &[], "hi");
    assert_eq!(crate::webhooks::post_signed(&admin.app, &body).await.status(), 200);
    let (s, list) = admin.call(Method::GET, &format!("/v1/companies/{co}/routing-log?limit=10"), t, None).await;
    let (s_one, one) = admin.call(Method::GET, &format!("/v1/companies/{co}/routing-log/ev-compact"), t, None).await;
    let stored = stored_decision(db, &admin.app.db.url, "ev-compact").await;

    // Assert: the whole decision, through both endpoints...
    assert_eq!((s, s_one), (StatusCode::OK, StatusCode::OK));
    assert_eq!(list["data"][0]["decision"], expected, "{list}");
    assert_eq!(one[0]["decision"], expected, "{one}");
    // ...from a stored line a fraction of its JSON's size.
    let json_len = serde_json::to_string(&expected).unwrap().len();
    assert!(stored.starts_with('\u{1}'), "stored as plain JSON: {stored:?}");
    assert!(stored.len() * 4 < json_len, "{} bytes stored for {json_len} of JSON: {stored:?}", stored.len());
}
