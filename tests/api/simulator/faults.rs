//! Faults on demand: 429 with Retry-After (retried by the client), 5xx, a failure after the order
//! was placed, delays and hangs (client timeouts).
use std::time::Duration;

use reqwest::Method;
use switchboard::domain::PhoneNumber;
use switchboard::telnyx::client::{NumberOrderRequest, PhoneNumberFilter, TelnyxError};

use super::{client, client_with, raw};
use crate::telnyx_sim::{Fault, TelnyxSim};

#[actix_web::test]
async fn rate_limits_answer_429_with_retry_after_and_the_client_retries() {
    let sim = TelnyxSim::start().await;
    sim.fail_next("GET /phone_numbers", Fault::RateLimited { retry_after_secs: 7 });
    let resp = reqwest::Client::new()
        .get(sim.base_url().join("phone_numbers").expect("url"))
        .bearer_auth("KEY")
        .send()
        .await
        .expect("answer");
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("7"));
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["errors"][0]["code"], "10011");

    sim.fail_next("GET /phone_numbers", Fault::RateLimited { retry_after_secs: 1 });
    sim.fail_next("GET /phone_numbers", Fault::Status(503));
    client(&sim).list_phone_numbers(&PhoneNumberFilter::default()).await.expect("retried to success");
    let statuses: Vec<u16> = sim.requests_to("GET /phone_numbers").iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 503, 200]);
}

#[actix_web::test]
async fn a_500_after_the_order_was_placed_still_created_the_order() {
    let sim = TelnyxSim::start().await;
    let number = sim.add_available_numbers("US", "415", 1).remove(0);
    sim.fail_next("POST /number_orders", Fault::FailAfterEffect(500));
    let order = NumberOrderRequest {
        phone_numbers: vec![PhoneNumber::parse(&number).expect("e164")],
        connection_id: None,
        messaging_profile_id: None,
        customer_reference: Some("job-1".into()),
    };
    let err = client(&sim).create_number_order(&order).await.expect_err("500");
    assert!(err.is_ambiguous(), "{err}");
    let orders = sim.orders();
    assert_eq!(orders.len(), 1, "the order went through despite the 500");
    assert_eq!(orders[0].customer_reference.as_deref(), Some("job-1"));
    assert_eq!(sim.owned_numbers()[0].status, "active");
    assert_eq!(sim.requests_to("POST /number_orders").len(), 1, "an ambiguous order is not repeated blindly");
}

#[actix_web::test]
async fn delays_and_hangs_time_the_client_out() {
    let sim = TelnyxSim::start().await;
    let impatient = client_with(&sim, Duration::from_millis(300), 0);
    sim.fail_next("GET /number_orders/{number_order_id}", Fault::Delay(Duration::from_secs(2)));
    let err = impatient.get_number_order("o-1").await.expect_err("delayed past the timeout");
    assert!(matches!(err, TelnyxError::Timeout { .. }), "{err}");
    sim.fail_next("GET /number_orders/{number_order_id}", Fault::Hang);
    let err = impatient.get_number_order("o-1").await.expect_err("never answered");
    assert!(matches!(err, TelnyxError::Timeout { .. }), "{err}");
    // Without a fault: an unknown order is a 404.
    let (status, body) = raw(&sim, Method::GET, "number_orders/o-1", None).await;
    assert_eq!((status, body["errors"][0]["code"].as_str()), (404, Some("10005")));
}
