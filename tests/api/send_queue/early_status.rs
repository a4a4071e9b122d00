//! Status webhooks the queue cannot place at once: one that comes before the worker recorded
//! Telnyx's id is kept and applied when the worker records it (also when the commit that kept it
//! did not see an id recorded meanwhile); one for a message a dead worker left `unknown` is
//! attached to it when exactly one message fits (reconciliation), never when two could. What is
//! kept is retired after a while.
use serde_json::{json, Value};
use switchboard::domain::NumberType;
use switchboard::ledger::entry::{CountKey, Counter, LedgerEntry, MessageStatusChange};
use switchboard::sendq::Planner;
use switchboard::store::send_queue::{AttemptEnd, OutboundFilter, SendStatus};
use switchboard::store::{NewNumber, Window};
use switchboard::telnyx::client::SendMessageRequest;

use super::status_url::{set_status_url, StatusHook};
use super::{
    app_on_sim, claim, company, company_sending_from, e164, enqueue, fresh_store, get, provisioned, send, Sender, FROM,
};
use crate::admin_support::eventually;
use crate::backend_tests;
use crate::helpers::{Db, TestApp};
use crate::telnyx_sim::{MessageOutcome, TelnyxSim};

backend_tests!(
    a_status_that_comes_before_the_id_is_applied_when_the_worker_records_it,
    a_status_no_message_awaits_is_counted_and_not_kept,
    a_status_of_a_company_without_queued_messages_is_counted_and_not_kept,
    a_status_commit_that_missed_a_recorded_id_meets_its_link,
    a_message_left_unknown_is_reconciled_only_when_it_alone_fits,
    kept_statuses_and_links_are_retired,
    a_commit_says_how_many_status_changes_it_forwarded
);

async fn status(app: &TestApp, co: switchboard::domain::CompanyId, id: &str) -> Value {
    get(app, &format!("/v1/companies/{co}/messages/{id}")).await
}

async fn a_status_that_comes_before_the_id_is_applied_when_the_worker_records_it(db: Db) {
    let sim = TelnyxSim::start().await;
    let app = app_on_sim(crate::helpers::TestDb::new(db).await, &sim).await;
    let co = provisioned(&app).await;
    let hook = StatusHook::start(app.store.forwarding(co).await.expect("secret").secrets.current).await;
    set_status_url(&app, co, &hook).await;
    // Telnyx takes the message but its answer is slow: its webhooks come first.
    sim.hold_message_answers(true);
    let id = send(&app, co, "+13035550100", "early").await;
    let telnyx_id =
        eventually("Telnyx took the message", || async { sim.messages().first().map(|m| m.id.clone()) }).await;
    assert_eq!(sim.message_sent(&telnyx_id).await.status, Some(200));
    let finalized = sim.message_finalized(&telnyx_id, MessageOutcome::Delivered).await;
    assert_eq!(finalized.status, Some(200), "acknowledged: the status is kept");
    let before = status(&app, co, &id).await;
    assert_eq!((before["status"].as_str(), &before["telnyx_message_id"]), (Some("sending"), &Value::Null), "{before}");

    sim.hold_message_answers(false);
    let m = eventually("delivered once the id is recorded", || async {
        let m = status(&app, co, &id).await;
        (m["status"] == "delivered").then_some(m)
    })
    .await;
    assert_eq!(m["telnyx_message_id"], json!(telnyx_id));
    // Both changes forwarded, each once (delivered concurrently: in either order).
    let forwards = hook.of(&id, 2).await;
    assert_eq!(steps(&forwards), [("sending", "sent"), ("sent", "delivered")]);
    // A late redelivery of message.finalized changes nothing and forwards nothing.
    assert_eq!(sim.redeliver(&finalized).await.status, Some(200));
    assert_eq!(status(&app, co, &id).await["status"], "delivered");
    assert_eq!(hook.received().len(), 2);
}

/// The (previous status, status) of each forward, in the order of the statuses' progression.
fn steps(forwards: &[Value]) -> Vec<(&str, &str)> {
    let order = ["queued", "sending", "sent", "unknown", "delivered"];
    let rank = |s: &str| order.iter().position(|o| *o == s).unwrap_or(order.len());
    let mut steps: Vec<(&str, &str)> = forwards
        .iter()
        .map(|f| {
            (f["message"]["previous_status"].as_str().unwrap_or("?"), f["message"]["status"].as_str().unwrap_or("?"))
        })
        .collect();
    steps.sort_by_key(|(before, _)| rank(before));
    steps
}

