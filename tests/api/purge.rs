//! The dedupe purge: keys older than the cutoff go, in chunks; newer keys stay and keep deciding.
use chrono::{Duration, Utc};
use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::ledger::{CountKey, Counter, LedgerEntry};
use switchboard::store::ledger::purge_dedupe_all;
use switchboard::store::{NewNumber, NumberFilter};

use crate::backend_tests;
use crate::helpers::{spawn_app, Db};

backend_tests!(purge_deletes_old_keys_in_chunks_and_keeps_new_ones);

async fn purge_deletes_old_keys_in_chunks_and_keeps_new_ones(db: Db) {
    let app = spawn_app(db).await;
    let store = app.store.as_ref();
    let company = CompanyId::new();
    store.create_company(company, "Acme").await.unwrap();
    let phone = PhoneNumber::parse("+18314280176").unwrap();
    let number = store.insert_number(&NewNumber::new(company, phone.clone())).await.unwrap();
    let entries: Vec<LedgerEntry> = (0..25)
        .map(|i| {
            let mut e = LedgerEntry::new(format!("ev-{i}").into());
            e.counts.push(CountKey {
                company_id: company,
                phone_number_id: number.id,
                phone_number: phone.clone(),
                counter: Counter::SmsReceived,
                route: None,
            });
            e
        })
        .collect();
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
