//! A message's life in the queue: expiry when its limiters leave no time, Telnyx's 429 slowing its
//! sender, a worker that died mid-send leaving an `unknown` message that is never sent again, and
//! a send its busy node could not make near its slot queued again, unsent; and answers recorded
//! in one batch.
use std::sync::Arc;

use serde_json::{json, Value};
use switchboard::config::SendingSettings;
use switchboard::domain::NumberType;
use switchboard::sendq::{ManualClock, Planner, SendWorker};
use switchboard::store::send_queue::{OutboundFilter, SendStatus};
use switchboard::store::Window;
use switchboard::telnyx::api::TelnyxApi;

use super::{
    accept_all, app_on_sim, claim, company, company_sending_from, enqueue, fresh_store, get, provisioned, Sender, FROM,
    T0_US,
};
use crate::admin_support::eventually;
use crate::backend_tests;
use crate::helpers::Db;
use crate::telnyx_sim::{RateLimit, TelnyxSim};

backend_tests!(
    a_message_its_limiter_cannot_send_in_time_expires,
    a_429_from_telnyx_slows_that_sender,
    a_message_left_sending_by_a_dead_worker_ends_unknown,
    status_webhooks_settle_the_message_once,
    a_send_whose_slot_passed_is_queued_again_unsent,
    one_batch_records_every_answer_and_leaves_settled_messages_alone
);

async fn a_message_its_limiter_cannot_send_in_time_expires(db: Db) {
    let (_db, store) = fresh_store(db).await;
    let settings = SendingSettings::default();
    let planner = Planner::new(&settings);
    let co = company(&store).await;
    // A plain long code: one message per 10 s. Two messages valid for 5 s each.
    enqueue(&store, co, &Sender::new("+14155550100", NumberType::LongCode), 2, T0_US, 5_000).await;
    let first = claim(&store, &planner, T0_US).await;
    assert_eq!(first.len(), 1, "one slot in the first 10 s");
    accept_all(&store, &first, T0_US).await;
    assert!(claim(&store, &planner, T0_US + 4_000_000).await.is_empty(), "no slot before T0 + 10 s");

    let clock = ManualClock::at_us(T0_US + 5_000_000);
    let worker =
        SendWorker::new(store.clone(), TelnyxApi(None), &settings, Arc::new(clock), Arc::new(Default::default()));
    worker.run_once().await.expect("worker");
    let all = store.page_outbound(co, &OutboundFilter::default(), &Window::first(10)).await.expect("list");
    let mut statuses: Vec<SendStatus> = all.iter().map(|m| m.status).collect();
    statuses.sort_by_key(|s| s.as_str());
    assert_eq!(statuses, vec![SendStatus::Expired, SendStatus::Sent]);
    let expired = all.iter().find(|m| m.status == SendStatus::Expired).expect("expired");
    assert_eq!((expired.attempts, expired.telnyx_message_id.as_deref()), (0, None), "never sent");
}

