//! Numbers: search per area code (with best effort), order pending -> success, owned numbers
//! listed and attached to a messaging profile and an application.
use reqwest::Method;
use switchboard::domain::{Feature, Features, PhoneNumber};
use switchboard::telnyx::client::{AvailableNumberSearch, CountryCode, NumberOrderRequest, OrderStatus};

use super::{client, raw};
use crate::telnyx_sim::TelnyxSim;

fn search(ndc: &str, limit: u32) -> AvailableNumberSearch {
    AvailableNumberSearch {
        country_code: CountryCode::US,
        national_destination_code: Some(ndc.into()),
        features: Features::NONE.with(Feature::Sms).with(Feature::Voice),
        limit: Some(limit),
    }
}

#[actix_web::test]
async fn search_answers_the_area_code_and_best_effort_adds_others() {
    let sim = TelnyxSim::start().await;
    let telnyx = client(&sim);
    let local = sim.add_available_numbers("US", "415", 3);
    sim.add_available_numbers("US", "212", 5);
    sim.add_available_numbers("CA", "416", 5);

    let found = telnyx.search_available_numbers(&search("415", 5)).await.expect("search");
    let numbers: Vec<&str> = found.iter().map(|n| n.phone_number.as_str()).collect();
    assert_eq!(numbers, local.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(found.iter().all(|n| n.features.contains(Feature::Sms)));

    let query = "available_phone_numbers?filter[country_code]=US&filter[national_destination_code]=415&filter[limit]=5&filter[best_effort]=true";
    let (status, body) = raw(&sim, Method::GET, query, None).await;
    assert_eq!(status, 200);
    let data = body["data"].as_array().expect("data");
    assert_eq!(data.len(), 5);
    assert_eq!(body["meta"]["best_effort_results"], 2);
    let extra: Vec<&str> =
        data.iter().filter(|n| n["best_effort"] == true).filter_map(|n| n["phone_number"].as_str()).collect();
    assert!(extra.iter().all(|n| n.starts_with("+1212")), "best effort stays in the country: {extra:?}");
    // exact_search turns best effort off.
    let (_, exact) = raw(&sim, Method::GET, &format!("{query}&filter[exact_search]=true"), None).await;
    assert_eq!(exact["data"].as_array().map(Vec::len), Some(3));
    // exact_search is not a parameter of the spec's filter object, which allows extra keys.
    sim.assert_no_violations();
}

#[actix_web::test]
async fn an_order_goes_pending_then_success_and_its_number_is_listed_and_attached() {
    let sim = TelnyxSim::start().await;
    let telnyx = client(&sim);
    sim.set_auto_complete_orders(false);
    let number = sim.add_available_numbers("US", "415", 1).remove(0);
    let order = NumberOrderRequest {
        phone_numbers: vec![PhoneNumber::parse(&number).expect("e164")],
        connection_id: None,
        messaging_profile_id: Some("prof-1".into()),
        customer_reference: Some("job-7".into()),
    };
    let placed = telnyx.create_number_order(&order).await.expect("order");
    assert_eq!(placed.status, OrderStatus::Pending);
    assert_eq!(placed.customer_reference.as_deref(), Some("job-7"));
    assert_eq!(telnyx.get_number_order(&placed.id).await.expect("get").status, OrderStatus::Pending);
    assert!(
        telnyx.search_available_numbers(&search("415", 5)).await.expect("search").is_empty(),
        "ordered numbers leave the pool"
    );

    let digits = number.trim_start_matches('+');
    let (_, pending) = raw(&sim, Method::GET, &format!("phone_numbers?filter[phone_number]={digits}"), None).await;
    assert_eq!(pending["data"][0]["status"], "purchase-pending");

    sim.complete_order(&placed.id, true);
    let done = telnyx.get_number_order(&placed.id).await.expect("get");
    assert_eq!((done.status, done.phone_numbers[0].status), (OrderStatus::Success, OrderStatus::Success));
    let (_, listed) =
        raw(&sim, Method::GET, &format!("phone_numbers?filter[phone_number]={digits}&page[size]=10"), None).await;
    assert_eq!(listed["data"][0]["status"], "active");
    assert_eq!(listed["data"][0]["messaging_profile_id"], "prof-1");
    assert_eq!(listed["meta"]["total_results"], 1);
    // As the spec says, a filter with `+` matches nothing (switchboard's client sends one).
    let (_, plus) = raw(&sim, Method::GET, "phone_numbers?filter[phone_number]=%2B14155550001", None).await;
    assert_eq!(plus["data"].as_array().map(Vec::len), Some(0));

    let id = listed["data"][0]["id"].as_str().expect("id").to_owned();
    telnyx.update_number_messaging(&id, "prof-2").await.expect("messaging");
    telnyx.update_number_connection(&id, "1494404757140276001").await.expect("connection");
    let owned = sim.owned_numbers().into_iter().find(|n| n.id == id).expect("owned");
    assert_eq!(owned.messaging_profile_id.as_deref(), Some("prof-2"));
    assert_eq!(owned.connection_id.as_deref(), Some("1494404757140276001"));

    let refused = telnyx.create_number_order(&order).await.expect_err("the number is gone");
    assert_eq!(super::error_code(&refused).map(|(s, _)| s), Some(422));
}
