//! The dedupe keys on PostgreSQL live in partitions by the UTC day their event occurred (migration
//! 0023, store/dedupe_partitions.rs): a key counts once in its day, a day without a partition is
//! kept in the default partition and moves into its day when that is created, and retention
//! drops whole days.
use chrono::{Duration, NaiveDate, Utc};
use sqlx::PgPool;
use switchboard::ledger::LedgerEntry;
use switchboard::store::dedupe_partitions::{day_partitions, partition_name, DAYS_AHEAD};
use switchboard::store::NumberFilter;

use crate::helpers::{sms_received_entries, spawn_app, Db, TestApp};

/// The partition holding the key of `event`, and how many keys it has (anywhere).
async fn where_is(pool: &PgPool, event: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT tableoid::regclass::text FROM webhook_events WHERE event_id = $1")
        .bind(event)
        .fetch_all(pool)
        .await
        .unwrap()
}

async fn received(app: &TestApp, company: switchboard::domain::CompanyId) -> i64 {
    app.store.list_numbers(company, NumberFilter::default()).await.unwrap()[0].usage.sms_received_count
}

/// `e` as Telnyx sends it when the event occurred at noon (UTC) on `day`.
fn on_day(mut e: LedgerEntry, day: NaiveDate) -> LedgerEntry {
    e.occurred_at = Some(day.and_hms_opt(12, 0, 0).unwrap().and_utc());
    e
}

#[actix_web::test]
async fn days_have_partitions_from_start_and_a_key_counts_once_in_its_day() {
    // Arrange: the daemon created the days kept and the next ones before it was ready.
    let app = spawn_app(Db::Postgres).await;
    let pool = PgPool::connect(&app.db.url).await.unwrap();
    let today = Utc::now().date_naive();
    let days = day_partitions(&pool).await.unwrap();
    for ahead in 0..=DAYS_AHEAD {
        assert!(days.contains(&(today + Duration::days(ahead))), "{days:?} lacks today+{ahead}");
    }
    let (company, entries) = sms_received_entries(app.store.as_ref(), 1).await;
    let yesterday = on_day(entries[0].clone(), today - Duration::days(1));

    // Act: the event, then two redeliveries (the same occurred_at, so the same day).
    let first = app.store.commit_batch(&[&yesterday]).await.unwrap();
    let again = app.store.commit_batch(&[&yesterday, &yesterday]).await.unwrap();

    // Assert
    assert_eq!((first.counted, again.counted), (1, 0));
    assert_eq!(where_is(&pool, "ev-0").await, vec![partition_name(today - Duration::days(1))]);
    assert_eq!(received(&app, company).await, 1);
}

#[actix_web::test]
async fn a_day_without_partition_waits_in_the_default_and_moves_when_its_day_is_created() {
    // Arrange: an event from further ahead than the partitions go (a clock far off).
    let app = spawn_app(Db::Postgres).await;
    let pool = PgPool::connect(&app.db.url).await.unwrap();
    let later = Utc::now().date_naive() + Duration::days(DAYS_AHEAD + 5);
    let (company, entries) = sms_received_entries(app.store.as_ref(), 1).await;
    let event = on_day(entries[0].clone(), later);
    assert_eq!(app.store.commit_batch(&[&event]).await.unwrap().counted, 1);
    assert_eq!(where_is(&pool, "ev-0").await, vec!["webhook_events_undated".to_string()]);

    // Act: days go by; the upkeep creates that day's partition.
    let work = app.store.maintain_partitions(later, Utc::now() - Duration::hours(1)).await.unwrap();

    // Assert: the key moved into its day, where it still decides.
    assert!(work.created >= 1 && work.moved == 1, "{work:?}");
    assert_eq!(where_is(&pool, "ev-0").await, vec![partition_name(later)]);
    assert_eq!(app.store.commit_batch(&[&event]).await.unwrap().duplicates, 1);
    assert_eq!(received(&app, company).await, 1);
}

