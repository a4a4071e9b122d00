//! A company token cannot take a number it cannot prove is the account's, nor one another company
//! released within the hold period (its last owner can take it back; the operator reassigns). The
//! refusal does not say who holds the number.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::admin_support::spawn_admin;
use crate::backend_tests;
use crate::helpers::Db;

backend_tests!(company_tokens_cannot_squat_numbers);

async fn company_tokens_cannot_squat_numbers(db: Db) {
    let admin = spawn_admin(db).await;
    let (acme, acme_token) = admin.company("Acme").await;
    let (bravo, bravo_token) = admin.company("Bravo").await;
    let admin = &admin;
    let register = |co, token: &str| {
        let path = format!("/v1/companies/{co}/numbers");
        let token = token.to_owned();
        async move { admin.call(Method::POST, &path, Some(&token), Some(json!({"phone_number": "+14155550123"}))).await }
    };
    // No proof the account holds it (Acme is not provisioned): refused, nothing stored.
    let (status, problem) = register(acme, &acme_token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "phone_number");
    let (_, numbers) = admin.op(Method::GET, &format!("/v1/companies/{acme}/numbers"), None).await;
    assert_eq!(numbers["data"], json!([]));

    // The operator registers it for Bravo; Bravo releases it.
    let n = admin.number(bravo, json!({"phone_number": "+14155550123"})).await;
    let number_path = format!("/v1/companies/{bravo}/numbers/{}", n["id"].as_str().unwrap());
    let (status, _) =
        admin.call(Method::PATCH, &number_path, Some(&bravo_token), Some(json!({"status": "deleted"}))).await;
    assert_eq!(status, StatusCode::OK);
    // Within the hold period Acme's token cannot take it, and is not told who held it.
    let (status, problem) = register(acme, &acme_token).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(!problem.to_string().contains(&bravo.to_string()) && !problem.to_string().contains("Bravo"), "{problem}");
    // Bravo takes it back.
    let (status, back) =
        admin.call(Method::PATCH, &number_path, Some(&bravo_token), Some(json!({"status": "active"}))).await;
    assert_eq!((status, back["status"].as_str()), (StatusCode::OK, Some("active")), "{back}");
    // The operator reassigns explicitly: released again, then registered for Acme at once.
    admin.op(Method::PATCH, &number_path, Some(json!({"status": "deleted"}))).await;
    let (status, moved) = admin
        .op(Method::POST, &format!("/v1/companies/{acme}/numbers"), Some(json!({"phone_number": "+14155550123"})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
}
