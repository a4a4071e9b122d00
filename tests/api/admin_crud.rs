//! Admin API CRUD through HTTP on both backends.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::admin_support::spawn_admin;
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(
    companies_numbers_and_default_number,
    departments_locations_and_defaults,
    assignments_opt_outs_and_tokens,
    validation_errors_name_the_field,
    routing_log_lists_and_finds_events,
);

async fn companies_numbers_and_default_number(db: Db) {
    let admin = spawn_admin(db).await;
    let (co, token) = admin.company("Acme").await;
    let t = Some(token.as_str());
    let (s, list) = admin.call(Method::GET, "/v1/companies", t, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["data"][0]["name"], "Acme");
    assert_eq!(list["next_cursor"], serde_json::Value::Null);

    let base = format!("/v1/companies/{co}");
    let body = json!({"phone_number": "+1 (831) 428-0176", "department": "Sales", "features": ["sms", "voice"]});
    // The operator registers it (a company token must prove the account holds a number:
    // tests/api/security/number_ownership.rs).
    let (s, n) = admin.op(Method::POST, &format!("{base}/numbers"), Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    assert_eq!(n["phone_number"], "+18314280176");
    assert_eq!(n["sms_received_count"], 0);
    let id = n["id"].as_str().unwrap().to_owned();
    admin.number(co, json!({"phone_number": "+14155550001", "location": "San Francisco", "features": ["voice"]})).await;

    let (_, sms) = admin.call(Method::GET, &format!("{base}/numbers?feature=sms"), t, None).await;
    assert_eq!(sms["data"].as_array().unwrap().len(), 1, "{sms}");
    let patch = json!({"department": null, "location": "New York", "status": "suspended"});
    let (s, n) = admin.call(Method::PATCH, &format!("{base}/numbers/{id}"), t, Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{n}");
    assert_eq!(n["department"], serde_json::Value::Null);
    assert_eq!(n["location"], "New York");
    let (_, suspended) = admin.call(Method::GET, &format!("{base}/numbers?status=suspended"), t, None).await;
    assert_eq!(suspended["data"].as_array().unwrap().len(), 1, "{suspended}");

    // The default number must be active.
    let set = json!({"phone_number": "+18314280176"});
    let (s, e) = admin.call(Method::PUT, &format!("{base}/default-number"), t, Some(set.clone())).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["field"], "phone_number");
    admin.call(Method::PATCH, &format!("{base}/numbers/{id}"), t, Some(json!({"status": "active"}))).await;
    let (s, d) = admin.call(Method::PUT, &format!("{base}/default-number"), t, Some(set)).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (_, d) = admin.call(Method::GET, &format!("{base}/default-number"), t, None).await;
    assert_eq!(d["phone_number"], "+18314280176");
    assert_eq!(d["phone_number_id"], id.as_str());
    let (s, _) = admin.call(Method::GET, &format!("{base}/numbers/{id}"), t, None).await;
    assert_eq!(s, StatusCode::OK);
}

async fn departments_locations_and_defaults(db: Db) {
    let admin = spawn_admin(db).await;
    let (co, token) = admin.company("Acme").await;
    let t = Some(token.as_str());
    let base = format!("/v1/companies/{co}");
    let support = json!({
        "destinations": {"call": "sip:support@pbx.example.com", "message": "https://crm.example.com/hooks/support"},
        "hours": {"time_zone": "America/Los_Angeles",
                  "open": [{"day": "monday", "start": "09:00", "end": "17:00"}],
                  "after_hours": {"call": "+16505555678"}}
    });
    let (s, d) = admin.call(Method::PUT, &format!("{base}/departments/Support"), t, Some(support)).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    assert_eq!(d["hours"]["time_zone"], "America/Los_Angeles");
    let (_, got) = admin.call(Method::GET, &format!("{base}/departments/Support"), t, None).await;
    assert_eq!(got, d);
    let loc = json!({"destinations": {"message": "https://crm.example.com/hooks/sf"}, "area_codes": ["415", "628"]});
    let (s, l) = admin.call(Method::PUT, &format!("{base}/locations/San%20Francisco"), t, Some(loc)).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    let (_, ls) = admin.call(Method::GET, &format!("{base}/locations"), t, None).await;
    assert_eq!(ls["data"][0]["name"], "San Francisco", "{ls}");
    assert_eq!(ls["data"][0]["area_codes"], json!(["415", "628"]));

    let (s, _) = admin.call(Method::DELETE, &format!("{base}/departments/Support"), t, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = admin.call(Method::DELETE, &format!("{base}/departments/Support"), t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = admin.call(Method::DELETE, &format!("{base}/locations/San%20Francisco"), t, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    let (s, r) = admin.call(Method::GET, &format!("{base}/routing"), t, None).await;
    assert_eq!(s, StatusCode::OK);
    let secret = r["forward_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let put = json!({"destinations": {"message": "https://crm.example.com/hooks/all"}, "unrouted_policy": "hangup"});
    let (s, r) = admin.call(Method::PUT, &format!("{base}/routing"), t, Some(put)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["unrouted_policy"], "hangup");
    assert_eq!(r["forward_secret"], secret.as_str(), "the secret survives updates");
}

async fn assignments_opt_outs_and_tokens(db: Db) {
    let admin = spawn_admin(db).await;
    let (co, token) = admin.company("Acme").await;
    let t = Some(token.as_str());
    let base = format!("/v1/companies/{co}");
    admin.number(co, json!({"phone_number": "+18314280176"})).await;
    let (s, a) = admin
        .call(
            Method::PUT,
            &format!("{base}/assignments/+14155550100"),
            t,
            Some(json!({"phone_number": "+18314280176"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["source"], "admin");
    let (_, all) = admin.call(Method::GET, &format!("{base}/assignments"), t, None).await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1, "{all}");
    let (s, e) = admin
        .call(
            Method::PUT,
            &format!("{base}/assignments/+14155550100"),
            t,
            Some(json!({"phone_number": "+19995550000"})),
        )
        .await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone_number")));
    let (s, _) = admin.call(Method::DELETE, &format!("{base}/assignments/+14155550100"), t, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = admin.call(Method::GET, &format!("{base}/assignments/+14155550100"), t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, o) = admin.call(Method::PUT, &format!("{base}/opt-outs/+14155550100"), t, None).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let (_, os) = admin.call(Method::GET, &format!("{base}/opt-outs"), t, None).await;
    assert_eq!(os["data"][0]["customer"], "+14155550100", "{os}");
    let (s, _) = admin.call(Method::DELETE, &format!("{base}/opt-outs/+14155550100"), t, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = admin.call(Method::DELETE, &format!("{base}/opt-outs/+14155550100"), t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // A company manages its own tokens with a `tokens` token; a revoked token stops working.
    let all = json!({"name": "keeper", "scopes": ["read", "send", "admin", "tokens"]});
    let (s, keeper) = admin.op(Method::POST, &format!("{base}/tokens"), Some(all)).await;
    assert_eq!(s, StatusCode::CREATED, "{keeper}");
    let t = keeper["token"].as_str();
    let (s, new) = admin.call(Method::POST, &format!("{base}/tokens"), t, Some(json!({"name": "second"}))).await;
    assert_eq!(s, StatusCode::CREATED);
    let second = new["token"].as_str().unwrap().to_owned();
    let (_, list) = admin.call(Method::GET, &format!("{base}/tokens"), Some(&second), None).await;
    let list = list["data"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|t| t.get("token").is_none() && t.get("token_hash").is_none()));
    let id = new["id"].as_str().unwrap();
    let (s, _) = admin.call(Method::DELETE, &format!("{base}/tokens/{id}"), t, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = admin.call(Method::GET, &format!("{base}/tokens"), Some(&second), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn validation_errors_name_the_field(db: Db) {
    let admin = spawn_admin(db).await;
    let (co, token) = admin.company("Acme").await;
    let t = Some(token.as_str());
    let base = format!("/v1/companies/{co}");
    let cases = [
        (Method::POST, format!("{base}/numbers"), json!({"phone_number": "415"}), "phone_number"),
        (Method::POST, format!("{base}/numbers"), json!({"phone_number": "+14155550100", "features": []}), "features"),
        (
            Method::PUT,
            format!("{base}/departments/Sales"),
            json!({"destinations": {"message": "http://crm.example.com/x"}}),
            "destinations.message",
        ),
        (
            Method::PUT,
            format!("{base}/departments/Sales"),
            json!({"destinations": {"call": "sip:nohost"}}),
            "destinations.call",
        ),
        (
            Method::PUT,
            format!("{base}/departments/Sales"),
            json!({"hours": {"time_zone": "Mars/Olympus", "open": []}}),
            "hours.time_zone",
        ),
        (
            Method::PUT,
            format!("{base}/departments/Sales"),
            json!({"hours": {"time_zone": "UTC", "open": [
                {"day": "monday", "start": "09:00", "end": "12:00"},
                {"day": "monday", "start": "11:00", "end": "13:00"}]}}),
            "hours.open[1]",
        ),
        (
            Method::PUT,
            format!("{base}/departments/Sales"),
            json!({"hours": {"time_zone": "UTC", "open": [{"day": "monday", "start": "9am", "end": "17:00"}]}}),
            "hours.open[0].start",
        ),
        (Method::PUT, format!("{base}/locations/SF"), json!({"area_codes": ["911"]}), "area_codes[0]"),
        (Method::PUT, format!("{base}/assignments/12345"), json!({"phone_number": "+18314280176"}), "customer"),
        (Method::POST, format!("{base}/routing/explain"), json!({"from": "+1415", "to": "x", "kind": "call"}), "to"),
        (Method::PUT, format!("{base}/departments/Sales"), json!({"bogus": 1}), "body"),
    ];
    for (method, path, body, field) in cases {
        let (s, e) = admin.call(method.clone(), &path, t, Some(body.clone())).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{method} {path} {body}: {e}");
        assert_eq!(e["field"], field, "{method} {path} {body}: {e}");
        assert!(e["detail"].as_str().is_some_and(|d| !d.is_empty()), "{e}");
    }
    let (s, e) = admin.op(Method::POST, &format!("{base}/tokens"), Some(json!({"name": ""}))).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::BAD_REQUEST, Some("name")), "{e}");
    let (s, e) = admin.call(Method::GET, &format!("{base}/routing-log?limit=many"), t, None).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")), "{e}");
    let (s, e) = admin.call(Method::GET, "/v1/companies/not-a-uuid/numbers", t, None).await;
    assert_eq!((s, e["status"].as_u64()), (StatusCode::NOT_FOUND, Some(404)), "{e}");
    let (_, e) = admin.call(Method::PUT, &format!("{base}/departments/Sales"), t, Some(json!({"bogus": 1}))).await;
    assert!(e["detail"].as_str().unwrap().contains("unknown field `bogus`"), "{e}");
    let (_, e) =
        admin.call(Method::PUT, &format!("{base}/routing"), t, Some(json!({"destinations": {"fax": "x"}}))).await;
    assert!(e["detail"].as_str().unwrap().contains("unknown field `fax`"), "{e}");
    // A NUL decoded into a path parameter or a query: PostgreSQL refuses it in text (was a 500).
    for (method, path) in [
        (Method::GET, format!("{base}/departments/%00")),
        (Method::DELETE, format!("{base}/locations/a%00b")),
        (Method::GET, format!("{base}/routing-log/ev%00")),
        (Method::GET, format!("{base}/routing-log?phone_number=%00")),
    ] {
        let (s, e) = admin.call(method.clone(), &path, t, None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{method} {path}: {e}");
        assert!(e["detail"].as_str().is_some_and(|d| d.contains("NUL")), "{method} {path}: {e}");
    }
}

async fn routing_log_lists_and_finds_events(db: Db) {
    use switchboard::domain::CompanyId;
    let admin = spawn_admin(db).await;
    let (co, token) = admin.company("Acme").await;
    let t = Some(token.as_str());
    admin.number(co, json!({"phone_number": "+18314280176"})).await;
    // The routing log is written by the ledger with the event's count, as Telnyx delivers it.
    let body = crate::telnyx_events::message_received("ev-1", "+13105550199", &["+18314280176"], &[], "hi");
    for _ in 0..2 {
        assert_eq!(crate::webhooks::post_signed(&admin.app, &body).await.status(), 200);
    }
    let (s, list) = admin.call(Method::GET, &format!("/v1/companies/{co}/routing-log?limit=10"), t, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "a redelivery logs nothing more: {list}");
    assert_eq!(list["data"][0]["event_id"], "ev-1");
    assert_eq!(list["data"][0]["event_type"], "message.received");
    assert_eq!(list["data"][0]["outcome"], "unrouted");
    // Counted but not routed: no log line.
    let sent = crate::telnyx_events::message_sent("ev-2", "+18314280176", "+13105550199");
    assert_eq!(crate::webhooks::post_signed(&admin.app, &sent).await.status(), 200);
    let (_, list) = admin.call(Method::GET, &format!("/v1/companies/{co}/routing-log?limit=10"), t, None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    let (s, one) = admin.call(Method::GET, &format!("/v1/companies/{co}/routing-log/ev-1"), t, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(one[0]["decision"]["matched"]["rule"], "unrouted");
    let (s, _) = admin.call(Method::GET, &format!("/v1/companies/{co}/routing-log/nope"), t, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, e) = admin.call(Method::GET, &format!("/v1/companies/{co}/routing-log?limit=0"), t, None).await;
    assert_eq!((s, e["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")));

    // The outbox view of the same company.
    let item = switchboard::ledger::outbox_item::OutboxItem::call_hangup(CompanyId::from_uuid(co), "ev-1", "cc-1");
    admin.app.store.insert_outbox_items(&[item]).await.unwrap();
    let (s, rows) = admin.call(Method::GET, &format!("/v1/companies/{co}/outbox"), t, None).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    assert_eq!(rows["data"][0]["kind"], "call_hangup");
    assert_eq!(rows["data"][0]["status"], "pending");
    assert_eq!(rows["data"][0]["destination"], "cc-1");
}
