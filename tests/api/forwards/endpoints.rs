//! A receiver that answers 410 Gone is disabled: the admin API lists it, later forwards skip it
//! (to the alternate, or end `disabled` when there is none), and once an admin re-enables it,
//! forwards reach it again. Only the company's admin tokens (and the operator) re-enable.
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{row_of, settled, spawn, Hook};
use crate::backend_tests;
use crate::helpers::Db;
use crate::telnyx_events::message_received;
use crate::webhooks::post_signed;

backend_tests!(a_gone_endpoint_is_disabled_skipped_and_re_enabled);

const SALES: &str = "+18314280176";
const PLAIN: &str = "+18314280177";
const ALICE: &str = "+14155550100";

async fn a_gone_endpoint_is_disabled_skipped_and_re_enabled(db: Db) {
    let admin = spawn(db).await;
    let (acme, token) = admin.company("Acme").await;
    let (_, other_token) = admin.company("Other").await;
    let (gone, standby) = (Hook::answering(410).await, Hook::answering(204).await);
    for (name, message) in
        [("Sales", json!({"url": gone.url(), "alternates": [standby.url()]})), ("Plain", json!(gone.url()))]
    {
        let path = format!("/v1/companies/{acme}/departments/{name}");
        let (s, d) =
            admin.call(Method::PUT, &path, Some(&token), Some(json!({"destinations": {"message": message}}))).await;
        assert_eq!(s, StatusCode::OK, "{d}");
    }
    admin.number(acme, json!({"phone_number": SALES, "department": "Sales"})).await;
    admin.number(acme, json!({"phone_number": PLAIN, "department": "Plain"})).await;
    let send = |event: &'static str, to: &'static str| {
        let admin = &admin;
        async move {
            let body = message_received(event, ALICE, &[to], &[], "hi");
            assert_eq!(post_signed(&admin.app, &body).await.status(), 200);
        }
    };

    // The 410 moves the forward on at once (no retries) and disables the endpoint.
    send("gone-1", SALES).await;
    let row = row_of(&admin, &token, acme, "gone-1", settled).await;
    assert_eq!((row["status"].as_str(), row["hop"].as_i64()), (Some("delivered"), Some(1)), "{row}");
    assert_eq!((gone.ids(), standby.ids()), (vec!["gone-1".to_owned()], vec!["gone-1".to_owned()]));
    let endpoints = format!("/v1/companies/{acme}/forward-endpoints");
    let (s, page) = admin.call(Method::GET, &endpoints, Some(&token), None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let listed = page["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{page}");
    assert_eq!((listed[0]["url"].as_str(), listed[0]["state"].as_str()), (Some(gone.url().as_str()), Some("disabled")));
    assert_eq!(listed[0]["reason"], "receiver answered 410");
    assert!(listed[0]["disabled_at"].is_string(), "{page}");
    assert_eq!(page["next_cursor"], json!(null));
    let endpoint = listed[0]["id"].as_str().unwrap().to_owned();

    // Disabled: skipped without a request, to the alternate; with none, the forward ends disabled.
    send("gone-2", SALES).await;
    send("plain-1", PLAIN).await;
    let row = row_of(&admin, &token, acme, "gone-2", settled).await;
    assert_eq!((row["status"].as_str(), row["hop"].as_i64()), (Some("delivered"), Some(1)), "{row}");
    let row = row_of(&admin, &token, acme, "plain-1", settled).await;
    assert_eq!((row["status"].as_str(), row["failure"].as_str()), (Some("disabled"), Some("disabled")), "{row}");
    assert_eq!(gone.ids(), ["gone-1"], "a disabled endpoint gets nothing");
    assert_eq!(standby.ids(), ["gone-1", "gone-2"]);
    let (_, page) =
        admin.call(Method::GET, &format!("/v1/companies/{acme}/outbox?status=disabled"), Some(&token), None).await;
    let ids: Vec<&str> = page["data"].as_array().unwrap().iter().filter_map(|r| r["event_id"].as_str()).collect();
    assert_eq!(ids, ["plain-1"], "{page}");
    // Counted (the recorder is shared by the tests of this process: present, not an exact count).
    let metrics = admin.app.get("/metrics").await.text().await.unwrap();
    for line in [
        "switchboard_forward_endpoints_disabled_total ",
        "switchboard_forward_alternate_moves_total{reason=\"gone\"}",
        "switchboard_forward_alternate_moves_total{reason=\"disabled\"}",
        "switchboard_outbox_failed_total{kind=\"forward_message\",reason=\"disabled\"}",
    ] {
        assert!(metrics.contains(line), "{line} missing from /metrics");
    }

    // Re-enabling: not with a read-only token, nor another company's; yes with the company's admin token.
    let enable = format!("{endpoints}/{endpoint}/enable");
    let read_only = json!({"name": "r", "scopes": ["read"]});
    let (s, read_only) = admin.op(Method::POST, &format!("/v1/companies/{acme}/tokens"), Some(read_only)).await;
    assert_eq!(s, StatusCode::CREATED, "{read_only}");
    let (s, _) = admin.call(Method::POST, &enable, read_only["token"].as_str(), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = admin.call(Method::POST, &enable, Some(&other_token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) =
        admin.call(Method::POST, &format!("{endpoints}/{}/enable", uuid::Uuid::new_v4()), Some(&token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    gone.answer(204);
    let (s, enabled) = admin.call(Method::POST, &enable, Some(&token), None).await;
    assert_eq!((s, enabled["state"].as_str()), (StatusCode::OK, Some("active")), "{enabled}");
    assert!(enabled["enabled_at"].is_string(), "{enabled}");

    // Used again: the next forward reaches it; the one that ended disabled is retried by an admin.
    send("gone-3", SALES).await;
    let row = row_of(&admin, &token, acme, "gone-3", settled).await;
    assert_eq!((row["status"].as_str(), row["hop"].as_i64()), (Some("delivered"), Some(0)), "{row}");
    let (s, retried) = admin
        .call(Method::POST, &format!("/v1/companies/{acme}/outbox/retry?status=disabled"), Some(&token), None)
        .await;
    assert_eq!((s, retried["retried"].as_u64()), (StatusCode::OK, Some(1)), "{retried}");
    let row = row_of(&admin, &token, acme, "plain-1", |r| r["status"] == "delivered").await;
    assert_eq!(row["failure"], json!(null));
    assert_eq!(gone.ids(), ["gone-1", "gone-3", "plain-1"]);
    assert_eq!(standby.ids(), ["gone-1", "gone-2"]);
}
