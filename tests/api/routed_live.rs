//! Routing decisions taken live: explain agrees with the decision the actor took, and a rule
//! changed through one node routes the next event on another node the new way.
use switchboard::demo::load_demo_routing;
use switchboard::demo::{self, DEMO_COMPANY_ID};
use switchboard::routing::{CallChain, CallDestination, Department, Destinations, MessageDestination};
use switchboard::store::changes::Change;

use crate::admin_support::OPERATOR;
use crate::backend_tests;
use crate::helpers::{spawn_app_with, start, test_settings, Db, TestApp, TestDb};
use crate::telnyx_events::*;
use crate::webhooks::post_signed;

backend_tests!(explain_equals_the_decision_taken);

const SALES: &str = "+18314280176";
const SUPPORT: &str = "+14155551234";

async fn explain_equals_the_decision_taken(db: Db) {
    let key = signing_key().verifying_key().to_bytes();
    let app = spawn_app_with(db, move |s| {
        s.telnyx.public_key = Some(key);
        s.admin.operator_token = Some(secrecy::SecretString::from(OPERATOR));
    })
    .await;
    demo::load(app.store.as_ref()).await.unwrap();
    load_demo_routing(app.store.as_ref(), DEMO_COMPANY_ID).await.unwrap();
    app.directory.refresh(DEMO_COMPANY_ID, Change::Numbers).await;
    for (event, from, to) in
        [("ex-1", "+14155550100", SUPPORT), ("ex-2", "+12065550123", SUPPORT), ("ex-3", "+12065550123", SALES)]
    {
        assert_eq!(post_signed(&app, &call_initiated(event, from, to, "incoming")).await.status(), 200);
        let taken = app.store.get_routing_log(DEMO_COMPANY_ID, event).await.unwrap().remove(0).decision;
        let mut explained: serde_json::Value = app
            .client
            .post(format!("{}/v1/companies/{DEMO_COMPANY_ID}/routing/explain", app.address))
            .bearer_auth(OPERATOR)
            .json(&serde_json::json!({"from": from, "to": to, "kind": "call"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Beside the decision, explain shows the chain of a call destination (not logged).
        let chain = explained.as_object_mut().and_then(|o| o.remove("chain"));
        assert_eq!(explained, taken, "{event}");
        assert_eq!(chain.is_some(), !taken["destination"].is_null(), "{event}: {chain:?}");
    }
}

async fn demo_node(url: &str, owned: Option<TestDb>) -> TestApp {
    let mut settings = test_settings(url);
    settings.telnyx.public_key = Some(signing_key().verifying_key().to_bytes());
    start(settings, owned.unwrap_or_else(|| TestDb::borrowed(url))).await
}

#[actix_web::test]
async fn a_rule_changed_through_node_a_routes_the_next_event_on_node_b() {
    let db = TestDb::new(Db::Postgres).await;
    let url = db.url.clone();
    let a = demo_node(&url, Some(db)).await;
    demo::load(a.store.as_ref()).await.unwrap();
    load_demo_routing(a.store.as_ref(), DEMO_COMPANY_ID).await.unwrap();
    let b = demo_node(&url, None).await;
    let sales_destination = |event: String| {
        let store = b.store.clone();
        async move {
            store.get_routing_log(DEMO_COMPANY_ID, &event).await.unwrap().remove(0).decision["destination"]["address"]
                .clone()
        }
    };
    assert_eq!(post_signed(&b, &call_initiated("rn-0", "+12065550123", SALES, "incoming")).await.status(), 200);
    assert_eq!(sales_destination("rn-0".into()).await, "sip:sales@pbx.example.com");

    let moved = Department::new(
        "Sales".into(),
        Destinations {
            call: Some(CallChain::single(CallDestination::parse("sip:sales-night@pbx.example.com").unwrap())),
            message: Some(MessageDestination::parse("https://crm.example.com/hooks/sales").unwrap().into()),
        },
        None,
    )
    .unwrap();
    a.store.upsert_department(DEMO_COMPANY_ID, &moved).await.unwrap();
    a.directory.refresh(DEMO_COMPANY_ID, Change::Rules).await;
    // Node B hears of it through LISTEN/NOTIFY: poll (bounded) until its decisions follow.
    let mut seen = serde_json::Value::Null;
    for i in 1..200 {
        let event = format!("rn-{i}");
        assert_eq!(post_signed(&b, &call_initiated(&event, "+12065550123", SALES, "incoming")).await.status(), 200);
        seen = sales_destination(event).await;
        if seen == "sip:sales-night@pbx.example.com" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("node B still routes to {seen}");
}