#[actix_web::test]
async fn retention_drops_whole_days_and_keeps_the_ones_within_it() {
    // Arrange: an event three days ago and one today, each in its day.
    let app = spawn_app(Db::Postgres).await;
    let pool = PgPool::connect(&app.db.url).await.unwrap();
    let today = Utc::now().date_naive();
    let (company, entries) = sms_received_entries(app.store.as_ref(), 2).await;
    let old = on_day(entries[0].clone(), today - Duration::days(3));
    let recent = on_day(entries[1].clone(), today);
    assert_eq!(app.store.commit_batch(&[&old, &recent]).await.unwrap().counted, 2);

    // Act: a retention that ends yesterday at 00:00 UTC.
    let cutoff = (today - Duration::days(1)).and_hms_opt(0, 0, 0).unwrap().and_utc();
    let work = app.store.maintain_partitions(today, cutoff).await.unwrap();

    // Assert: the days before yesterday are gone with their keys; today's key still decides.
    assert!(work.dropped >= 2, "{work:?}");
    let days = day_partitions(&pool).await.unwrap();
    assert_eq!(days.first(), Some(&(today - Duration::days(1))), "{days:?}");
    assert!(where_is(&pool, "ev-0").await.is_empty(), "dropped with its day");
    assert_eq!(app.store.commit_batch(&[&recent]).await.unwrap().duplicates, 1);
    // A redelivery of the dropped day is past the dedupe horizon: it counts again, like a purged key.
    assert_eq!(app.store.commit_batch(&[&old]).await.unwrap().counted, 1);
    assert_eq!(received(&app, company).await, 3);
}

#[actix_web::test]
async fn two_nodes_keeping_the_partitions_at_once_both_succeed() {
    // Arrange: a second store on the same database, as a second node has.
    let app = spawn_app(Db::Postgres).await;
    let pool = PgPool::connect(&app.db.url).await.unwrap();
    let other = switchboard::store::connect(&crate::helpers::test_settings(&app.db.url).database).await.unwrap();
    let far = Utc::now().date_naive() + Duration::days(30);

    // Act: both create the same days (and drop the same ones) at the same moment.
    let cutoff = Utc::now() - Duration::hours(1);
    let (a, b) = tokio::join!(app.store.maintain_partitions(far, cutoff), other.maintain_partitions(far, cutoff));

    // Assert: no error; each day once, between them.
    let (a, b) = (a.unwrap(), b.unwrap());
    let days = day_partitions(&pool).await.unwrap();
    let mut day = cutoff.date_naive();
    while day <= far + Duration::days(DAYS_AHEAD) {
        assert!(days.contains(&day), "{day} missing: {days:?}");
        day += Duration::days(1);
    }
    assert!(a.created + b.created >= DAYS_AHEAD as u32, "{a:?} {b:?}");
}

#[actix_web::test]
async fn a_day_finds_a_routed_event_by_its_id_through_an_index_of_its_own() {
    // Arrange: today's partition, as the daemon created it (keyed in the order events occur).
    let app = spawn_app(Db::Postgres).await;
    let pool = PgPool::connect(&app.db.url).await.unwrap();
    let today = partition_name(Utc::now().date_naive());
    // A busy company's routed keys of the day (the planner weighs indexes by what they hold).
    sqlx::query(&format!(
        "INSERT INTO {today} (company_id, event_id, phone_number, counter, received_at, event_type, decision, \
         occurred_day, occurred_at) \
         SELECT '00000000-0000-0000-0000-000000000001', gen_random_uuid()::text, '+13125550100', 'none', now(), \
                'message.received', '{{}}', (now() AT TIME ZONE 'UTC')::date, now() - i * interval '1 ms' \
         FROM generate_series(1, 5000) AS i"
    ))
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(&format!("ANALYZE {today}")).execute(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SET enable_seqscan = off").execute(&mut *conn).await.unwrap();

    // Act: the plan of the routing log's lookup of one event (store/rules_sql.rs).
    let plan: Vec<String> = sqlx::query_scalar(&format!(
        "EXPLAIN SELECT event_id FROM {today} WHERE company_id = '00000000-0000-0000-0000-000000000001' \
         AND event_id = 'e' AND decision IS NOT NULL"
    ))
    .fetch_all(&mut *conn)
    .await
    .unwrap();

    // Assert: both columns are index conditions of the routed-event index, not a scan of the
    // company's whole day filtered by event id.
    let plan = plan.join("\n");
    assert!(plan.contains(&format!("{today}_routed_event")), "{plan}");
    assert!(plan.contains("event_id = 'e'") && plan.contains("Index Cond"), "{plan}");
}
