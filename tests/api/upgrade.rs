//! Upgrading a database that holds data: migration 0007 moves the routing log onto the dedupe
//! keys, 0008 rekeys the outbox, 0009 moves what nodes older than 0007 wrote into routing_log
//! during the roll and drops it. Keys survive (a redelivery of an event counted before the upgrade
//! counts zero and queues nothing), so do pending side effects and the log lines, read through the
//! same API.
use std::borrow::Cow;

use sqlx::migrate::Migrator;
use sqlx::{Connection, PgConnection, SqliteConnection};
use switchboard::config::Settings;
use switchboard::domain::CompanyId;
use switchboard::store;

use crate::backend_tests;
use crate::helpers::{test_settings, Db, TestDb};

backend_tests!(routing_log_and_dedupe_keys_survive_the_upgrade);

/// The migrations before `version`, as an older release would have applied them.
pub(crate) fn before(m: &'static Migrator, version: i64) -> Migrator {
    let older: Vec<_> = m.migrations.iter().filter(|x| x.version < version).cloned().collect();
    Migrator { migrations: Cow::Owned(older), ..Migrator::DEFAULT }
}

async fn routing_log_and_dedupe_keys_survive_the_upgrade(db: Db) {
    let test_db = TestDb::new(db).await;
    let settings: Settings = test_settings(&test_db.url);
    let company = CompanyId::new();
    let number = uuid::Uuid::new_v4();
    let now = chrono::Utc::now();
    let decision = r#"{"matched":{"rule":"unrouted"}}"#;
    // Data as the older schema held it: a counted, routed event; a counted, unrouted one; and a
    // log line whose key had been purged.
    let old_data: [(&str, Vec<&str>); 7] = [
        ("INSERT INTO companies (id, name, created_at) VALUES ($1, 'Acme', $3)", vec![]),
        (
            "INSERT INTO phone_numbers (id, company_id, phone_number, formatted_number, created_at, updated_at, \
             sms_received_count) VALUES ($2, $1, '+18314280176', '+1 831-428-0176', $3, $3, 2)",
            vec![],
        ),
        (
            "INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at) \
             VALUES ($1, $4, '+18314280176', 'sms_received', $3)",
            vec!["ev-routed"],
        ),
        (
            "INSERT INTO webhook_events (company_id, event_id, phone_number, counter, received_at) \
             VALUES ($1, $4, '+18314280176', 'sms_received', $3)",
            vec!["ev-plain"],
        ),
        (
            "INSERT INTO routing_log (company_id, event_id, event_type, phone_number, decision, outcome, \
             created_at) VALUES ($1, $4, $5, '+18314280176', $6, 'unrouted', $3)",
            vec!["ev-routed", "message.received", decision],
        ),
        (
            "INSERT INTO routing_log (company_id, event_id, event_type, phone_number, decision, outcome, \
             created_at) VALUES ($1, $4, $5, '+18314280176', $6, 'unrouted', $3)",
            vec!["ev-old", "call.initiated", decision],
        ),
        // A side effect still pending (0008 rebuilds the outbox on SQLite).
        (
            "INSERT INTO outbox (id, company_id, event_id, kind, destination, payload, next_attempt_at, \
             created_at) VALUES ($2, $1, $4, 'call_hangup', 'v3:ev-routed', $5, $3, $3)",
            vec!["ev-routed", r#"{"command_id":"c"}"#],
        ),
    ];
    // A node of the older release still running during the roll writes its log line the old way.
    let old_node_write: [(&str, Vec<&str>); 1] = [(
        "INSERT INTO routing_log (company_id, event_id, event_type, phone_number, decision, outcome, \
         created_at) VALUES ($1, $4, $5, '+18314280176', $6, 'unrouted', $3)",
        vec!["ev-roll", "message.received", decision],
    )];
    macro_rules! old_release {
        ($conn:expr, $migrator:expr, $writes:expr, $migrate:expr) => {{
            let mut conn = $conn;
            if let Some(version) = $migrate {
                before($migrator, version).run(&mut conn).await.expect("older migrations");
            }
            for (sql, texts) in $writes {
                let mut q = sqlx::query(sql).bind(company.as_uuid()).bind(number).bind(now);
                for t in texts {
                    q = q.bind(*t);
                }
                q.execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            }
            conn.close().await.expect("close");
        }};
    }
    macro_rules! on_the_database {
        ($writes:expr, $migrate:expr) => {
            match db {
                Db::Postgres => old_release!(
                    PgConnection::connect(&test_db.url).await.unwrap(),
                    &store::postgres::MIGRATOR,
                    $writes,
                    $migrate
                ),
                Db::Sqlite => old_release!(
                    SqliteConnection::connect(&format!("{}?mode=rwc", test_db.url)).await.unwrap(),
                    &store::sqlite::MIGRATOR,
                    $writes,
                    $migrate
                ),
            }
        };
    }
    on_the_database!(&old_data, Some(7));
    // The release of 0007 and 0008 migrates; a node of the older release still writes its log
    // line the old way during that roll.
    on_the_database!(&old_node_write, Some(9));

    // This release migrates on start.
    let store = store::connect(&settings.database).await.expect("store");
    store.migrate().await.expect("upgrade");
    let routed = store.get_routing_log(company, "ev-routed").await.unwrap();
    assert_eq!(routed.len(), 1);
    assert_eq!((routed[0].event_type.as_str(), routed[0].outcome.as_str()), ("message.received", "unrouted"));
    assert_eq!(routed[0].decision["matched"]["rule"], "unrouted");
    assert_eq!(store.get_routing_log(company, "ev-old").await.unwrap().len(), 1, "a purged key's log line is kept");
    assert!(store.get_routing_log(company, "ev-plain").await.unwrap().is_empty());
    assert_eq!(store.get_routing_log(company, "ev-roll").await.unwrap().len(), 1, "written during the roll");
    assert_eq!(store.list_routing_log(company, 10).await.unwrap().len(), 3);

    // The keys still decide: these events were counted before the upgrade, so they count zero now.
    let key = || switchboard::ledger::CountKey {
        company_id: company,
        phone_number_id: switchboard::domain::PhoneNumberId::from_uuid(number),
        phone_number: switchboard::domain::PhoneNumber::parse("+18314280176").unwrap(),
        counter: switchboard::ledger::Counter::SmsReceived,
        event_key: None,
        route: None,
    };
    let mut entries = Vec::new();
    for event in ["ev-routed", "ev-plain", "ev-old", "ev-new"] {
        let mut e = switchboard::ledger::LedgerEntry::new(event.into());
        // Redelivered with its occurred_at: on PostgreSQL the key now goes to that day's
        // partition, and the key written before partitioning (day unknown) must still decide.
        e.occurred_at = Some(now);
        e.counts.push(key());
        e.outbox.push(switchboard::ledger::outbox_item::OutboxItem::call_hangup(
            company,
            event,
            &format!("v3:{event}"),
        ));
        entries.push(e);
    }
    let refs: Vec<_> = entries.iter().collect();
    let stats = store.commit_batch(&refs).await.unwrap();
    assert_eq!((stats.counted, stats.duplicates), (1, 3), "only the new event counts");
    let numbers = store.list_numbers(company, Default::default()).await.unwrap();
    assert_eq!(numbers[0].usage.sms_received_count, 3);
    // The pending item survived; of the redelivered events only the new one queued its effect.
    let mut queued: Vec<_> = store.list_outbox(company, 10).await.unwrap().into_iter().map(|e| e.item).collect();
    queued.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    let events: Vec<_> = queued.iter().map(|i| (i.event_id.as_str(), i.payload.as_str())).collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].0, "ev-new");
    assert_eq!(events[1], ("ev-routed", r#"{"command_id":"c"}"#));
    store.close().await;
}
