//! A company cannot send its calls to a number another company on the same Telnyx account holds
//! (a transfer, a dial or a destination): 400 naming the field, without naming the holder.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::admin_support::spawn_admin;
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(another_companys_number_is_refused_as_a_call_target);

async fn another_companys_number_is_refused_as_a_call_target(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, acme_token) = admin.company("Acme").await;
    let (other, _) = admin.company("Other").await;
    admin.number(other, json!({"phone_number": "+12125550003"})).await;
    admin.number(acme, json!({"phone_number": "+18314280176"})).await;
    let t = Some(acme_token.as_str());
    let at = |p: &str| format!("/v1/companies/{acme}{p}");
    let cases = [
        (Method::PUT, at("/departments/Sales"), json!({"destinations": {"call": "+12125550003"}}), "destinations.call"),
        (
            Method::PUT,
            at("/locations/NY"),
            json!({"hours": {"time_zone": "UTC", "open": [], "after_hours": {"call": "+12125550003"}}}),
            "hours.after_hours.call",
        ),
        (Method::PUT, at("/routing"), json!({"destinations": {"call": "+12125550003"}}), "destinations.call"),
        (
            Method::PUT,
            at("/departments/Sales"),
            json!({"destinations": {"call": [{"targets": ["+16505550100"]}, {"targets": ["sip:a@b.example.com", "+12125550003"]}]}}),
            "destinations.call.steps[1].targets[1]",
        ),
        (Method::POST, at("/calls"), json!({"to": "+12125550003"}), "to"),
    ];
    for (method, path, body, field) in cases {
        let (status, problem) = admin.call(method.clone(), &path, t, Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {problem}");
        assert_eq!(problem["field"], field, "{method} {path}: {problem}");
        assert!(!problem.to_string().contains(&other.to_string()), "the holder is not named: {problem}");
    }
    // Its own numbers, and numbers outside the account, are fine.
    for call in ["+18314280176", "+16505550100"] {
        let (status, body) =
            admin.call(Method::PUT, &at("/departments/Sales"), t, Some(json!({"destinations": {"call": call}}))).await;
        assert_eq!(status, StatusCode::OK, "{call}: {body}");
    }
}
