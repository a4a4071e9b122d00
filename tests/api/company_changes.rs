//! Company data changes through one front door that writes and announces together: a running
//! company actor, on this node and on every other node, routes the next event by the change.
use serde_json::{json, Value};
use switchboard::demo::{self, load_demo_routing, DEMO_COMPANY_ID};
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::routing::{Destinations, UnroutedPolicy};
use switchboard::store::changes::{Announcement, Change};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::backend_tests;
use crate::helpers::{spawn_app, start, test_settings, within, Db, TestApp, TestDb};
use crate::provisioning::{post, tweak};
use crate::telnyx_events::*;
use crate::webhooks::{base64_32, post_signed};

backend_tests!(an_outbound_assignment_reaches_the_running_actor);

const SUPPORT: &str = "+14155551234";
const LOS_ANGELES: &str = "+12135550002";
/// A customer with no assignment in the demo data.
const NEW_CUSTOMER: &str = "+13035550142";

async fn telnyx() -> MockServer {
    let telnyx = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "msg-1"}})))
        .mount(&telnyx)
        .await;
    telnyx
}

/// The demo company, provisioned (a messaging profile), on a node that verifies with the test key.
async fn node(db: TestDb, telnyx: &MockServer) -> TestApp {
    let mut settings = test_settings(&db.url);
    tweak(&mut settings, telnyx);
    settings.telnyx.public_key = Some(base64_32(&public_key_b64()));
    start(settings, db).await
}

async fn load_demo(app: &TestApp) {
    demo::load(app.store.as_ref()).await.unwrap();
    load_demo_routing(app.store.as_ref(), DEMO_COMPANY_ID).await.unwrap();
    let mut settings = app.store.get_settings(DEMO_COMPANY_ID).await.unwrap();
    settings.messaging_profile_id = Some("prof-1".into());
    app.directory.put_settings(DEMO_COMPANY_ID, &settings).await.unwrap();
    app.directory.refresh(DEMO_COMPANY_ID, Change::Numbers).await;
}

/// An inbound call from `NEW_CUSTOMER` to Support through `app`; the routing decision it logged.
async fn call_support(app: &TestApp, id: &str) -> Value {
    let body = call_initiated(id, NEW_CUSTOMER, SUPPORT, "incoming");
    assert_eq!(post_signed(app, &body).await.status(), 200);
    let log = app.store.get_routing_log(DEMO_COMPANY_ID, id).await.unwrap();
    assert_eq!(log.len(), 1, "one routing log line for {id}");
    log[0].decision.clone()
}

async fn send_from_los_angeles(app: &TestApp) {
    let res = post(
        app,
        &format!("/v1/companies/{DEMO_COMPANY_ID}/messages"),
        json!({"to": NEW_CUSTOMER, "text": "hello", "from": LOS_ANGELES}),
    )
    .await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap_or_default());
}

async fn an_outbound_assignment_reaches_the_running_actor(db: Db) {
    let telnyx = telnyx().await;
    let app = node(TestDb::new(db).await, &telnyx).await;
    load_demo(&app).await;
    // The company's actor runs, and routes the customer by Support's department.
    let before = call_support(&app, "warm-call").await;
    assert_eq!(before["matched"]["name"], "Support", "{before}");
    // A first contact from an explicit number makes the customer sticky to it...
    send_from_los_angeles(&app).await;
    // ...and the running actor routes the customer's next call by that assignment.
    let after = call_support(&app, "next-call").await;
    assert_eq!(after["via_assignment"], LOS_ANGELES, "{after}");
    assert_eq!(after["matched"]["name"], "Los Angeles", "{after}");
}

#[actix_web::test]
async fn an_assignment_made_through_node_a_reaches_node_bs_running_actor() {
    let telnyx = telnyx().await;
    let db = TestDb::new(Db::Postgres).await;
    let url = db.url.clone();
    let a = node(db, &telnyx).await;
    let b = node(TestDb::borrowed(&url), &telnyx).await;
    load_demo(&a).await;
    // Node B learns the demo numbers (through the database's announcements, or the database
    // itself when an event names a number its index does not know), and its actor runs.
    let before = call_support(&b, "b-warm-call").await;
    assert_eq!(before["matched"]["name"], "Support", "{before}");
    // The send through node A writes the assignment; the database announces it to node B.
    let mut announcements = b.announcements.clone();
    send_from_los_angeles(&a).await;
    let expected =
        Announcement::Changed(DEMO_COMPANY_ID, Change::Assignment(PhoneNumber::parse(NEW_CUSTOMER).unwrap()));
    within("node B applies the assignment", announcements.wait_for(|(_, last)| last.as_ref() == Some(&expected)))
        .await
        .expect("node B listens");
    let after = call_support(&b, "b-next-call").await;
    assert_eq!(after["via_assignment"], LOS_ANGELES, "{after}");
    assert_eq!(after["matched"]["name"], "Los Angeles", "{after}");
}

/// A company's first load creates its routing row (its forward secret) without announcing it: every
/// node that holds the company read that very row, so none has to load it again. A row created
/// with a destination or a policy is announced, and so is every change of a row.
#[actix_web::test]
async fn a_companys_first_load_is_not_announced() {
    let app = spawn_app(Db::Postgres).await;
    let (quiet, loud) = (CompanyId::new(), CompanyId::new());
    app.store.create_company(quiet, "Quiet").await.unwrap();
    app.store.create_company(loud, "Loud").await.unwrap();
    let mut seen = app.announcements.clone();
    let loud_rules = Announcement::Changed(loud, Change::Rules);
    // Loud's row, created with a policy: announced.
    app.directory.put_routing_defaults(loud, &Destinations::default(), UnroutedPolicy::Hangup).await.unwrap();
    let applied = within("loud's new row is announced", seen.wait_for(|(_, last)| last.as_ref() == Some(&loud_rules)))
        .await
        .expect("the node listens")
        .0;
    // Quiet's first load creates its row...
    let created = app.store.get_routing_defaults(quiet).await.unwrap();
    assert_eq!(app.store.get_routing_defaults(quiet).await.unwrap().forward_secret, created.forward_secret);
    // ...then a change of loud's row, announced after anything quiet's insert announced.
    app.directory.put_routing_defaults(loud, &Destinations::default(), UnroutedPolicy::Ignore).await.unwrap();
    let after = within(
        "loud's change is announced",
        seen.wait_for(|(n, last)| *n > applied && last.as_ref() == Some(&loud_rules)),
    )
    .await
    .expect("the node listens")
    .0;
    assert_eq!(after - applied, 1, "only loud's change was announced, not quiet's new row");
}