/// A `message.finalized` entry of company `co` for Telnyx id `telnyx_id`, from [`FROM`] to `to`,
/// as the company actor makes it (one count key at the sender).
fn finalized(
    co: switchboard::domain::CompanyId,
    number: &switchboard::store::NumberRecord,
    event: &str,
    telnyx_id: &str,
    to: &str,
) -> LedgerEntry {
    let key: std::sync::Arc<str> = format!("{event}/{to}").into();
    let mut entry = LedgerEntry::new(event.into());
    entry.counts.push(CountKey {
        company_id: co,
        phone_number_id: number.id,
        phone_number: e164(FROM),
        counter: Counter::Delivered,
        event_key: Some(key.clone()),
        route: None,
    });
    entry.message_statuses.push(MessageStatusChange {
        company_id: co,
        telnyx_id: telnyx_id.into(),
        status: "delivered",
        error_code: None,
        error_detail: None,
        from: FROM.into(),
        to: Some(to.into()),
        occurred_at_ms: chrono::Utc::now().timestamp_millis(),
        key,
    });
    entry
}

async fn a_status_commit_that_missed_a_recorded_id_meets_its_link(db: Db) {
    // The worker recorded `tx-late` for the message after a status commit took its snapshot: the
    // commit finds no message with that id, but meets the worker's link on the id's key. Made
    // here by recording the id and putting the message row back as that snapshot saw it
    // (`sending`, no id).
    let (test_db, store) = fresh_store(db).await;
    let co = company(&store).await;
    let number = store.insert_number(&NewNumber::new(co, e164(FROM))).await.expect("number");
    let now_us = chrono::Utc::now().timestamp_micros();
    enqueue(&store, co, &Sender::new(FROM, NumberType::LongCode), 1, now_us, 3_600_000).await;
    let planner = Planner::new(&switchboard::config::SendingSettings::default());
    let claimed = claim(&store, &planner, now_us).await;
    let m = &claimed[0].message;
    let sent = AttemptEnd::Sent { telnyx_message_id: "tx-late".into() };
    assert!(store.end_attempt(co, m.id, &sent, now_us / 1000).await.expect("end"));
    hide_telnyx_id(&test_db, m.id).await;

    let entry = finalized(co, &number, "ev-fin-1", "tx-late", m.to.as_str());
    let stats = store.commit_batch(&[&entry]).await.expect("commit");
    assert_eq!(stats.counted, 1);
    let after = store.get_outbound(co, m.id).await.expect("message");
    assert_eq!(after.status, SendStatus::Delivered, "applied through the link");
    // Delivered again (a redelivery): nothing more.
    let again = store.commit_batch(&[&entry]).await.expect("commit");
    assert_eq!((again.counted, again.reconciled), (0, 0));
}

/// A message of `co` sent at `at_us` whose Telnyx id is `telnyx_id`; answers its recipient.
async fn sent_message(
    store: &switchboard::store::DynStore,
    co: switchboard::domain::CompanyId,
    telnyx_id: &str,
    at_us: i64,
) -> String {
    enqueue(store, co, &Sender::new(FROM, NumberType::LongCode), 1, at_us, 3_600_000).await;
    let planner = Planner::new(&switchboard::config::SendingSettings::default());
    let claimed = claim(store, &planner, at_us).await;
    let [c] = claimed.as_slice() else { panic!("one message claimed, got {}", claimed.len()) };
    let sent = AttemptEnd::Sent { telnyx_message_id: telnyx_id.into() };
    assert!(store.end_attempt(co, c.message.id, &sent, at_us / 1000).await.expect("end"));
    c.message.to.as_str().to_owned()
}

