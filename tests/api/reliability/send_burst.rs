//! kill -9 during a send burst: the real binary sends a few hundred queued messages through the
//! Telnyx simulator, which takes each at once and answers slowly; the daemon is killed mid-burst
//! and started again on the same database. Every message ends `sent` (or later) with the id the
//! simulator gave it, or `unknown`; none is POSTed twice. The status webhooks Telnyx then sends
//! for every message it took reconcile the `unknown` ones it took: each ends with its own id.
use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::store::send_queue::{MessageContent, MessageKind, NewOutbound, OutboundFilter, SendStatus};
use switchboard::store::{self, CompanySettings, DynStore, NewNumber, Window};
use uuid::Uuid;

use super::daemon::{free_port, Daemon};
use super::report;
use crate::admin_support::eventually;
use crate::backend_tests;
use crate::helpers::{test_settings, Db, TestDb};
use crate::telnyx_sim::{MessageOutcome, TelnyxSim};

backend_tests!(kill_9_during_a_send_burst_sends_nothing_twice_and_leaves_nothing_unseen);

const FROM: &str = "+14155550100";

/// The recipient of message `i` (one per message: the simulator's log is read by recipient).
fn recipient(i: usize) -> String {
    format!("+1303555{:04}", i)
}

/// Queues `n` messages of a new company straight into the database (as POST .../messages does).
async fn queue(store: &DynStore, n: usize) -> CompanyId {
    let co = CompanyId::new();
    store.create_company(co, "Burst Co").await.expect("company");
    let from = PhoneNumber::parse(FROM).expect("e164");
    store.insert_number(&NewNumber::new(co, from.clone())).await.expect("number");
    let settings = CompanySettings { messaging_profile_id: Some("prof-burst".into()), ..Default::default() };
    store.put_settings(co, &settings).await.expect("settings");
    let now_ms = chrono::Utc::now().timestamp_millis();
    for i in 0..n {
        let m = NewOutbound {
            company_id: co,
            id: Uuid::new_v4(),
            from: from.clone(),
            to: PhoneNumber::parse(&recipient(i)).expect("e164"),
            kind: MessageKind::Sms,
            content: MessageContent {
                text: Some(format!("burst {i}")),
                media_urls: vec![],
                messaging_profile_id: "prof-burst".into(),
            },
            sender: Default::default(),
            reason: json!({"reason": "explicit"}),
            send_at_ms: now_ms,
            expires_at_ms: now_ms + 3_600_000,
            now_ms,
        };
        store.enqueue_outbound(&m).await.expect("enqueue");
    }
    co
}

async fn all_messages(
    store: &DynStore,
    co: CompanyId,
    n: usize,
) -> Vec<switchboard::store::send_queue::OutboundRecord> {
    let all = store.page_outbound(co, &OutboundFilter::default(), &Window::first(n as i64 + 1)).await.expect("list");
    assert_eq!(all.len(), n);
    all
}