async fn a_429_from_telnyx_slows_that_sender(db: Db) {
    let sim = TelnyxSim::start().await;
    // The account takes one message per second and answers 429 / 40011 past it, Retry-After 30 s.
    sim.set_message_rate_limit(Some(RateLimit { per_second: 1, per_sender: false, retry_after_secs: 30 }));
    let app = app_on_sim(crate::helpers::TestDb::new(db).await, &sim).await;
    let co = provisioned(&app).await;
    let mut ids = Vec::new();
    for text in ["one", "two"] {
        let res = crate::provisioning::post(
            &app,
            &format!("/v1/companies/{co}/messages"),
            json!({"to": "+13035550100", "text": text, "from": FROM}),
        )
        .await;
        assert_eq!(res.status(), 202);
        let body: Value = res.json().await.expect("json");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    // One goes out; the other is refused (429) and queued again, its sender paused for 30 s.
    let requeued = eventually("a message rate-limited and queued again", || async {
        for id in &ids {
            let m = get(&app, &format!("/v1/companies/{co}/messages/{id}")).await;
            if m["status"] == "queued" && m["attempts"] == 1 {
                return Some(m);
            }
        }
        None
    })
    .await;
    assert!(requeued["error_detail"].as_str().unwrap_or_default().contains("429"), "{requeued}");
    let limiter = app.store.limiters(&[format!("sender:{FROM}")]).await.expect("limiters");
    let paused_for_us = limiter[0].tat_us - chrono::Utc::now().timestamp_micros();
    assert!(paused_for_us > 25_000_000, "the sender is paused for {paused_for_us} µs, not ~30 s");
    let sent: Vec<_> = sim.requests_to("POST /messages");
    assert_eq!(sent.iter().map(|r| r.status).collect::<Vec<_>>(), vec![200, 429], "one accepted, one refused");
    let send_at = chrono::DateTime::parse_from_rfc3339(requeued["send_at"].as_str().expect("send_at")).expect("time");
    assert!(send_at > chrono::Utc::now() + chrono::Duration::seconds(25), "due again after Retry-After: {requeued}");
}

async fn a_message_left_sending_by_a_dead_worker_ends_unknown(db: Db) {
    // A worker claimed the message (the attempt is recorded) and died before Telnyx answered:
    // its lease has run out when the daemon starts.
    let (test_db, store) = fresh_store(db).await;
    let co = company_sending_from(&store, FROM).await;
    let now_us = chrono::Utc::now().timestamp_micros();
    enqueue(&store, co, &Sender::new(FROM, NumberType::LongCode), 1, now_us, 3_600_000).await;
    // The daemon's own pace (the test settings'), so the next message has a slot at once.
    let planner = Planner::new(&SendingSettings { long_code_per_minute: 600_000.0, ..SendingSettings::default() });
    let leased = store.claim_sends(now_us, now_us / 1000 - 1, planner.claim_size(), &planner).await.expect("claim");
    assert_eq!(leased.len(), 1);
    let id = leased[0].message.id;
    store.close().await;

    let sim = TelnyxSim::start().await;
    let app = app_on_sim(test_db, &sim).await;
    let m = eventually("the orphan marked unknown", || async {
        let m = get(&app, &format!("/v1/companies/{co}/messages/{id}")).await;
        (m["status"] == "unknown").then_some(m)
    })
    .await;
    assert_eq!(m["attempts"], 1, "{m}");
    assert!(m["error_detail"].as_str().unwrap_or_default().contains("not sent again"), "{m}");
    // The queue goes on (a new message is sent) and the orphan was never sent again.
    let res = crate::provisioning::post(
        &app,
        &format!("/v1/companies/{co}/messages"),
        json!({"to": "+13035550100", "text": "next", "from": FROM}),
    )
    .await;
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap_or_default());
    let sent = eventually("the next message sent", || async {
        let sent = sim.requests_to("POST /messages");
        (!sent.is_empty()).then_some(sent)
    })
    .await;
    let texts: Vec<_> = sent.iter().map(|r| r.body.as_ref().map(|b| b["text"].clone())).collect();
    assert_eq!(texts, vec![Some(json!("next"))], "the orphan was sent again");
}

