//! The dedupe purge: keys older than the cutoff go, in chunks; newer keys stay and keep deciding.
use chrono::{Duration, Utc};
use switchboard::ledger::store::purge_dedupe_all;
use switchboard::ledger::LedgerEntry;
use switchboard::store::NumberFilter;

use crate::backend_tests;
use crate::helpers::{sms_received_entries, spawn_app, Db};

backend_tests!(purge_deletes_old_keys_in_chunks_and_keeps_new_ones);

async fn purge_deletes_old_keys_in_chunks_and_keeps_new_ones(db: Db) {
    let app = spawn_app(db).await;
    let store = app.store.as_ref();
    let (company, entries) = sms_received_entries(store, 25).await;
    let refs: Vec<&LedgerEntry> = entries.iter().collect();
    assert_eq!(store.commit_batch(&refs).await.unwrap().counted, 25);

    // Keys received after the cutoff stay.
    assert_eq!(purge_dedupe_all(store, Utc::now() - Duration::hours(1), 10).await.unwrap(), 0);
    assert_eq!(store.commit_batch(&refs).await.unwrap().duplicates, 25, "still deciding");

    // Past the retention: one chunk, then the rest.
    let later = Utc::now() + Duration::hours(1);
    assert_eq!(store.purge_dedupe(later, 10).await.unwrap(), 10);
    assert_eq!(purge_dedupe_all(store, later, 10).await.unwrap(), 15);
    assert_eq!(store.purge_dedupe(later, 10).await.unwrap(), 0);
    // With its key gone, a (very late) redelivery counts again: why the retention must outlast
    // Telnyx's redelivery window.
    assert_eq!(store.commit_batch(&refs[..1]).await.unwrap().counted, 1);
    let n = &store.list_numbers(company, NumberFilter::default()).await.unwrap()[0];
    assert_eq!(n.usage.sms_received_count, 26);
}
