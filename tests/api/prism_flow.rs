//! The acceptance flow of provisioning and outbound against Prism serving the Telnyx spec (the
//! README's "Provisioning and outbound against Prism"): the demo company is provisioned (a
//! messaging profile, an outbound voice profile, an application that references it), buys
//! numbers in area code 415, sends an SMS from a named number and one to a 212 number without
//! `from`, places a call from the default number, and lists its numbers with usage. Every step
//! checks its answer and the exact Telnyx requests Prism received, each valid against the spec.
//!
//! Prism answers the spec's static examples whatever the request, so what the daemon does with
//! them is asserted as it is:
//! - a number order answers `status: pending` forever, its only number `success` (as in Telnyx's
//!   documentation): the daemon goes by the number's own status, so provisioning completes and
//!   stores the example number +19705555098;
//! - every search answers that same number, in area code 970: asked for 3 numbers in 415, the
//!   client drops it as inexact and the daemon buys none, saying so (a real search answers numbers
//!   in 415; the purchase of several is covered against wiremock in provisioning.rs);
//! - messages and calls get the example ids. Prism sends no webhooks: the test sends the
//!   `message.sent` and `call.initiated` Telnyx would, signed, so the usage counters move.
//!
//! Skipped (saying so) without `TELNYX_OPENAPI_SPEC`. One Prism serves both backends in turn.
use reqwest::StatusCode;
use serde_json::{json, Value};
use switchboard::demo::load_demo_routing;
use switchboard::demo::{self, DEMO_COMPANY_ID};

use crate::helpers::{spawn_app_with, Db, TestApp};
use crate::prism::{spec_from_env, Prism};
use crate::provisioning::{finished, post, OPERATOR};
use crate::telnyx_events::{call_initiated, message_sent, signing_key};
use crate::webhooks::post_signed;

// The spec's examples, which Prism answers.
const PRISM_NUMBER: &str = "+19705555098";
const PRISM_NUMBER_ID: &str = "1293384261075731499";
const PRISM_PROFILE: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const PRISM_APP: &str = "1293384261075731499";
const PRISM_ORDER: &str = "12ade33a-21c0-473b-b055-b3c836e1c292";
const PRISM_MESSAGE: &str = "40385f64-5717-4562-b3fc-2c963f66afa6";
const PRISM_CALL: &str = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg";

// The demo's numbers (src/demo.rs).
const SALES: &str = "+18314280176";
const SUPPORT: &str = "+14155551234";
const NEW_YORK: &str = "+12125550003";

#[actix_web::test]
async fn provisioning_and_outbound_against_prism() {
    let Some(spec) = spec_from_env("prism acceptance flow") else {
        return;
    };
    let mut prism = Prism::start(&spec);
    prism.wait_ready().await;
    for db in [Db::Sqlite, Db::Postgres] {
        Flow::new(&prism, db).await.run().await;
    }
}

struct Flow<'a> {
    prism: &'a Prism,
    app: TestApp,
    db: Db,
    /// Telnyx requests checked so far.
    checked: std::cell::Cell<usize>,
}