/// The worker is woken for the status forwards a commit queued (due now), and only then: the
/// commit says how many it queued.
async fn a_commit_says_how_many_status_changes_it_forwarded(db: Db) {
    let (_test_db, store) = fresh_store(db).await;
    let co = company(&store).await;
    let number = store.insert_number(&NewNumber::new(co, e164(FROM))).await.expect("number");
    let now_us = chrono::Utc::now().timestamp_micros();
    // Without a status URL the change is applied and not forwarded.
    let to = sent_message(&store, co, "tx-quiet", now_us).await;
    let stats = store.commit_batch(&[&finalized(co, &number, "ev-quiet", "tx-quiet", &to)]).await.expect("commit");
    assert_eq!((stats.counted, stats.status_forwards), (1, 0));
    // With one, forwarded once.
    store.put_status_url(co, "https://status.example.com/hook", chrono::Utc::now()).await.expect("url");
    let later_us = now_us + 3_600_000_000;
    let to = sent_message(&store, co, "tx-told", later_us).await;
    let told = finalized(co, &number, "ev-told", "tx-told", &to);
    let stats = store.commit_batch(&[&told]).await.expect("commit");
    assert_eq!((stats.counted, stats.status_forwards), (1, 1));
    // A redelivery changes nothing and forwards nothing; nor does a status no message has.
    let stats = store.commit_batch(&[&told]).await.expect("commit");
    assert_eq!((stats.counted, stats.status_forwards), (0, 0));
    let stray = finalized(co, &number, "ev-stray", "tx-nobody", &to);
    let stats = store.commit_batch(&[&stray]).await.expect("commit");
    assert_eq!((stats.counted, stats.status_forwards), (1, 0));
}

/// Puts the message back to `sending` without a Telnyx id behind the store's back (the link the
/// worker wrote with the id stays).
async fn hide_telnyx_id(db: &crate::helpers::TestDb, id: uuid::Uuid) {
    use sqlx::Connection;
    let sql = "UPDATE outbound_messages SET telnyx_message_id = NULL, status = 'sending' WHERE id = $1";
    if db.url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        assert_eq!(sqlx::query(sql).bind(id).execute(&mut c).await.expect("update").rows_affected(), 1);
    } else {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.expect("connect");
        assert_eq!(sqlx::query(sql).bind(id).execute(&mut c).await.expect("update").rows_affected(), 1);
    }
}

