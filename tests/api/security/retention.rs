//! What is kept for operators is purged after its retention (dead letters with their payloads,
//! settled outbox items with message texts, finished jobs); what is still to do stays.
use std::sync::Arc;

use chrono::{Duration, Utc};
use switchboard::config::RetentionSettings;
use switchboard::domain::CompanyId;
use switchboard::ledger::outbox_item::OutboxItem;
use switchboard::ledger::{DeadLetter, LedgerEntry};
use switchboard::store::retention::purge_expired;
use switchboard::store::JobRecord;

use crate::backend_tests;
use crate::helpers::{spawn_app, Db};

backend_tests!(old_records_are_purged_and_pending_work_stays);

async fn old_records_are_purged_and_pending_work_stays(db: Db) {
    let app = spawn_app(db).await;
    let company = CompanyId::new();
    app.store.create_company(company, "Acme").await.unwrap();
    let mut dead = LedgerEntry::new(Arc::from("ev-dead"));
    dead.dead_letter = Some(DeadLetter {
        event_type: "message.received".into(),
        reason: "unknown_number",
        payload: "{}".into(),
        phone_number: None,
    });
    app.store.commit_batch(&[&dead]).await.unwrap();
    let items: Vec<OutboxItem> = ["ev-delivered", "ev-failed", "ev-pending"]
        .iter()
        .map(|e| OutboxItem::call_hangup(company, e, "v3:x"))
        .collect();
    app.store.insert_outbox_items(&items).await.unwrap();
    app.store.mark_outbox_delivered(items[0].id, 1).await.unwrap();
    app.store.mark_outbox_failed(items[1].id, 8, "receiver answered 500").await.unwrap();
    for (state, id) in [("done", uuid::Uuid::new_v4()), ("failed", uuid::Uuid::new_v4())] {
        let now = Utc::now();
        let job = JobRecord {
            id,
            company_id: company,
            kind: "purchase".into(),
            request: serde_json::json!({"quantity": 1}),
            state: state.into(),
            step: "done".into(),
            progress: serde_json::json!({}),
            error: None,
            created_at: now,
            updated_at: now,
        };
        app.store.insert_job(&job).await.unwrap();
    }
    let kept = RetentionSettings {
        dead_letters_days: 30,
        outbox_delivered_days: 7,
        outbox_failed_days: 30,
        jobs_done_days: 30,
    };
    let left = |_: ()| async {
        let outbox: Vec<String> =
            app.store.list_outbox(company, 10).await.unwrap().into_iter().map(|e| e.item.event_id).collect();
        let jobs = app.store.latest_job(company, "purchase").await.unwrap().map(|j| j.state);
        (app.store.dead_letters(10).await.unwrap().len(), outbox.len(), jobs)
    };
    // Eight days on: delivered items go, nothing else.
    purge_expired(app.store.as_ref(), &kept, Utc::now() + Duration::days(8)).await;
    let (dead_letters, outbox, _) = left(()).await;
    assert_eq!((dead_letters, outbox), (1, 2));
    // A month on: dead letters, failed items and done jobs go; pending work and failed jobs stay.
    purge_expired(app.store.as_ref(), &kept, Utc::now() + Duration::days(31)).await;
    let (dead_letters, outbox, job) = left(()).await;
    assert_eq!((dead_letters, outbox), (0, 1));
    assert_eq!(app.store.list_outbox(company, 10).await.unwrap()[0].item.event_id, "ev-pending");
    assert_eq!(job.as_deref(), Some("failed"), "a failed job may hold an order to reconcile: it stays");
}
