//! RulesStore and OutboxStore on both backends: concurrent assignment claims agree, opt-outs,
//! load_company_routing and load_customer_routing, outbox items that survive a daemon restart, and
//! what a delivered item keeps.
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::ledger::outbox_item::OutboxItem;
use switchboard::ledger::side_effects::ForwardedMessage;
use switchboard::outbox::OutboxWorker;
use switchboard::routing::{MatchedRule, MessageDestination, RoutingDecision};
use switchboard::store::rules::AssignmentSource;
use switchboard::store::NewNumber;
use switchboard::telnyx::api::TelnyxApi;
use tokio::sync::Notify;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::admin_support::eventually;
use crate::backend_tests;
use crate::helpers::{spawn_app, start, test_settings, Db};

backend_tests!(
    concurrent_claims_agree_on_one_assignment,
    opt_outs_and_company_routing,
    outbox_survives_a_restart,
    a_delivered_forward_keeps_no_body_and_a_call_command_keeps_its_parameters
);

fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

async fn concurrent_claims_agree_on_one_assignment(db: Db) {
    let app = spawn_app(db).await;
    let co = CompanyId::new();
    app.store.create_company(co, "Acme").await.unwrap();
    let mut numbers = Vec::new();
    for n in ["+18314280176", "+14155551234", "+16505555678", "+12125550003"] {
        numbers.push(app.store.insert_number(&NewNumber::new(co, phone(n))).await.unwrap());
    }
    let customer = phone("+14155550100");
    let claims = numbers.iter().map(|n| {
        let (store, customer) = (app.store.clone(), customer.clone());
        let (id, number) = (n.id, n.phone_number.clone());
        tokio::spawn(async move {
            store.claim_assignment(co, &customer, id, &number, AssignmentSource::Outbound).await.unwrap()
        })
    });
    let winners: Vec<_> = futures::future::join_all(claims).await.into_iter().map(Result::unwrap).collect();
    assert!(winners.iter().all(|w| w == &winners[0]), "{winners:?}");
    assert_eq!(winners[0].source, AssignmentSource::Outbound);
    assert_eq!(app.store.list_assignments(co).await.unwrap().len(), 1);
}

async fn opt_outs_and_company_routing(db: Db) {
    let app = spawn_app(db).await;
    let co = CompanyId::new();
    app.store.create_company(co, "Acme").await.unwrap();
    let c = phone("+14155550100");
    assert!(!app.store.is_opted_out(co, &c).await.unwrap());
    assert_eq!(app.store.add_opt_out(co, &c, "STOP").await.unwrap().keyword, "STOP");
    assert_eq!(app.store.add_opt_out(co, &c, "QUIT").await.unwrap().keyword, "STOP", "the first keyword stays");
    assert!(app.store.is_opted_out(co, &c).await.unwrap());
    let n = app.store.insert_number(&NewNumber::new(co, phone("+18314280176"))).await.unwrap();
    app.store.set_assignment(co, &c, n.id, &n.phone_number).await.unwrap();
    let routing = app.store.load_company_routing(co).await.unwrap();
    assert!(!routing.is_opted_out(&c), "company actors do not hold opt-outs; sends read them per customer");
    assert_eq!(routing.assignment(&c), Some(&n.phone_number));
    assert!(routing.number(&n.phone_number).is_some());
    // One customer's view: their assignment and opt-out, nobody else's.
    let d = phone("+14155550101");
    app.store.set_assignment(co, &d, n.id, &n.phone_number).await.unwrap();
    app.store.add_opt_out(co, &d, "STOP").await.unwrap();
    let mine = app.store.load_customer_routing(co, &c).await.unwrap();
    assert!(mine.is_opted_out(&c) && !mine.is_opted_out(&d));
    assert_eq!(mine.assignment(&c), Some(&n.phone_number));
    assert_eq!(mine.assignments().count(), 1, "only the customer's own assignment");
    assert!(mine.number(&n.phone_number).is_some());
    let stranger = app.store.load_customer_routing(co, &phone("+14155550199")).await.unwrap();
    assert_eq!(stranger.assignments().count(), 0);
    assert!(!stranger.is_opted_out(&c) && stranger.number(&n.phone_number).is_some());
    assert!(app.store.remove_opt_out(co, &c).await.unwrap());
    assert!(!app.store.remove_opt_out(co, &c).await.unwrap());
    // Another company sees none of it.
    let other = CompanyId::new();
    app.store.create_company(other, "Other").await.unwrap();
    let theirs = app.store.load_company_routing(other).await.unwrap();
    assert_eq!(theirs.numbers().count() + theirs.assignments().count(), 0);
    let theirs = app.store.load_customer_routing(other, &c).await.unwrap();
    assert_eq!(theirs.numbers().count() + theirs.assignments().count(), 0);
    assert!(!theirs.is_opted_out(&d), "another company's opt-out");
}