async fn kill_9_during_a_send_burst_sends_nothing_twice_and_leaves_nothing_unseen(db: Db) {
    // Arrange: the messages queued; a Telnyx that takes each at once and answers 100 ms later.
    let n = if std::env::var("SWITCHBOARD_RELIABILITY").as_deref() == Ok("full") { 1000 } else { 300 };
    let test_db = TestDb::new(db).await;
    let store = store::connect(&test_settings(&test_db.url).database).await.expect("connect");
    store.migrate().await.expect("migrate");
    let co = queue(&store, n).await;
    let sim = TelnyxSim::start().await;
    sim.set_message_answer_delay(Some(Duration::from_millis(100)));
    let logs = tempfile::tempdir().expect("log dir");
    let log = logs.path().join("switchboard.log");
    let port = free_port();
    let env = [
        ("SWITCHBOARD__TELNYX__PUBLIC_KEY", sim.public_key_base64()),
        ("SWITCHBOARD__TELNYX__API_KEY", "KEYburst_test".to_owned()),
        ("SWITCHBOARD__TELNYX__BASE_URL", sim.base_url().to_string()),
        ("SWITCHBOARD__SENDING__LONG_CODE_PER_MINUTE", "600000".to_owned()),
        ("SWITCHBOARD__SENDING__ACCOUNT_SMS_PER_SECOND", "10000".to_owned()),
        ("SWITCHBOARD__SENDING__MAX_IN_FLIGHT", "32".to_owned()),
        ("SWITCHBOARD__SENDING__POLL_INTERVAL_MS", "50".to_owned()),
        // The shortest lease allowed: a message the killed daemon left `sending` is `unknown` soon.
        ("SWITCHBOARD__SENDING__LEASE_SECS", "10".to_owned()),
    ];
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let mut daemon = Daemon::start_with(&test_db.url, port, log.clone(), &env);
    sim.set_webhook_url(format!("{}/webhooks/telnyx", daemon.base));
    daemon.wait_ready(&client).await;

    // Act: kill -9 once a third of the messages reached Telnyx, then start it again.
    eventually("a third of the burst reached Telnyx", || async { (sim.messages().len() >= n / 3).then_some(()) }).await;
    assert!(daemon.alive(), "the daemon died by itself; log: {}", daemon.log_tail());
    daemon.kill_9();
    let taken_at_kill = sim.messages().len();
    let mut daemon = Daemon::start_with(&test_db.url, port, log.clone(), &env);
    daemon.wait_ready(&client).await;
    let settled = eventually_long("every message sent, failed or unknown", || async {
        let all = all_messages(&store, co, n).await;
        all.iter().all(|m| !matches!(m.status, SendStatus::Queued | SendStatus::Sending)).then_some(all)
    })
    .await;

    // Assert: nothing POSTed twice; every message Telnyx took and that is not unknown is sent
    // with Telnyx's id; every other one is unknown.
    let posted: Vec<String> = sim
        .requests_to("POST /messages")
        .iter()
        .filter_map(|r| r.body.as_ref().and_then(|b| b["to"].as_str()).map(str::to_owned))
        .collect();
    let mut times: HashMap<&str, usize> = HashMap::new();
    posted.iter().for_each(|to| *times.entry(to.as_str()).or_default() += 1);
    let twice: Vec<_> = times.iter().filter(|(_, k)| **k > 1).collect();
    assert!(twice.is_empty(), "POSTed more than once: {twice:?}");
    let taken: HashMap<String, String> =
        sim.messages().into_iter().map(|m| (m.to.first().cloned().unwrap_or_default(), m.id)).collect();
    let mut unknown = 0;
    for m in &settled {
        let telnyx = taken.get(m.to.as_str());
        match m.status {
            SendStatus::Unknown => unknown += 1,
            SendStatus::Sent => assert_eq!(m.telnyx_message_id.as_ref(), telnyx, "{m:?}"),
            other => panic!("{} ended {other:?}: {m:?}", m.to),
        }
    }
    assert!(unknown > 0, "the kill left nothing in flight: it did not happen mid-burst");
    // The worker claims no more than it has in flight (sending.max_in_flight = 32).
    assert!(unknown <= 32, "{unknown} messages stranded unknown by one kill, more than were in flight");
    assert_eq!(posted.len(), taken.len(), "every request Telnyx got took a message");

    // Telnyx's status webhooks for everything it took: each message it took ends delivered with
    // its own id, the unknown ones by reconciliation (one message per recipient).
    for (to, telnyx_id) in &taken {
        let delivery = sim.message_finalized(telnyx_id, MessageOutcome::Delivered).await;
        assert_eq!(delivery.status, Some(200), "message.finalized for {to}");
    }
    let after = all_messages(&store, co, n).await;
    let mut reconciled = 0;
    for m in &after {
        match taken.get(m.to.as_str()) {
            Some(telnyx) => {
                assert_eq!((m.status, m.telnyx_message_id.as_ref()), (SendStatus::Delivered, Some(telnyx)), "{m:?}");
                let before = settled.iter().find(|s| s.id == m.id).expect("same message");
                reconciled += usize::from(before.status == SendStatus::Unknown);
            }
            // Claimed by the killed daemon but never POSTed: unknown, and never sent.
            None => assert_eq!((m.status, m.telnyx_message_id.as_ref()), (SendStatus::Unknown, None), "{m:?}"),
        }
    }
    report(
        &format!("send_burst backend={db:?}"),
        &[
            ("messages", &n),
            ("taken_at_kill", &taken_at_kill),
            ("posted", &posted.len()),
            ("unknown_after_restart", &unknown),
            ("reconciled", &reconciled),
            ("never_posted", &(n - taken.len())),
        ],
    );
    assert!(daemon.alive(), "log: {}", daemon.log_tail());
    store.close().await;
}

/// [`eventually`] with room for the lease to run out after the restart (60 s, a hang bound).
async fn eventually_long<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: condition not met within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
