//! The console's cases, each on its own daemon and browser.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::ledger::outbox_item::OutboxItem;
use switchboard::outbox::worker::MAX_ATTEMPTS;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::a11y;
use crate::browser::{installed, Browser};
use crate::daemon::{Daemon, World, OPERATOR, SUPPORT_NIGHT};
use crate::telnyx_sim::TelnyxSim;

/// One case at a time: each runs a daemon and a chromium.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The daemon, its world and a browser at `width`; `None` (after saying so) without chromium.
async fn setup(width: u32) -> Option<(TelnyxSim, Daemon, World, Browser)> {
    if let Err(why) = installed() {
        eprintln!("{why}");
        return None;
    }
    let sim = TelnyxSim::start().await;
    let daemon = Daemon::start(&sim).await;
    let world = World::make(&daemon).await;
    let browser = Browser::open(&daemon.base, width).await;
    Some((sim, daemon, world, browser))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_admin_signs_in_edits_support_hours_and_simulates_a_call_at_3am() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((_sim, d, w, b)) = setup(1280).await else { return };

    // Sign in with the company token: the company's numbers, never the other company's.
    let landed = b.sign_in(&w.admin_token).await;
    assert_eq!(landed, format!("/console/companies/{}/numbers", w.acme));
    let page = b.body_text().await;
    assert!(page.contains(&w.acme_number), "{page}");
    assert!(!page.contains(&w.other_number), "another company's number shows: {page}");
    b.screenshot("numbers").await;

    // Change Support's business hours: open weekdays 08:00-12:00 in Chicago.
    b.goto(&format!("/console/companies/{}/routing", w.acme)).await;
    b.screenshot("routing").await;
    b.click("a[href$='/routing/departments/Support']").await;
    b.wait_until("Support's form", || async { b.path().await.ends_with("/routing/departments/Support") }).await;
    b.select("#time_zone", "America/Chicago").await;
    b.fill("#open", "monday-friday 08:00-12:00").await;
    b.click("form.stack button[type=submit]").await;
    b.wait_text("main .notice", "Saved").await;
    let (status, support) =
        d.api(Method::GET, &format!("/v1/companies/{}/departments/Support", w.acme), OPERATOR, None).await;
    assert_eq!(status, 200);
    assert_eq!(support["hours"]["time_zone"], "America/Chicago", "{support}");
    assert_eq!(support["hours"]["open"].as_array().map(Vec::len), Some(5), "{support}");
    assert_eq!(support["hours"]["open"][4], json!({"day": "friday", "start": "08:00", "end": "12:00"}));
    assert_eq!(support["hours"]["after_hours"]["call"], SUPPORT_NIGHT, "the after-hours destination is kept");

    // Simulate a call at 03:00 (Chicago) on a Wednesday: the after-hours destination.
    b.goto(&format!("/console/companies/{}/simulate", w.acme)).await;
    b.select("#kind", "call").await;
    b.fill("#from", "+13035550100").await;
    b.select("#to", &w.acme_number).await;
    b.select("#time_zone", "America/Chicago").await;
    b.js("document.querySelector('#date').value = '2026-12-09'; document.querySelector('#time').value = '03:00'; return true;").await;
    b.click("form.stack button[type=submit]").await;
    b.wait_text("#destination", SUPPORT_NIGHT).await;
    assert!(b.text("#matched").await.contains("department Support (after hours)"));
    b.js("document.querySelector('#decision').scrollIntoView(); return true;").await;
    b.screenshot("simulate").await;
    // ...and at 10:00 the same day, the day destination: the form really asks at the chosen time.
    b.js("document.querySelector('#time').value = '10:00'; return true;").await;
    b.click("form.stack button[type=submit]").await;
    b.wait_text("#destination", crate::daemon::SUPPORT_DAY).await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_bought_through_the_simulator_and_the_job_page_follows_it_to_done() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((sim, d, w, b)) = setup(1280).await else { return };
    let in_415 = sim.add_available_numbers("US", "415", 3);
    // Provisioned through the API first (a purchase needs the company's Telnyx profile).
    let (status, job) = d
        .api(Method::POST, &format!("/v1/companies/{}/provision", w.acme), OPERATOR, Some(json!({"quantity": 1})))
        .await;
    assert!(status == 201 || status == 202, "{status} {job}");
    let job_path = format!("/v1/companies/{}/jobs/{}", w.acme, job["id"].as_str().expect("job id"));
    let mut done = false;
    for _ in 0..300 {
        let (_, j) = d.api(Method::GET, &job_path, OPERATOR, None).await;
        if j["state"] == "done" {
            done = true;
            break;
        }
        assert_ne!(j["state"], "failed", "{j}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the provisioning job did not finish: {}", d.log_tail());

    b.sign_in(&w.admin_token).await;
    b.fill("#area_code", "415").await;
    b.fill("#quantity", "2").await;
    b.click("form[action$='/numbers/purchase'] button[type=submit]").await;
    // The click returns before the browser has followed the form's redirect: await the job page.
    let jobs = format!("/console/companies/{}/jobs/", w.acme);
    b.wait_until("the purchase to open its job page", || async { b.path().await.starts_with(&jobs) }).await;
    // The page reloads itself while the job runs (no JavaScript): wait for it to say done.
    b.wait_until("the job page shows done", || async { b.text("#job-state").await == "done" }).await;
    let page = b.body_text().await;
    let bought: Vec<&String> = in_415.iter().filter(|n| page.contains(n.as_str())).collect();
    assert_eq!(bought.len(), 2, "two numbers in 415 bought: {page}");
    b.goto(&format!("/console/companies/{}/numbers", w.acme)).await;
    let numbers = b.body_text().await;
    for n in bought {
        assert!(numbers.contains(n.as_str()), "{n} listed: {numbers}");
    }
    b.close().await;
}

/// The daemon's worker gives up on `item` as if its attempts ran out (after its first failure).
async fn exhaust(d: &Daemon, company: CompanyId, item: &OutboxItem) {
    let store = d.store().await;
    for _ in 0..300 {
        let e = store.get_outbox_item(company, item.id).await.expect("item");
        if e.attempts >= 1 {
            store.mark_outbox_failed(item.id, MAX_ATTEMPTS, "receiver answered 503").await.expect("mark failed");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the first attempt never happened: {}", d.log_tail());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_forward_is_retried_from_the_activity_page_and_delivered() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((_sim, d, w, b)) = setup(1280).await else { return };
    let receiver = MockServer::start().await;
    let open = Arc::new(AtomicBool::new(false));
    let o = open.clone();
    Mock::given(method("POST"))
        .respond_with(move |_: &Request| ResponseTemplate::new(if o.load(Ordering::SeqCst) { 204 } else { 503 }))
        .mount(&receiver)
        .await;
    let acme = CompanyId::from_uuid(w.acme.parse().expect("uuid"));
    let item = forward_item(acme, "ev-console-retry", &format!("{}/hooks/support", receiver.uri()));
    let store = d.store().await;
    store.insert_outbox_items(std::slice::from_ref(&item)).await.expect("queue a forward");
    exhaust(&d, acme, &item).await;

    b.sign_in(&w.admin_token).await;
    b.goto(&format!("/console/companies/{}/activity", w.acme)).await;
    let page = b.body_text().await;
    assert!(page.contains("receiver answered 503") && page.contains("/hooks/support"), "{page}");
    b.screenshot("activity").await;
    open.store(true, Ordering::SeqCst);
    b.click(&format!("form[action$='/outbox/{}/retry'] button", item.id)).await;
    b.wait_text("main .notice", "Queued for another attempt").await;
    let mut delivered = false;
    for _ in 0..300 {
        if store.get_outbox_item(acme, item.id).await.expect("item").status == "delivered" {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "the retried forward was not delivered: {}", d.log_tail());
    b.close().await;
}

/// A forward of an SMS to `url`, as the ledger queues it.
fn forward_item(company: CompanyId, event: &str, url: &str) -> OutboxItem {
    use switchboard::ledger::side_effects::ForwardedMessage;
    use switchboard::routing::{MatchedRule, MessageDestination, RoutingDecision};
    let message = ForwardedMessage {
        from: "+13035550100".into(),
        to: "+18314280176".into(),
        text: "hello".into(),
        media_urls: vec![],
        message_type: "SMS".into(),
    };
    let decision = RoutingDecision {
        destination: None,
        matched: MatchedRule::CompanyDefault,
        via_assignment: None,
        effective_number: PhoneNumber::parse("+18314280176").expect("e164"),
        trace: vec![],
    };
    let dest = MessageDestination::parse(url).expect("a destination");
    OutboxItem::forward_message(company, event, "message.received", chrono::Utc::now(), &message, &decision, &dest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_tokens_other_companies_and_forms_without_the_csrf_token_are_refused() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((_sim, d, w, b)) = setup(1280).await else { return };

    // A read-only token sees the pages but no edit control.
    assert_eq!(b.sign_in(&w.read_token).await, format!("/console/companies/{}/numbers", w.acme));
    let pages = [
        ("numbers", "Numbers"),
        ("routing", "Routing"),
        ("routing/departments/Support", "department Support"),
        ("customers", "Customers"),
        ("activity", "Activity"),
        ("tokens", "API tokens"),
    ];
    for (page, title) in pages {
        b.goto(&format!("/console/companies/{}/{page}", w.acme)).await;
        assert_eq!(b.text("main h1").await, title, "{page}: {}", b.body_text().await);
        assert_eq!(b.count("main form[method=post]").await, 0, "{page}: edit controls for a read-only token");
    }
    // A forged POST (with the session's own CSRF token, so only the scope stops it) is refused.
    let csrf = b.js("return document.querySelector('input[name=csrf]').value;").await;
    let csrf = csrf.as_str().expect("csrf field").to_owned();
    let suspend = format!("/console/companies/{}/numbers/default", w.acme);
    let (status, answer) = b.post_from_page(&suspend, &[("csrf", &csrf), ("phone_number", "+18314280177")]).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer.contains("lacks the `admin` scope"), "{answer}");
    let (_, settings) = d.api(Method::GET, &format!("/v1/companies/{}/default-number", w.acme), OPERATOR, None).await;
    assert_ne!(settings["phone_number"], "+18314280177", "nothing changed");

    // A company token never reaches another company: its pages are 404, its numbers never show.
    b.goto("/console/sign-in").await;
    b.sign_in(&w.admin_token).await;
    for page in ["numbers", "routing", "customers", "simulate", "activity", "jobs", "tokens"] {
        let path = format!("/console/companies/{}/{page}", w.other);
        b.goto(&path).await;
        let text = b.body_text().await;
        assert!(text.contains("not found"), "{path}: {text}");
        assert!(!text.contains(&w.other_number), "{path} shows the other company's number");
    }
    b.goto("/console/companies").await;
    assert!(b.body_text().await.contains("not found"), "the company list is the operator's");
    b.goto(&format!("/console/companies/{}/customers", w.acme)).await;
    let own_csrf = csrf_of(&b).await;
    let other_opt_out = format!("/console/companies/{}/customers/opt-outs", w.other);
    let (status, _) = b.post_from_page(&other_opt_out, &[("csrf", &own_csrf), ("customer", "+13035550100")]).await;
    assert_eq!(status, 404, "a POST to another company");

    // A form without the CSRF token (or with another session's) is refused with a clear page.
    let opt_out = format!("/console/companies/{}/customers/opt-outs", w.acme);
    let (status, answer) = b.post_from_page(&opt_out, &[("customer", "+13035550100")]).await;
    assert_eq!(status, 403);
    assert!(answer.contains("did not come from this console session"), "{answer}");
    let (status, _) = b.post_from_page(&opt_out, &[("csrf", &csrf), ("customer", "+13035550100")]).await;
    assert_eq!(status, 403, "the read-only session's token is not this session's");
    let (_, opt_outs) = d.api(Method::GET, &format!("/v1/companies/{}/opt-outs", w.acme), OPERATOR, None).await;
    assert_eq!(opt_outs["data"], json!([]), "nothing was written");
    // With it, the same form works.
    let (status, _) = b.post_from_page(&opt_out, &[("csrf", &own_csrf), ("customer", "+13035550100")]).await;
    assert_eq!(status, 0, "a redirect (opaque to fetch with redirect: manual)");
    let (_, opt_outs) = d.api(Method::GET, &format!("/v1/companies/{}/opt-outs", w.acme), OPERATOR, None).await;
    assert_eq!(opt_outs["data"][0]["customer"], "+13035550100");

    // Sign-out ends the session; revoking the token ends the others.
    b.click("form.signout button").await;
    b.goto(&format!("/console/companies/{}/numbers", w.acme)).await;
    assert_eq!(b.path().await, "/console/sign-in");
    b.sign_in(&w.read_token).await;
    let tokens = d.api(Method::GET, &format!("/v1/companies/{}/tokens", w.acme), OPERATOR, None).await.1;
    let read =
        tokens["data"].as_array().unwrap().iter().find(|t| t["scopes"] == json!(["read"])).unwrap()["id"].clone();
    let (status, _) = d
        .api(Method::DELETE, &format!("/v1/companies/{}/tokens/{}", w.acme, read.as_str().unwrap()), OPERATOR, None)
        .await;
    assert_eq!(status, 204);
    b.goto(&format!("/console/companies/{}/numbers", w.acme)).await;
    assert_eq!(b.path().await, "/console/sign-in", "a revoked token's session ended");
    b.close().await;
}

async fn csrf_of(b: &Browser) -> String {
    b.js("return document.querySelector('input[name=csrf]').value;").await.as_str().expect("csrf").to_owned()
}

/// Every page, as the operator and as a company admin: axe-core, labels, the keyboard; and at
/// 375 px, no sideways scroll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_accessible_by_keyboard_and_fits_a_phone() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some((_sim, d, w, b)) = setup(1280).await else { return };
    let axe = a11y::axe_source().expect(
        "axe-core is not installed (scripts/install-chromium.sh installs it from npm into ~/.cache/switchboard)",
    );
    let acme = &w.acme;
    let company_pages = [
        format!("/console/companies/{acme}/numbers"),
        format!("/console/companies/{acme}/routing"),
        format!("/console/companies/{acme}/routing/departments/Support"),
        format!("/console/companies/{acme}/customers"),
        format!("/console/companies/{acme}/simulate?kind=call&from=%2B13035550100&to=%2B18314280176&date=2026-12-09&time=03%3A00&time_zone=America%2FNew_York"),
        format!("/console/companies/{acme}/activity"),
        format!("/console/companies/{acme}/jobs"),
        format!("/console/companies/{acme}/tokens"),
    ];
    let operator_pages = ["/console/companies".to_owned(), "/console/dead-letters".to_owned()];

    b.goto("/console/sign-in").await;
    a11y::axe_finds_nothing(&b, &axe, "sign-in").await;
    a11y::every_field_is_labelled(&b, "sign-in").await;
    a11y::keyboard_reaches_every_control(&b, "sign-in").await;
    b.sign_in(OPERATOR).await;
    for page in operator_pages.iter().chain(company_pages.iter()) {
        b.goto(page).await;
        assert_eq!(b.count("main h1").await, 1, "{page}: {}", b.body_text().await);
        a11y::axe_finds_nothing(&b, &axe, page).await;
        a11y::every_field_is_labelled(&b, page).await;
        a11y::keyboard_reaches_every_control(&b, page).await;
    }
    b.close().await;

    let phone = Browser::open(&d.base, 375).await;
    phone.goto("/console/sign-in").await;
    a11y::no_sideways_scroll(&phone, "sign-in").await;
    phone.sign_in(OPERATOR).await;
    for page in operator_pages.iter().chain(company_pages.iter()) {
        phone.goto(page).await;
        a11y::no_sideways_scroll(&phone, page).await;
    }
    phone.close().await;
}