impl<'a> Flow<'a> {
    async fn new(prism: &'a Prism, db: Db) -> Flow<'a> {
        let app = spawn_app_with(db, |s| {
            s.telnyx.base_url = prism.base_url();
            s.telnyx.api_key = Some("KEYprism_flow".to_string().into());
            s.telnyx.public_key = Some(signing_key().verifying_key().to_bytes());
            s.public_base_url = Some("https://sb.example.com".parse().expect("url"));
            s.admin.operator_token = Some(OPERATOR.to_string().into());
        })
        .await;
        // What `switchboard demo` does.
        demo::load(app.store.as_ref()).await.expect("demo company");
        load_demo_routing(app.store.as_ref(), DEMO_COMPANY_ID).await.expect("demo routing");
        Flow { prism, app, db, checked: Default::default() }
    }

    async fn run(&self) {
        self.provision().await;
        self.purchase_in_415().await;
        self.sms_from_support().await;
        self.sms_to_212_goes_from_new_york().await;
        self.call_from_default().await;
        self.numbers_with_usage().await;
        eprintln!("prism acceptance flow ({:?}): {} Telnyx requests, all valid", self.db, self.checked.get());
    }

    fn path(&self, rest: &str) -> String {
        format!("/v1/companies/{DEMO_COMPANY_ID}{rest}")
    }

    /// Sends `body` to `rest`; then checks that Prism received exactly `telnyx`, in order, each
    /// valid and answered 2xx.
    async fn post(&self, rest: &str, body: Value, telnyx: &[&str]) -> Reply {
        let offset = self.prism.log_len();
        let res = post(&self.app, &self.path(rest), body).await;
        let status = res.status();
        let location = res.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        let body = match &location {
            // A job still running: wait for it, so that all its Telnyx requests are made.
            Some(location) if status == StatusCode::ACCEPTED => finished(&self.app, location).await,
            _ => res.json().await.expect("json"),
        };
        self.check_telnyx(rest, offset, telnyx).await;
        Reply { status, location, body }
    }

    async fn check_telnyx(&self, step: &str, offset: usize, telnyx: &[&str]) {
        let logged = self.prism.exchanges_since(offset, telnyx.len()).await;
        let requests: Vec<&str> = logged.iter().map(|e| e.request.as_str()).collect();
        assert_eq!(requests, telnyx, "{:?} {step}: the Telnyx requests", self.db);
        for e in &logged {
            let ok = e.violations.is_empty() && e.status.is_some_and(|s| (200..300).contains(&s));
            assert!(ok, "{:?} {step}: prism refused {e:#?}", self.db);
        }
        self.checked.set(self.checked.get() + logged.len());
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        let url = format!("{}{path}", self.app.address);
        self.app.client.get(url).bearer_auth(OPERATOR).send().await.expect("get")
    }

    async fn provision(&self) {
        let telnyx = [
            "POST /messaging_profiles",
            "POST /outbound_voice_profiles",
            "POST /call_control_applications",
            "GET /available_phone_numbers",
            "POST /number_orders",
            &format!("GET /number_orders/{PRISM_ORDER}"),
            "GET /phone_numbers",
            &format!("PATCH /phone_numbers/{PRISM_NUMBER_ID}/messaging"),
            &format!("PATCH /phone_numbers/{PRISM_NUMBER_ID}"),
        ];
        let Reply { status, body: job, .. } = self.post("/provision", json!({}), &telnyx).await;
        assert!([201, 202].contains(&status.as_u16()), "{:?} provision: {status} {job}", self.db);
        assert_eq!(job["state"], "done", "{job}");
        assert_eq!(job["messaging_profile_id"], PRISM_PROFILE);
        assert_eq!(job["call_control_application_id"], PRISM_APP);
        assert_eq!(job["numbers"][0]["phone_number"], PRISM_NUMBER);
        assert_eq!(job["numbers"][0]["telnyx_phone_number_id"], PRISM_NUMBER_ID);
        assert_eq!(job["numbers"][0]["step"], "done");
        // The demo's default outbound number stays the default.
        let settings = self.app.store.get_settings(DEMO_COMPANY_ID).await.expect("settings");
        assert_eq!(settings.default_outbound_number.as_ref().map(|n| n.as_str()), Some(SALES));
        assert_eq!(settings.messaging_profile_id.as_deref(), Some(PRISM_PROFILE));
    }

    async fn purchase_in_415(&self) {
        let body = json!({"quantity": 3, "area_code": "415"});
        let reply = self.post("/numbers/purchase", body, &["GET /available_phone_numbers"]).await;
        // The client drops the example number (area code 970) as inexact.
        let why = "no number with sms, mms and voice is available in area code 415";
        match reply.status {
            StatusCode::BAD_GATEWAY => {
                let detail = reply.body["detail"].as_str().unwrap_or_default();
                assert!(detail.ends_with(why), "{:?} purchase: {}", self.db, reply.body);
            }
            other => assert_eq!(other, StatusCode::ACCEPTED, "{:?} purchase: {}", self.db, reply.body),
        }
        let location = reply.location.expect("the job's location");
        let job: Value = self.get(&location).await.json().await.expect("job");
        assert_eq!(job["state"], "failed", "{job}");
        assert!(job["error"].as_str().is_some_and(|e| e.ends_with(why)), "{job}");
        assert_eq!(job["numbers"], json!([]), "nothing bought: {job}");
    }

    /// Queues a message (202), awaits the worker's spec-checked POST /messages to Prism, then the
    /// message as stored: `sent`, with Prism's message id. Returns the send's answer.
    async fn send(&self, body: Value) -> Value {
        let reply = self.post("/messages", body, &["POST /messages"]).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?} message: {}", self.db, reply.body);
        assert_eq!(reply.body["status"], "queued", "{:?} message: {}", self.db, reply.body);
        let id = reply.body["id"].as_str().expect("the message id");
        let mut stored = Value::Null;
        for _ in 0..200 {
            stored = self.get(&self.path(&format!("/messages/{id}"))).await.json().await.expect("message");
            if stored["status"] != "queued" && stored["status"] != "sending" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(stored["status"], "sent", "{:?} message: {stored}", self.db);
        assert_eq!(stored["telnyx_message_id"], PRISM_MESSAGE, "{:?} message: {stored}", self.db);
        reply.body
    }

    async fn sms_from_support(&self) {
        let sent = self.send(json!({"from": SUPPORT, "to": "+13035550199", "text": "Your ticket is solved"})).await;
        assert_eq!((sent["from"].as_str(), sent["reason"].as_str()), (Some(SUPPORT), Some("explicit")), "{sent}");
    }

    async fn sms_to_212_goes_from_new_york(&self) {
        let sent = self.send(json!({"to": "+12125550199", "text": "See you at the New York office"})).await;
        assert_eq!(
            (sent["from"].as_str(), sent["reason"].as_str()),
            (Some(NEW_YORK), Some("local_area_code")),
            "{sent}"
        );
        assert_eq!(sent["area_code"], "212", "{sent}");
    }

    async fn call_from_default(&self) {
        let reply = self.post("/calls", json!({"to": "+17205550123"}), &["POST /calls"]).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?} call: {}", self.db, reply.body);
        assert_eq!(reply.body, json!({"call_control_id": PRISM_CALL, "from": SALES, "reason": "default"}));
    }