/// A message forward of `event` (an SMS saying `text`, routed by the company default) to `url`.
fn forward(co: CompanyId, event: &str, text: &str, url: &str) -> OutboxItem {
    let decision = RoutingDecision {
        destination: None,
        matched: MatchedRule::CompanyDefault,
        via_assignment: None,
        effective_number: phone("+18314280176"),
        trace: vec![],
    };
    let message = ForwardedMessage {
        from: "+14155550100".into(),
        to: "+18314280176".into(),
        text: text.into(),
        media_urls: vec![],
        message_type: "SMS".into(),
    };
    let dest = MessageDestination::parse(url).unwrap();
    OutboxItem::forward_message(co, event, "message.received", Utc::now(), &message, &decision, &dest)
}

async fn outbox_survives_a_restart(db: Db) {
    let app = spawn_app(db).await;
    let co = CompanyId::new();
    app.store.create_company(co, "Acme").await.unwrap();
    let receiver = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).expect(1).mount(&receiver).await;
    let item = forward(co, "ev-restart", "hi", &format!("{}/in", receiver.uri()));
    app.store.insert_outbox_items(&[item]).await.unwrap();

    // "Restart": close this app's store and boot a new app on the same database.
    let (store, db) = (app.store.clone(), app.db);
    store.close().await;
    let settings = test_settings(&db.url);
    let app = start(settings, db).await;
    let worker = OutboxWorker::new(
        app.store.clone(),
        crate::helpers::loopback_deliverer(TelnyxApi(None)),
        Arc::new(Notify::new()),
    )
    .with_backoff(Duration::from_millis(10), Duration::from_millis(40))
    .spawn();
    let (status, body) = eventually("the item is delivered after the restart", || async {
        let rows = app.store.list_outbox(co, 10).await.unwrap();
        rows.first().filter(|r| r.status == "delivered").map(|r| (r.status.clone(), r.item.payload.clone()))
    })
    .await;
    worker.abort();
    assert_eq!(status, "delivered");
    assert_eq!(body, "", "the delivered forward's body is not kept");
    receiver.verify().await;
}

/// A delivered forward drops its body (the message text): it is never sent again. A call command
/// keeps its parameters (a call's chain position is read from them), and a forward that gave up
/// keeps its body for a retry.
async fn a_delivered_forward_keeps_no_body_and_a_call_command_keeps_its_parameters(db: Db) {
    let app = spawn_app(db).await;
    let co = CompanyId::new();
    app.store.create_company(co, "Acme").await.unwrap();
    let text = "the text a receiver got";
    let url = "http://receiver.test/in";
    let (delivered, gave_up) = (forward(co, "ev-delivered", text, url), forward(co, "ev-gave-up", text, url));
    let hangup = OutboxItem::call_hangup(co, "ev-call", "v3:call-a");
    app.store.insert_outbox_items(&[delivered.clone(), gave_up.clone(), hangup.clone()]).await.unwrap();

    app.store.mark_outbox_delivered_many(&[delivered.id, hangup.id], 1).await.unwrap();
    app.store.mark_outbox_failed(gave_up.id, 5, "HTTP 500").await.unwrap();

    let rows = app.store.list_outbox(co, 10).await.unwrap();
    let stored = |id| rows.iter().find(|r| r.item.id == id).expect("the item is listed");
    assert_eq!((stored(delivered.id).status.as_str(), stored(delivered.id).item.payload.as_str()), ("delivered", ""));
    assert!(!hangup.payload.is_empty());
    assert_eq!(stored(hangup.id).status, "delivered");
    assert_eq!(stored(hangup.id).item.payload, hangup.payload);
    assert_eq!(stored(gave_up.id).status, "failed");
    assert_eq!(stored(gave_up.id).item.payload, gave_up.payload);
    assert!(gave_up.payload.contains(text));
}
