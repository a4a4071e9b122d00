//! Two nodes on one PostgreSQL database under load: each event goes to a random node, duplicates
//! to both at once, and meanwhile every customer's first outbound contact is sent concurrently to
//! both nodes (with different explicit senders, and without one). At the end the counters equal
//! the distinct events sent, each customer has exactly one sticky assignment (created by an
//! outbound contact, none by the inbound events), and later sends from either node use it.
use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::{json, Value};
use switchboard::store::{CompanySettings, NumberFilter};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::load::{tenant, Tenant};
use super::sender::{EventFn, Sender, SenderConfig};
use super::sizes::Sizes;
use super::{counted, report};
use crate::helpers::{start, test_settings, Db, TestApp, TestDb};
use crate::provisioning::{post, tweak};
use crate::telnyx_events::{call_initiated, message_received, signing_key};

#[actix_web::test]
async fn two_nodes_count_exactly_and_give_each_customer_one_sticky_assignment() {
    // Arrange: the company exists before the nodes start, so both load its numbers.
    let sizes = Sizes::from_env();
    let seed = Sizes::seed();
    println!("reliability seed: two_nodes seed={seed} (replay with SWITCHBOARD_RELIABILITY_SEED={seed})");
    let db = TestDb::new(Db::Postgres).await;
    let tenant = tenant(&db.url).await;
    provision(&tenant).await;
    let telnyx = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "msg-1"}})))
        .mount(&telnyx)
        .await;
    let mut settings = test_settings(&db.url);
    tweak(&mut settings, &telnyx);
    settings.telnyx.public_key = Some(signing_key().verifying_key().to_bytes());
    let url = db.url.clone();
    let a = start(settings.clone(), db).await;
    let b = start(settings, TestDb::borrowed(&url)).await;
    let customers: Vec<String> = (0..sizes.customers)
        // Half share the numbers' area code (local presence), half do not (the default number).
        .map(|c| if c % 2 == 0 { format!("+1415666{c:04}") } else { format!("+1206666{c:04}") })
        .collect();

    // Act: the webhook load on both nodes, and the first contacts racing on both nodes meanwhile.
    let config = SenderConfig {
        targets: vec![a.address.clone(), b.address.clone()],
        connections: sizes.connections,
        rate: sizes.rate,
        min_events: sizes.events,
        duplicate_share: sizes.duplicate_share,
        seed,
    };
    let sender = Sender::start(config, inbound_events(&tenant.numbers, &customers));
    let first_contacts = join_all(customers.iter().enumerate().map(|(c, customer)| {
        let (mine, theirs) = (&tenant.numbers[c % 10], &tenant.numbers[(c + 1) % 10]);
        let (a, b, tenant) = (&a, &b, &tenant);
        async move {
            let sends = [
                send(a, tenant, json!({"to": customer, "text": "hi", "from": mine})),
                send(b, tenant, json!({"to": customer, "text": "hi", "from": theirs})),
                send(a, tenant, json!({"to": customer, "text": "hi"})),
                send(b, tenant, json!({"to": customer, "text": "hi"})),
            ];
            join_all(sends).await
        }
    }))
    .await;
    let figures = sender.finish(sizes.drain_bound).await;

    // Assert
    let total = counted(&tenant.store, tenant.company).await;
    let assignments: BTreeMap<String, (String, String)> = tenant
        .store
        .list_assignments(tenant.company)
        .await
        .expect("assignments")
        .into_iter()
        .map(|a| (a.customer.to_string(), (a.phone_number.to_string(), a.source.as_str().to_owned())))
        .collect();
    // First contacts that went out from a number other than the one that stuck: explicit senders
    // that lost the race may (the caller named its number); sends without `from` claim before
    // sending, so every one of them went out from the number that stuck.
    let (mut explicit_off, mut unpinned_off) = (0, 0);
    for (customer, answers) in customers.iter().zip(&first_contacts) {
        let (assigned, source) = assignments.get(customer).unwrap_or_else(|| panic!("{customer} has no assignment"));
        assert_eq!(source, "outbound", "{customer}'s assignment was not made by an outbound first contact");
        assert!(tenant.numbers.contains(assigned));
        for answer in answers {
            assert_eq!(answer["status"], "queued", "a first contact failed: {answer}");
            if answer["from"] != json!(assigned) {
                if answer["reason"] == "explicit" {
                    explicit_off += 1;
                } else {
                    unpinned_off += 1;
                }
            }
        }
        // Sticky: later sends from either node go out from the assigned number.
        for node in [&a, &b] {
            let later = send(node, &tenant, json!({"to": customer, "text": "again"})).await;
            assert_eq!(later["reason"], "assigned", "{later}");
            assert_eq!(later["from"], json!(assigned), "{customer}: {later}");
        }
    }
    report(
        "two_nodes backend=Postgres",
        &[
            ("seed", &seed),
            ("events_sent", &figures.sent),
            ("acknowledged", &figures.acknowledged),
            ("counted", &total),
            ("duplicated_to_both", &figures.duplicated),
            ("answered_503", &figures.answered_503),
            ("customers", &customers.len()),
            ("assignments", &assignments.len()),
            ("first_contacts", &(customers.len() * 4)),
            ("explicit_first_contacts_from_another_number", &explicit_off),
            ("unpinned_first_contacts_from_another_number", &unpinned_off),
        ],
    );
    assert_eq!(assignments.len(), customers.len(), "one assignment per customer, and none for anyone else");
    assert_eq!(unpinned_off, 0, "a first contact without `from` went out from a number that did not stick");
    assert_eq!(figures.rejected, 0);
    assert_eq!(figures.acknowledged, figures.sent);
    assert_eq!(total, figures.sent as i64, "the counters differ from the distinct events sent");
}

/// A messaging profile and a default outbound number (the lowest), so outbound sends work.
async fn provision(tenant: &Tenant) {
    let numbers = tenant.store.list_numbers(tenant.company, NumberFilter::default()).await.expect("numbers");
    let default = numbers.iter().min_by_key(|n| n.phone_number.to_string()).expect("a number");
    let settings = CompanySettings {
        messaging_profile_id: Some("prof-1".into()),
        default_outbound_number: Some(default.phone_number.clone()),
        default_outbound_number_id: Some(default.id),
        ..Default::default()
    };
    tenant.store.put_settings(tenant.company, &settings).await.expect("settings");
}

/// Inbound messages and calls from the customers to the company's numbers (one counter each).
fn inbound_events(numbers: &[String], customers: &[String]) -> EventFn {
    let (numbers, customers) = (numbers.to_vec(), customers.to_vec());
    std::sync::Arc::new(move |i| {
        let id = format!("nodes-{i}");
        let (n, customer) = (numbers[i % numbers.len()].as_str(), customers[i % customers.len()].as_str());
        if i % 2 == 0 {
            message_received(&id, customer, &[n], &[], "hi")
        } else {
            call_initiated(&id, customer, n, "incoming")
        }
    })
}

async fn send(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let res = post(app, &format!("/v1/companies/{}/messages", tenant.company), body).await;
    res.json().await.expect("json answer")
}
