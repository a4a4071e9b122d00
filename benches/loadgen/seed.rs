//! A fresh PostgreSQL database per mode, migrated by the daemon under test and seeded with the
//! companies and numbers in two statements.
use std::process::{Command, Stdio};

use sqlx::Connection;
use switchboard::domain::{CompanyId, PhoneNumber};

use crate::daemon_binary;

pub fn number(c: usize, m: usize) -> String {
    format!("+1{}{:07}", 200 + (c % 700), (c / 700) * 100 + m)
}

/// A new, empty PostgreSQL database next to `admin`'s, migrated by the daemon under test: its URL.
pub async fn migrated_database(admin: &str) -> String {
    let name = format!("sb_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("PostgreSQL (set DATABASE_URL)");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let mut url = url::Url::parse(admin).unwrap();
    url.set_path(&name);
    migrate(url.as_str());
    url.to_string()
}

/// Applies the daemon under test's migrations to `url` (it may be another build: SWITCHBOARD_BIN).
pub fn migrate(url: &str) {
    let migrated = Command::new(daemon_binary())
        .arg("migrate")
        .env("SWITCHBOARD__DATABASE__URL", url)
        .stdout(Stdio::null())
        .status()
        .expect("switchboard migrate");
    assert!(migrated.success(), "switchboard migrate failed");
}

/// Drops the database of `url` (made by [`migrated_database`]).
pub async fn drop_database(admin: &str, url: &str) {
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    let name = url.rsplit('/').next().unwrap_or_default().to_owned();
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await;
}

pub async fn fresh_database(admin: &str, companies: usize, numbers: usize) -> String {
    let url = migrated_database(admin).await;
    // Seeded in two statements: one insert per number would take longer than the measurement.
    let company_ids: Vec<uuid::Uuid> = (0..companies).map(|_| CompanyId::new().as_uuid()).collect();
    let names: Vec<String> = (0..companies).map(|c| format!("Company {c}")).collect();
    let (mut ids, mut owners, mut phones, mut formatted) = (vec![], vec![], vec![], vec![]);
    for (c, company) in company_ids.iter().enumerate() {
        for m in 0..numbers {
            let phone = PhoneNumber::parse(&number(c, m)).unwrap();
            ids.push(uuid::Uuid::new_v4());
            owners.push(*company);
            formatted.push(phone.formatted());
            phones.push(phone.as_str().to_owned());
        }
    }
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("INSERT INTO companies (id, name) SELECT * FROM unnest($1::uuid[], $2::text[])")
        .bind(&company_ids)
        .bind(&names)
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO phone_numbers (id, company_id, phone_number, formatted_number) \
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])",
    )
    .bind(&ids)
    .bind(&owners)
    .bind(&phones)
    .bind(&formatted)
    .execute(&mut conn)
    .await
    .unwrap();
    url
}

/// Puts `n` keys of `company` in today's dedupe partition (which the daemon created at start), as
/// a busy day has by its afternoon: random event ids (as Telnyx's), occurred in time order since
/// midnight UTC, a third of them routed; then a checkpoint, so the run starts without that debt.
/// Written the way the daemon under test keys them (a build before migration 0028 has no
/// `occurred_at` column).
pub async fn fill_day(url: &str, company: CompanyId, n: usize) {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let timed = crate::measure::has_column(&mut conn, "webhook_events", "occurred_at").await;
    let (column, value) = if timed { (", occurred_at", ", at") } else { ("", "") };
    let started = std::time::Instant::now();
    sqlx::query(&format!(
        "WITH k AS (SELECT i, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' \
                  + (now() - (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')) * (i::float8 / $2) AS at \
                  FROM generate_series(1, $2) AS i) \
         INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at, event_type, decision, \
                                     occurred_day{column}) \
         SELECT $1, gen_random_uuid()::text, '+13125550100', 'sms_received', at, 'message.received', \
                CASE WHEN i % 3 = 0 THEN '{{\"o\":\"forwarded\"}}' END, (at AT TIME ZONE 'UTC')::date{value} \
         FROM k ORDER BY i"
    ))
    .bind(company.as_uuid())
    .bind(n as i32)
    .execute(&mut conn)
    .await
    .expect("fill today's dedupe partition");
    sqlx::query("CHECKPOINT").execute(&mut conn).await.unwrap();
    println!("today's dedupe partition: {n} keys of the hot company put in {:.1} s", started.elapsed().as_secs_f64());
}