/// `switchboard_send_reconciled_total` as /metrics shows it (shared by the tests of this process).
async fn reconciled_metric(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    metrics
        .lines()
        .filter(|l| l.starts_with("switchboard_send_reconciled_total "))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

async fn a_message_left_unknown_is_reconciled_only_when_it_alone_fits(db: Db) {
    // A worker claimed three messages (one alone to its recipient, two to +13035550111), sent
    // each to Telnyx and died before recording any answer: their leases have run out.
    let sim = TelnyxSim::start().await;
    let (test_db, store) = fresh_store(db).await;
    let co = company_sending_from(&store, FROM).await;
    let now_us = chrono::Utc::now().timestamp_micros();
    let sender = Sender::new(FROM, NumberType::LongCode);
    enqueue(&store, co, &sender, 1, now_us, 3_600_000).await;
    let alone = store.page_outbound(co, &OutboundFilter::default(), &Window::first(1)).await.expect("list")[0].clone();
    for _ in 0..2 {
        let m = switchboard::store::send_queue::NewOutbound {
            id: uuid::Uuid::new_v4(),
            to: e164("+13035550111"),
            ..new_like(&alone, now_us / 1000)
        };
        store.enqueue_outbound(&m).await.expect("enqueue");
    }
    let planner = Planner::new(&switchboard::config::SendingSettings {
        long_code_per_minute: 600_000.0,
        ..switchboard::config::SendingSettings::default()
    });
    let leased = store.claim_sends(now_us, now_us / 1000 - 1, planner.claim_size(), &planner).await.expect("claim");
    assert_eq!(leased.len(), 3);
    let client = crate::simulator::client(&sim);
    for c in &leased {
        let req = SendMessageRequest {
            from: c.message.from.clone(),
            to: c.message.to.clone(),
            text: Some("lost answer".into()),
            media_urls: vec![],
            messaging_profile_id: "prof-1".into(),
            webhook_url: None,
        };
        client.send_queued_message(&req).await.expect("sent by the dead worker");
    }
    let hook = StatusHook::start(store.forwarding(co).await.expect("secret").secrets.current).await;
    store.put_status_url(co, &hook.url(), chrono::Utc::now()).await.expect("status url");
    store.close().await;

    let app = app_on_sim(test_db, &sim).await;
    eventually("the three orphans unknown", || async {
        let list = get(&app, &format!("/v1/companies/{co}/messages?status=unknown")).await;
        (list["data"].as_array().map(Vec::len) == Some(3)).then_some(())
    })
    .await;
    let before = reconciled_metric(&app).await;
    let telnyx_of =
        |to: &str| -> Vec<String> { sim.messages().iter().filter(|m| m.to == [to]).map(|m| m.id.clone()).collect() };

    // The one message to its recipient fits alone: Telnyx's id is attached, its status applied.
    let alone_telnyx = telnyx_of(alone.to.as_str()).pop().expect("sim message");
    assert_eq!(sim.message_finalized(&alone_telnyx, MessageOutcome::Delivered).await.status, Some(200));
    let m = status(&app, co, &alone.id.to_string()).await;
    assert_eq!((m["status"].as_str(), m["telnyx_message_id"].as_str()), (Some("delivered"), Some(&*alone_telnyx)));
    assert!(reconciled_metric(&app).await > before, "the reconciliation is counted");
    // Forwarded: the orphan's `unknown`, then its delivery with Telnyx's id.
    let forwards = hook.of(&alone.id.to_string(), 2).await;
    assert_eq!(steps(&forwards), [("sending", "unknown"), ("unknown", "delivered")]);
    let delivered = forwards.iter().find(|f| f["message"]["status"] == "delivered").expect("delivered");
    assert_eq!(delivered["message"]["telnyx_message_id"], json!(alone_telnyx));

    // Two messages to +13035550111 could be either: both stay unknown, no guess.
    for telnyx_id in telnyx_of("+13035550111") {
        assert_eq!(sim.message_finalized(&telnyx_id, MessageOutcome::Delivered).await.status, Some(200));
    }
    let list = get(&app, &format!("/v1/companies/{co}/messages?status=unknown")).await;
    let unknown = list["data"].as_array().expect("list");
    assert_eq!(unknown.len(), 2, "{list}");
    assert!(unknown.iter().all(|m| m["to"] == "+13035550111" && m["telnyx_message_id"].is_null()), "{list}");
}

/// A message like `m` (same company, sender, content), queued at `now_ms`.
fn new_like(
    m: &switchboard::store::send_queue::OutboundRecord,
    now_ms: i64,
) -> switchboard::store::send_queue::NewOutbound {
    switchboard::store::send_queue::NewOutbound {
        company_id: m.company_id,
        id: m.id,
        from: m.from.clone(),
        to: m.to.clone(),
        kind: m.kind,
        content: m.content.clone(),
        sender: m.sender.clone(),
        reason: m.reason.clone(),
        send_at_ms: now_ms,
        expires_at_ms: now_ms + 3_600_000,
        now_ms,
    }
}

async fn a_status_no_message_awaits_is_counted_and_not_kept(db: Db) {
    // A message sent around switchboard (no queued message from that sender to that recipient):
    // its status webhook is counted, and nothing is kept for a worker that will never come.
    let (_db, store) = fresh_store(db).await;
    let co = company(&store).await;
    let number = store.insert_number(&NewNumber::new(co, e164(FROM))).await.expect("number");
    let elsewhere = finalized(co, &number, "ev-elsewhere", "tx-elsewhere", "+13035550998");
    let stats = store.commit_batch(&[&elsewhere]).await.expect("commit");
    assert_eq!((stats.counted, stats.reconciled), (1, 0));
    let far = chrono::Utc::now().timestamp_millis() + 86_400_000;
    let retired = store.retire_status_links(far, far, 100).await.expect("retire");
    assert_eq!((retired.rows, retired.unmatched), (0, 0), "no status kept");
    // A message to that recipient queued and sent later does not take the old status.
    let now_us = chrono::Utc::now().timestamp_micros() + 1_000;
    enqueue(&store, co, &Sender::new(FROM, NumberType::LongCode), 1, now_us, 3_600_000).await;
    let planner = Planner::new(&switchboard::config::SendingSettings::default());
    let claimed = claim(&store, &planner, now_us).await;
    let sent = AttemptEnd::Sent { telnyx_message_id: "tx-elsewhere".into() };
    assert!(store.end_attempt(co, claimed[0].message.id, &sent, now_us / 1000).await.expect("end"));
    assert_eq!(store.get_outbound(co, claimed[0].message.id).await.expect("message").status, SendStatus::Sent);
}

/// A number of another company than [`FROM`]'s.
const OTHER_FROM: &str = "+14155550101";

async fn a_status_of_a_company_without_queued_messages_is_counted_and_not_kept(db: Db) {
    // A status to several recipients (no one recipient to check) is kept while its company has
    // queued messages, and not when the company never queued one (it sends around switchboard).
    let (_db, store) = fresh_store(db).await;
    let (quiet, sender) = (company(&store).await, company(&store).await);
    let quiet_number = store.insert_number(&NewNumber::new(quiet, e164(FROM))).await.expect("number");
    let now_us = chrono::Utc::now().timestamp_micros();
    enqueue(&store, sender, &Sender::new(OTHER_FROM, NumberType::LongCode), 1, now_us, 3_600_000).await;
    let sender_number = store.insert_number(&NewNumber::new(sender, e164(OTHER_FROM))).await.expect("number");
    let group = |co, number, from: &str, event: &str, telnyx_id: &str| {
        let mut entry = finalized(co, number, event, telnyx_id, "+13035550998");
        entry.counts[0].phone_number = e164(from);
        entry.message_statuses[0].from = from.into();
        entry.message_statuses[0].to = None;
        entry
    };
    let a = group(quiet, &quiet_number, FROM, "ev-quiet", "tx-quiet");
    let b = group(sender, &sender_number, OTHER_FROM, "ev-sender", "tx-sender");
    let stats = store.commit_batch(&[&a, &b]).await.expect("commit");
    assert_eq!((stats.counted, stats.reconciled), (2, 0), "both counted");
    let far = chrono::Utc::now().timestamp_millis() + 86_400_000;
    let retired = store.retire_status_links(far, far, 100).await.expect("retire");
    assert_eq!(
        (retired.rows, retired.unmatched),
        (1, 1),
        "only the status of the company with queued messages was kept"
    );
}

async fn kept_statuses_and_links_are_retired(db: Db) {
    // A status for an id no message has while a message to its recipient awaits an id (kept),
    // and a link the worker wrote with a sent message.
    let (_db, store) = fresh_store(db).await;
    let co = company(&store).await;
    let number = store.insert_number(&NewNumber::new(co, e164(FROM))).await.expect("number");
    let t0_us = chrono::Utc::now().timestamp_micros();
    enqueue(&store, co, &Sender::new(FROM, NumberType::LongCode), 2, t0_us, 3_600_000).await;
    let planner = Planner::new(&switchboard::config::SendingSettings {
        long_code_per_minute: 600_000.0,
        ..switchboard::config::SendingSettings::default()
    });
    let claimed = claim(&store, &planner, t0_us).await;
    assert_eq!(claimed.len(), 2);
    let kept = finalized(co, &number, "ev-nobody", "tx-nobody", claimed[1].message.to.as_str());
    assert_eq!(store.commit_batch(&[&kept]).await.expect("commit").reconciled, 0);
    // After the commit (which stamps the kept status with its own clock).
    let now_us = chrono::Utc::now().timestamp_micros() + 1_000;
    let now_ms = now_us / 1000;
    let (linked, late) = (&claimed[0].message, &claimed[1].message);
    let sent = AttemptEnd::Sent { telnyx_message_id: "tx-linked".into() };
    assert!(store.end_attempt(co, linked.id, &sent, now_ms).await.expect("end"));

    // The worker's retirement: links after LINK_KEEP_MS, kept statuses after
    // sending.unmatched_status_secs (the default, an hour); nothing younger.
    let settings = switchboard::config::SendingSettings::default();
    let clock = std::sync::Arc::new(switchboard::sendq::ManualClock::at_us(now_us));
    let worker = switchboard::sendq::SendWorker::new(
        store.clone(),
        switchboard::telnyx::api::TelnyxApi(None),
        &settings,
        clock,
        std::sync::Arc::new(Default::default()),
    );
    let none = store.retire_status_links(now_ms - 10_000, now_ms - 10_000, 100).await.expect("retire");
    assert_eq!((none.rows, none.unmatched), (0, 0), "nothing is that old yet");
    worker.retire_links(now_ms + switchboard::sendq::worker::LINK_KEEP_MS + 1).await.expect("retire");
    let left = store.retire_status_links(now_ms + 1, now_ms - 3_600_000, 100).await.expect("retire");
    assert_eq!((left.rows, left.unmatched), (0, 0), "the link went, the kept status stays within its hour");
    worker.retire_links(now_ms + 3_600_000 + 1).await.expect("retire");
    let after = store.retire_status_links(now_ms + 1, now_ms + 1, 100).await.expect("retire");
    assert_eq!((after.rows, after.unmatched), (0, 0), "both retired by the worker");
    // The kept status is gone: the id recorded now finds nothing to apply.
    let sent = AttemptEnd::Sent { telnyx_message_id: "tx-nobody".into() };
    assert!(store.end_attempt(co, late.id, &sent, now_ms).await.expect("end"));
    assert_eq!(store.get_outbound(co, late.id).await.expect("message").status, SendStatus::Sent);
}
