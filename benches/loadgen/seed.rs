//! A fresh PostgreSQL database per mode, migrated by the daemon under test and seeded with the
//! companies and numbers in two statements.
use std::process::{Command, Stdio};

use sqlx::Connection;
use switchboard::config::{Backend, Settings};
use switchboard::domain::{CompanyId, PhoneNumber};

use crate::daemon_binary;

pub fn number(c: usize, m: usize) -> String {
    format!("+1{}{:07}", 200 + (c % 700), (c / 700) * 100 + m)
}

pub async fn fresh_database(admin: &str, companies: usize, numbers: usize) -> String {
    let name = format!("sb_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("PostgreSQL (set DATABASE_URL)");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let mut url = url::Url::parse(admin).unwrap();
    url.set_path(&name);
    let mut settings = Settings::load_with_env(None, Vec::new()).unwrap();
    settings.database.url = url.to_string();
    settings.database.backend = Backend::Postgres;
    // The daemon under test applies its own migrations (it may be another build: SWITCHBOARD_BIN).
    let migrated = Command::new(daemon_binary())
        .arg("migrate")
        .env("SWITCHBOARD__DATABASE__URL", &settings.database.url)
        .stdout(Stdio::null())
        .status()
        .expect("switchboard migrate");
    assert!(migrated.success(), "switchboard migrate failed");
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
    let mut conn = sqlx::PgConnection::connect(&settings.database.url).await.unwrap();
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
    url.to_string()
}
