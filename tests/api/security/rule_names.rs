//! Rule names are read the way they are written (issue 19, finding 6): `PUT .../%20Support%20`
//! stores "Support", so GET and DELETE on the same path reach it (they answered 404 before), and
//! a name that could not be written names nothing.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::admin_support::spawn_admin;
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(a_rule_name_is_normalised_on_write_read_and_delete);

async fn a_rule_name_is_normalised_on_write_read_and_delete(db: Db) {
    let admin = spawn_admin(db).await;
    let (co, token) = admin.company("Acme").await;
    let t = Some(token.as_str());
    for kind in ["departments", "locations"] {
        let padded = format!("/v1/companies/{co}/{kind}/%20Support%20");
        let body = json!({"destinations": {"call": "+16505550100"}});
        let (s, put) = admin.call(Method::PUT, &padded, t, Some(body)).await;
        assert_eq!((s, put["name"].as_str()), (StatusCode::OK, Some("Support")), "{kind}: {put}");
        let (s, got) = admin.call(Method::GET, &padded, t, None).await;
        assert_eq!((s, got["name"].as_str()), (StatusCode::OK, Some("Support")), "{kind}: {got}");
        let (s, listed) = admin.call(Method::GET, &format!("/v1/companies/{co}/{kind}"), t, None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(listed["data"].as_array().map(Vec::len), Some(1), "{kind}: one rule, not two: {listed}");
        let (s, _) = admin.call(Method::DELETE, &padded, t, None).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{kind}");
        let (s, _) = admin.call(Method::GET, &format!("/v1/companies/{co}/{kind}/Support"), t, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{kind}: deleted through the padded path");
        // A blank name cannot be written (400 naming it), so it names nothing to read or delete.
        let blank = format!("/v1/companies/{co}/{kind}/%20%20");
        let (s, problem) = admin.call(Method::PUT, &blank, t, Some(json!({"destinations": {}}))).await;
        assert_eq!((s, problem["field"].as_str()), (StatusCode::BAD_REQUEST, Some("name")), "{kind}: {problem}");
        for method in [Method::GET, Method::DELETE] {
            let (s, problem) = admin.call(method.clone(), &blank, t, None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{kind} {method}: {problem}");
        }
    }
}
