//! Numbers a provisioning job is about to buy are reserved for its company from the search on
//! (issue 19): while the order is pending, the number is already in the shared Telnyx account,
//! and before reservations another company's token could register it there (the account "holds"
//! it), leaving the buying job to fail after paying. The refusal does not say who is buying it.
use reqwest::StatusCode;
use serde_json::{json, Value};
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::store::NumberFilter;
use uuid::Uuid;

use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::provisioning::{finished, post};
use crate::provisioning_sim::{app_on, company, provision};
use crate::telnyx_sim::TelnyxSim;

backend_tests!(a_number_being_bought_cannot_be_registered_by_another_company, a_reservation_holds_until_it_expires);

async fn token(app: &TestApp, co: CompanyId) -> String {
    let res = post(app, &format!("/v1/companies/{co}/tokens"), json!({"name": "crm"})).await;
    let t: Value = res.json().await.expect("token");
    t["token"].as_str().expect("token").to_owned()
}

async fn register(app: &TestApp, co: CompanyId, token: &str, number: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .post(format!("{}/v1/companies/{co}/numbers", app.address))
        .bearer_auth(token)
        .json(&json!({"phone_number": number}))
        .send()
        .await
        .expect("register");
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn a_number_being_bought_cannot_be_registered_by_another_company(db: Db) {
    let sim = TelnyxSim::start().await;
    sim.add_available_numbers("US", "415", 1);
    sim.add_available_numbers("US", "650", 1);
    let app = app_on(&sim, db, |_| {}).await;
    let (acme, bravo) = (company(&app).await, company(&app).await);
    assert_eq!(provision(&app, acme, json!({"area_code": "415"})).await["state"], "done");
    assert_eq!(provision(&app, bravo, json!({"area_code": "650"})).await["state"], "done");
    let bravo_token = token(&app, bravo).await;

    // Acme buys one more; its order stays pending, so the number sits in the account unstored.
    let wanted = sim.add_available_numbers("US", "415", 1).pop().expect("number");
    sim.set_auto_complete_orders(false);
    let res =
        post(&app, &format!("/v1/companies/{acme}/numbers/purchase"), json!({"quantity": 1, "area_code": "415"})).await;
    let location = crate::provisioning::job_location(res).await;
    sim.wait_for_request(|r| {
        r.is("POST /number_orders") && r.body.as_ref().is_some_and(|b| b.to_string().contains(&wanted))
    })
    .await;
    assert!(sim.owned_numbers().iter().any(|o| o.phone_number == wanted), "the account holds it already");

    // Bravo's token cannot take it, and is not told who is buying it; nor can the operator move it.
    let (status, problem) = register(&app, bravo, &bravo_token, &wanted).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let text = problem.to_string();
    assert!(!text.contains(&acme.to_string()) && !text.contains("purchase job"), "{problem}");
    let (status, problem) = register(&app, bravo, crate::provisioning::OPERATOR, &wanted).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // The order completes: Acme's job stores the number, and the reservation has ended.
    let order = sim.orders().into_iter().find(|o| o.lines.iter().any(|l| l.phone_number == wanted)).expect("order");
    sim.complete_order(&order.id, true);
    sim.notify_order(&order.id).await;
    let job = finished(&app, &location).await;
    assert_eq!(job["state"], "done", "{job}");
    let acme_numbers = app.store.list_numbers(acme, NumberFilter::default()).await.expect("numbers");
    assert!(acme_numbers.iter().any(|n| n.phone_number.as_str() == wanted), "stored for the buyer");
    let phone = PhoneNumber::parse(&wanted).expect("e164");
    let now = chrono::Utc::now().timestamp();
    assert_eq!(app.store.reserved_for(&phone, now).await.expect("reserved_for"), None);
    let bravo_numbers = app.store.list_numbers(bravo, NumberFilter::default()).await.expect("numbers");
    assert!(!bravo_numbers.iter().any(|n| n.phone_number.as_str() == wanted));
}

async fn a_reservation_holds_until_it_expires(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on(&sim, db, |_| {}).await;
    let (acme, bravo) = (company(&app).await, company(&app).await);
    let number = PhoneNumber::parse("+14155550177").expect("e164");
    let (job_a, job_b) = (Uuid::new_v4(), Uuid::new_v4());
    let store = &app.store;
    assert!(store.reserve_number(acme, job_a, &number, 1_000, 2_000).await.expect("reserve"));
    // Another company's search passes over it; the same company renews it.
    assert!(!store.reserve_number(bravo, job_b, &number, 1_500, 2_500).await.expect("reserve"));
    assert!(store.reserve_number(acme, job_a, &number, 1_500, 3_000).await.expect("renew"));
    assert_eq!(store.reserved_for(&number, 2_999).await.expect("reserved_for"), Some(acme));
    // Once expired, it is free for another company.
    assert_eq!(store.reserved_for(&number, 3_000).await.expect("reserved_for"), None);
    assert!(store.reserve_number(bravo, job_b, &number, 3_000, 4_000).await.expect("reserve"));
    // Releasing is by the job that holds it: another job's release changes nothing.
    store.release_number(job_a, &number).await.expect("release");
    assert_eq!(store.reserved_for(&number, 3_500).await.expect("reserved_for"), Some(bravo));
    store.release_number(job_b, &number).await.expect("release");
    assert_eq!(store.reserved_for(&number, 3_500).await.expect("reserved_for"), None);
}