    /// The numbers: the demo's six and the one provisioning bought, with the usage Telnyx's
    /// webhooks for the SMS from Support and the call from Sales add.
    async fn numbers_with_usage(&self) {
        let offset = self.prism.log_len();
        for body in [
            message_sent("ev-prism-sms", SUPPORT, "+13035550199"),
            call_initiated("ev-prism-call", SALES, "+17205550123", "outgoing"),
        ] {
            let res = post_signed(&self.app, &body).await;
            assert_eq!(res.status(), StatusCode::OK, "{:?} webhook", self.db);
        }
        let page: Value = self.get(&self.path("/numbers")).await.json().await.expect("numbers");
        let numbers = page["data"].as_array().expect("a page of numbers");
        self.check_telnyx("webhooks and numbers", offset, &[]).await;
        let mut listed: Vec<(&str, [i64; 4])> = numbers
            .iter()
            .map(|n| {
                let count = |k: &str| n[k].as_i64().expect("counter");
                let usage = ["sms_sent_count", "sms_received_count", "outgoing_calls_count", "incoming_calls_count"];
                (n["phone_number"].as_str().expect("number"), usage.map(count))
            })
            .collect();
        listed.sort();
        let want = vec![
            (NEW_YORK, [0, 0, 0, 0]),
            ("+12135550002", [0, 0, 0, 0]),
            ("+14155550001", [0, 0, 0, 0]),
            (SUPPORT, [1, 0, 0, 0]),
            ("+16505555678", [0, 0, 0, 0]),
            (SALES, [0, 0, 1, 0]),
            (PRISM_NUMBER, [0, 0, 0, 0]),
        ];
        assert_eq!(listed, want, "{:?}: phone number, [sms sent, sms received, calls out, calls in]", self.db);
        let bought = numbers.iter().find(|n| n["phone_number"] == PRISM_NUMBER).expect("bought number");
        assert_eq!(bought["telnyx_phone_number_id"], PRISM_NUMBER_ID);
        assert_eq!(bought["telnyx_messaging_profile_id"], PRISM_PROFILE);
        assert_eq!(bought["telnyx_connection_id"], PRISM_APP);
        assert_eq!(bought["status"], "active");
    }
}

/// An admin API answer; for a job that was still running (202), `body` is the finished job.
struct Reply {
    status: StatusCode,
    location: Option<String>,
    body: Value,
}