async fn status_webhooks_settle_the_message_once(db: Db) {
    use switchboard::telnyx::client::{CountryCode, NewMessagingProfile};
    let sim = TelnyxSim::start().await;
    // Telnyx sends message.sent, then message.finalized: the carrier blocked it as spam.
    sim.set_message_outcome(Some(crate::telnyx_sim::MessageOutcome::DeliveryFailed(40003)));
    let app = app_on_sim(crate::helpers::TestDb::new(db).await, &sim).await;
    let co = provisioned(&app).await;
    let profile = NewMessagingProfile {
        name: "acme".into(),
        whitelisted_destinations: vec![CountryCode::US],
        webhook_url: url::Url::parse(&format!("{}/webhooks/telnyx", app.address)).expect("url"),
        webhook_failover_url: None,
    };
    let profile = crate::simulator::client(&sim).create_messaging_profile(&profile).await.expect("profile");
    let mut settings = app.store.get_settings(co).await.expect("settings");
    settings.messaging_profile_id = Some(profile);
    app.directory.put_settings(co, &settings).await.expect("settings");

    let res = crate::provisioning::post(
        &app,
        &format!("/v1/companies/{co}/messages"),
        json!({"to": "+13035550100", "text": "offer", "from": FROM}),
    )
    .await;
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_owned();
    let m = eventually("the message finalized", || async {
        let m = get(&app, &format!("/v1/companies/{co}/messages/{id}")).await;
        (m["status"] == "delivery_failed").then_some(m)
    })
    .await;
    assert_eq!(m["error_code"], "40003", "{m}");
    let telnyx_id = m["telnyx_message_id"].as_str().expect("telnyx id").to_owned();
    assert_eq!(sim.messages()[0].id, telnyx_id);
    // A late (redelivered) message.sent takes nothing back.
    let late = sim.message_sent(&telnyx_id).await;
    assert_eq!(late.status, Some(200));
    let m = get(&app, &format!("/v1/companies/{co}/messages/{id}")).await;
    assert_eq!((m["status"].as_str(), m["error_code"].as_str()), (Some("delivery_failed"), Some("40003")), "{m}");
    // The list filters by status.
    let failed = get(&app, &format!("/v1/companies/{co}/messages?status=delivery_failed")).await;
    assert_eq!(failed["data"].as_array().map(Vec::len), Some(1), "{failed}");
    let queued = get(&app, &format!("/v1/companies/{co}/messages?status=queued")).await;
    assert_eq!(queued["data"], json!([]), "{queued}");
}

async fn a_send_whose_slot_passed_is_queued_again_unsent(db: Db) {
    let sim = TelnyxSim::start().await;
    let (test_db, store) = fresh_store(db).await;
    let co = company_sending_from(&store, FROM).await;
    // A toll-free number: 19/s with the 5% headroom, so two messages get slots ~53 ms apart.
    enqueue(&store, co, &Sender::new(FROM, NumberType::TollFree), 2, T0_US, 3_600_000).await;
    let settings = SendingSettings::default();
    let claimed = claim(&store, &Planner::new(&settings), T0_US).await;
    assert_eq!(claimed.len(), 2, "both have a slot within the claim's horizon");
    let (on_time, late) = (&claimed[0], &claimed[1]);
    assert!(late.send_at_us > on_time.send_at_us);

    let mut daemon = crate::helpers::test_settings(&test_db.url);
    daemon.telnyx.api_key = Some("KEYsim_late".to_string().into());
    daemon.telnyx.base_url = sim.base_url();
    let telnyx = TelnyxApi::from_settings(&daemon.telnyx).expect("telnyx");
    let clock = ManualClock::at_us(0);
    let worker =
        SendWorker::new(store.clone(), telnyx, &settings, Arc::new(clock.clone()), Arc::new(Default::default()));
    let allowed_us = settings.max_slot_lateness_ms as i64 * 1000;
    // Within the allowed lateness it goes; past it, it does not reach Telnyx.
    clock.set_us(on_time.send_at_us + allowed_us);
    worker.send(on_time.clone()).await;
    clock.set_us(late.send_at_us + allowed_us + 1_000);
    worker.send(late.clone()).await;

    let posted: Vec<_> = sim.requests_to("POST /messages");
    assert_eq!(posted.len(), 1, "only the send within its lateness reached Telnyx");
    let all = store.page_outbound(co, &OutboundFilter::default(), &Window::first(10)).await.expect("list");
    let status = |id| all.iter().find(|m| m.id == id).expect("message");
    assert_eq!(status(on_time.message.id).status, SendStatus::Sent);
    let requeued = status(late.message.id);
    assert_eq!((requeued.status, requeued.telnyx_message_id.as_deref()), (SendStatus::Queued, None));
    let detail = requeued.error_detail.as_deref().unwrap_or_default();
    assert!(detail.contains("slot passed 26 ms"), "{detail}");
    assert_eq!(requeued.send_at_ms, late.send_at_us.div_euclid(1000) + 26, "due again at once, for a new slot");
    // A later claim gives it a new slot and it goes.
    let again = claim(&store, &Planner::new(&settings), late.send_at_us + 30_000).await;
    assert_eq!(again.iter().map(|c| c.message.id).collect::<Vec<_>>(), vec![late.message.id]);
}

