//! Migration 0010 on a database that holds data: `default_outbound_phone_number_id` becomes
//! Telnyx's id of the default number (our UUID moves to `default_outbound_number_id`), and of two
//! jobs running for one company the older goes on while the newer is failed (to be resumed), so
//! that the unique index of running jobs can be built.
use std::borrow::Cow;

use sqlx::migrate::Migrator;
use sqlx::{Connection, PgConnection, SqliteConnection};
use switchboard::domain::{CompanyId, PhoneNumberId};
use switchboard::store;

use crate::backend_tests;
use crate::helpers::{test_settings, Db, TestDb};

backend_tests!(settings_and_running_jobs_survive_migration_0010);

fn before_0010(m: &'static Migrator) -> Migrator {
    let older: Vec<_> = m.migrations.iter().filter(|x| x.version < 10).cloned().collect();
    Migrator { migrations: Cow::Owned(older), ..Migrator::DEFAULT }
}

/// Statements of the older release and how many of the parameters (company, number, now, older
/// job, newer job, later) each takes: SQLite counts up to the highest one named.
const OLD_DATA: [(&str, usize); 5] = [
    ("INSERT INTO companies (id, name, created_at) VALUES ($1, 'Acme', $3)", 3),
    ("INSERT INTO phone_numbers (id, company_id, phone_number, formatted_number, telnyx_phone_number_id, created_at, \
     updated_at) VALUES ($2, $1, '+18314280176', '+1 831-428-0176', '1293384261075731499', $3, $3)", 3),
    ("INSERT INTO company_telnyx_settings (company_id, messaging_profile_id, call_control_application_id, \
     default_outbound_number, default_outbound_phone_number_id, updated_at) \
     VALUES ($1, 'prof-1', '1234567', '+18314280176', $2, $3)", 3),
    ("INSERT INTO provisioning_jobs (id, company_id, kind, request, state, step, progress, created_at, updated_at) \
     VALUES ($4, $1, 'provision', '{\"quantity\":1}', 'running', 'numbers', '{}', $3, $3)", 4),
    ("INSERT INTO provisioning_jobs (id, company_id, kind, request, state, step, progress, created_at, updated_at) \
     VALUES ($5, $1, 'purchase', '{\"quantity\":1}', 'running', 'search', '{}', $6, $6)", 6),
];

async fn settings_and_running_jobs_survive_migration_0010(db: Db) {
    let test_db = TestDb::new(db).await;
    let company = CompanyId::new();
    let number = uuid::Uuid::new_v4();
    let (older, newer) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let now = chrono::Utc::now();
    let later = now + chrono::Duration::seconds(5);
    macro_rules! old_release {
        ($conn:expr, $migrator:expr) => {{
            let mut conn = $conn;
            before_0010($migrator).run(&mut conn).await.expect("older migrations");
            for (sql, params) in OLD_DATA {
                let mut q = sqlx::query(sql).bind(company.as_uuid()).bind(number).bind(now);
                if params > 3 {
                    q = q.bind(older);
                }
                if params > 4 {
                    q = q.bind(newer).bind(later);
                }
                q.execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            conn.close().await.expect("close");
        }};
    }
    match db {
        Db::Postgres => old_release!(PgConnection::connect(&test_db.url).await.unwrap(), &store::postgres::MIGRATOR),
        Db::Sqlite => old_release!(
            SqliteConnection::connect(&format!("{}?mode=rwc", test_db.url)).await.unwrap(),
            &store::sqlite::MIGRATOR
        ),
    }

    let store = store::connect(&test_settings(&test_db.url).database).await.expect("store");
    store.migrate().await.expect("upgrade");
    let settings = store.get_settings(company).await.expect("settings");
    assert_eq!(settings.default_outbound_phone_number_id.as_deref(), Some("1293384261075731499"), "Telnyx's id");
    assert_eq!(settings.default_outbound_number_id, Some(PhoneNumberId::from_uuid(number)), "ours, kept");
    assert_eq!(settings.default_outbound_number.as_ref().map(|n| n.as_str()), Some("+18314280176"));
    assert_eq!(settings.outbound_voice_profile_id, None);

    let running = store.running_job(company).await.expect("running").expect("one job runs");
    assert_eq!(running.id, older);
    let stopped = store.get_job(company, newer).await.expect("job");
    assert_eq!(stopped.state, "failed");
    assert!(stopped.error.as_deref().is_some_and(|e| e.contains("one runs at a time")), "{stopped:?}");
    store.close().await;
}
