//! Upgrading to migration 0028 on PostgreSQL: each day partition gets its own unique key, in the
//! order events occur (company_id, occurred_at, event_id, phone_number), and keys counted before
//! the upgrade, written without occurred_at, still make their redeliveries duplicates: in a day
//! partition that held keys, and in the default partition, also once their day's partition is
//! created and they move into it.
use chrono::{Duration, NaiveDate, Utc};
use sqlx::{Connection, PgConnection, PgPool};
use switchboard::domain::{CompanyId, PhoneNumber, PhoneNumberId};
use switchboard::ledger::{CountKey, Counter, LedgerEntry};
use switchboard::store::dedupe_partitions::{day_partitions, partition_name, KEY_IN_TIME_ORDER, KEY_WITHOUT_TIME};
use switchboard::store::{self, NumberFilter};

use crate::helpers::{test_settings, unique_keys, Db, TestDb};
use crate::upgrade::before;

/// Event `event`, occurred `at`, counting one received message at `number` (+18314280176).
pub(crate) fn received(company: CompanyId, number: uuid::Uuid, event: &str, at: chrono::DateTime<Utc>) -> LedgerEntry {
    let mut e = LedgerEntry::new(event.into());
    e.occurred_at = Some(at);
    e.counts.push(CountKey {
        company_id: company,
        phone_number_id: PhoneNumberId::from_uuid(number),
        phone_number: PhoneNumber::parse("+18314280176").unwrap(),
        counter: Counter::SmsReceived,
        event_key: None,
        route: None,
    });
    e
}

fn noon(day: NaiveDate) -> chrono::DateTime<Utc> {
    day.and_hms_opt(12, 0, 0).unwrap().and_utc()
}

#[actix_web::test]
async fn keys_counted_before_the_time_ordered_key_still_decide() {
    // Arrange: the previous release's schema and what it held. Today's partition has a key; the
    // next day's partition is empty; a key of a day far ahead waits in the default partition.
    let test_db = TestDb::new(Db::Postgres).await;
    let mut conn = PgConnection::connect(&test_db.url).await.unwrap();
    before(&store::postgres::MIGRATOR, 28).run(&mut conn).await.expect("older migrations");
    let (company, number) = (CompanyId::new(), uuid::Uuid::new_v4());
    let today = Utc::now().date_naive();
    let far = today + Duration::days(20);
    for day in [today, today + Duration::days(1)] {
        let sql = format!(
            "CREATE TABLE {} PARTITION OF webhook_events FOR VALUES FROM ('{day}') TO ('{}')",
            partition_name(day),
            day + Duration::days(1)
        );
        sqlx::query(&sql).execute(&mut conn).await.unwrap();
    }
    sqlx::query("INSERT INTO companies (id, name, created_at) VALUES ($1, 'Acme', now())")
        .bind(company.as_uuid())
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO phone_numbers (id, company_id, phone_number, formatted_number, created_at, updated_at, \
         sms_received_count) VALUES ($2, $1, '+18314280176', '+1 831-428-0176', now(), now(), 2)",
    )
    .bind(company.as_uuid())
    .bind(number)
    .execute(&mut conn)
    .await
    .unwrap();
    for (event, day) in [("ev-today", today), ("ev-far", far)] {
        sqlx::query(
            "INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, occurred_day) \
             VALUES ($1, $2, '+18314280176', 'sms_received', now(), $3)",
        )
        .bind(company.as_uuid())
        .bind(event)
        .bind(day)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();

    // Act: this release migrates, then keeps its partitions as at start.
    let store = store::connect(&test_settings(&test_db.url).database).await.expect("store");
    store.migrate().await.expect("upgrade");
    let pool = PgPool::connect(&test_db.url).await.unwrap();
    let dropped = !day_partitions(&pool).await.unwrap().contains(&(today + Duration::days(1)));
    store.maintain_partitions(today, Utc::now() - Duration::hours(1)).await.unwrap();

    // Assert: the partition with keys kept its key; the empty one came back with the new key.
    assert!(dropped, "the empty day partition is dropped by the migration");
    let old_key = vec![format!("{KEY_WITHOUT_TIME}, occurred_day")];
    assert_eq!(unique_keys(&pool, &partition_name(today)).await, old_key);
    assert_eq!(unique_keys(&pool, &partition_name(today + Duration::days(1))).await, vec![KEY_IN_TIME_ORDER]);
    // The redelivery of today's key (now with its occurred_at) is a duplicate; a new event counts.
    let at = noon(today);
    let today_again = received(company, number, "ev-today", at);
    let new = received(company, number, "ev-new", at);
    let stats = store.commit_batch(&[&today_again, &new]).await.unwrap();
    assert_eq!((stats.counted, stats.duplicates), (1, 1));
    assert_eq!(store.commit_batch(&[&new]).await.unwrap().duplicates, 1, "new keys decide too");

    // Act: days go by; the far day's partition is created and its pre-upgrade key moves in.
    let work = store.maintain_partitions(far, Utc::now() - Duration::hours(1)).await.unwrap();

    // Assert: that partition keeps the key its moved key was counted with, and it decides.
    assert_eq!(work.moved, 1, "{work:?}");
    let far_again = received(company, number, "ev-far", noon(far));
    let far_new = received(company, number, "ev-far-new", noon(far));
    let stats = store.commit_batch(&[&far_again, &far_new]).await.unwrap();
    assert_eq!((stats.counted, stats.duplicates), (1, 1));
    assert_eq!(store.commit_batch(&[&far_new]).await.unwrap().duplicates, 1);
    assert_eq!(unique_keys(&pool, &partition_name(far)).await, vec![KEY_WITHOUT_TIME]);
    let numbers = store.list_numbers(company, NumberFilter::default()).await.unwrap();
    assert_eq!(numbers[0].usage.sms_received_count, 4, "2 before the upgrade, ev-new and ev-far-new");
    store.close().await;
}

#[actix_web::test]
async fn the_previous_release_cannot_attach_a_day_partition_without_a_key() {
    // Arrange: this release's schema.
    let test_db = TestDb::new(Db::Postgres).await;
    let store = store::connect(&test_settings(&test_db.url).database).await.expect("store");
    store.migrate().await.expect("migrate");
    let mut conn = PgConnection::connect(&test_db.url).await.unwrap();
    let day = Utc::now().date_naive() + Duration::days(40);
    let name = partition_name(day);

    // Act: a day partition made the way the previous release makes one (no unique key).
    sqlx::query(&format!("CREATE TABLE {name} (LIKE webhook_events INCLUDING DEFAULTS)"))
        .execute(&mut conn)
        .await
        .unwrap();
    let attach = format!(
        "ALTER TABLE webhook_events ATTACH PARTITION {name} FOR VALUES FROM ('{day}') TO ('{}')",
        day + Duration::days(1)
    );
    let refused = sqlx::query(&attach).execute(&mut conn).await;

    // Assert: refused (a partition without a key would count its events once per delivery).
    let err = refused.expect_err("attached a partition without the release's constraint").to_string();
    assert!(err.contains("webhook_events_day_of_occurred_at"), "{err}");
    store.close().await;
}