async fn one_batch_records_every_answer_and_leaves_settled_messages_alone(db: Db) {
    use switchboard::store::send_queue::AttemptEnd;
    use switchboard::store::send_transitions::EndedAttempt;
    let (_db, store) = fresh_store(db).await;
    let co = company(&store).await;
    enqueue(&store, co, &Sender::new("+18005550100", NumberType::TollFree), 4, T0_US, 3_600_000).await;
    let claimed = claim(&store, &Planner::new(&SendingSettings::default()), T0_US).await;
    assert_eq!(claimed.len(), 4);
    let ids: Vec<_> = claimed.iter().map(|c| c.message.id).collect();
    let ended = |i: usize, end: AttemptEnd| EndedAttempt { company: co, id: ids[i], end, now_ms: T0_US / 1000 + 10 };
    // The fourth was already answered: its second answer changes nothing.
    let first = [ended(3, AttemptEnd::Sent { telnyx_message_id: "tx-3".into() })];
    assert_eq!(store.end_attempts(&first).await.expect("first"), 1);
    let batch = [
        ended(0, AttemptEnd::Sent { telnyx_message_id: "tx-0".into() }),
        ended(
            1,
            AttemptEnd::Failed { status: SendStatus::SendingFailed, code: Some("40008".into()), detail: "no".into() },
        ),
        ended(2, AttemptEnd::Requeued { send_at_ms: T0_US / 1000 + 2_000, detail: "429".into() }),
        ended(3, AttemptEnd::Requeued { send_at_ms: T0_US / 1000 + 2_000, detail: "late".into() }),
    ];
    assert_eq!(store.end_attempts(&batch).await.expect("batch"), 3, "three changed, one left alone");
    let get = |i: usize| {
        let store = store.clone();
        let id = ids[i];
        async move { store.get_outbound(co, id).await.expect("message") }
    };
    let (sent, failed, queued, settled) = (get(0).await, get(1).await, get(2).await, get(3).await);
    assert_eq!((sent.status, sent.telnyx_message_id.as_deref()), (SendStatus::Sent, Some("tx-0")));
    assert_eq!((failed.status, failed.error_code.as_deref()), (SendStatus::SendingFailed, Some("40008")));
    assert_eq!((queued.status, queued.send_at_ms), (SendStatus::Queued, T0_US / 1000 + 2_000));
    assert_eq!((settled.status, settled.telnyx_message_id.as_deref()), (SendStatus::Sent, Some("tx-3")));
}

/// SQLite refuses a write after its busy timeout (5 s) while another writer holds the lock: the
/// answer of a message that went out is tried again and recorded, not lost (in the benchmark, one
/// such refusal left a sent message `unknown`).
#[actix_web::test]
async fn an_answer_sqlite_refused_while_locked_is_recorded_once_it_can_be() {
    use sqlx::Connection;
    use switchboard::sendq::recorder::Recorder;
    use switchboard::store::send_queue::AttemptEnd;
    use switchboard::store::send_transitions::EndedAttempt;
    let (test_db, store) = fresh_store(Db::Sqlite).await;
    let co = company(&store).await;
    enqueue(&store, co, &Sender::new("+18005550100", NumberType::TollFree), 1, T0_US, 3_600_000).await;
    let claimed = claim(&store, &Planner::new(&SendingSettings::default()), T0_US).await;
    let id = claimed[0].message.id;

    let mut other = sqlx::SqliteConnection::connect(&test_db.url).await.expect("connect");
    sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await.expect("the write lock");
    let recorder = Recorder::spawn(store.clone());
    let end = EndedAttempt {
        company: co,
        id,
        end: AttemptEnd::Sent { telnyx_message_id: "tx-1".into() },
        now_ms: T0_US / 1000,
    };
    let recording = tokio::spawn(async move { recorder.record(end).await });
    // Held past the busy timeout, so the first try fails; the retry waits for the lock.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    assert!(!recording.is_finished(), "recorded while another writer held the lock");
    sqlx::query("COMMIT").execute(&mut other).await.expect("release");
    assert_eq!(recording.await.expect("task"), Some(true), "the answer was given up on");
    let m = store.get_outbound(co, id).await.expect("message");
    assert_eq!((m.status, m.telnyx_message_id.as_deref()), (SendStatus::Sent, Some("tx-1")));
}
