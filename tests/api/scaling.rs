//! The plan past one database (docs/SCALING.md) distributes tables by company_id: it holds only
//! while every table written per event or per company keeps a key led by company_id, and the
//! statements of the hot path find their rows through such a key. Checked on the migrated
//! PostgreSQL schema.
use sqlx::Connection;

use crate::helpers::{spawn_app, unique_keys, Db};

/// Tables distributed by company_id in the plan: their primary key starts with company_id.
/// (The dedupe keys, which also hold the routing log, have a key per day partition instead:
/// `every_day_of_the_dedupe_keys_is_keyed_by_company_first`.)
const DISTRIBUTED: &[&str] = &[
    "departments",
    "locations",
    "customer_assignments",
    "opt_outs",
    "company_routing",
    "company_telnyx_settings",
    "company_limits",
    "company_rate_windows",
    "usage_daily",
    "outbound_messages",
    "send_fairness",
    "forward_endpoints",
    "message_status_urls",
    "telnyx_message_links",
];

/// Tables the plan keeps global (reference tables, or keyed by something else), each with its
/// reason in docs/SCALING.md. A new table must be put in one list or the other.
const NOT_DISTRIBUTED_BY_KEY: &[&str] = &[
    // The distribution key itself (id = company_id).
    "companies",
    // Distributed by company_id after the key change SCALING.md describes ((company_id, id)).
    "phone_numbers",
    "outbox",
    "provisioning_jobs",
    // Reference or lookup tables: read by a global key (a token's hash, a number being bought).
    "api_tokens",
    "number_reservations",
    "console_sessions",
    // Limits shared by every company (the Telnyx account, a sender, a brand): one row per limit.
    "send_limiters",
    // Events no company owns (that is why they are dead letters).
    "dead_letters",
    // Partitioned by day, each partition with its own key (below).
    "webhook_events",
];

#[actix_web::test]
async fn per_company_tables_are_keyed_by_company_first() {
    // Arrange: the schema as migrations leave it.
    let app = spawn_app(Db::Postgres).await;
    let mut conn = sqlx::PgConnection::connect(&app.db.url).await.expect("connect");

    // Act: every table's primary key columns, in key order.
    let keys: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT c.relname::text, array_agg(a.attname::text ORDER BY k.ord) \
         FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema() \
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
         WHERE i.indisprimary AND c.relname <> '_sqlx_migrations' AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
         GROUP BY c.relname",
    )
    .fetch_all(&mut conn)
    .await
    .expect("primary keys");

    // Assert
    for (table, columns) in &keys {
        if DISTRIBUTED.contains(&table.as_str()) {
            assert_eq!(columns.first().map(String::as_str), Some("company_id"), "{table}'s key {columns:?}");
        } else {
            assert!(
                NOT_DISTRIBUTED_BY_KEY.contains(&table.as_str()),
                "table {table} (key {columns:?}) is in neither list: decide how it is distributed (docs/SCALING.md)"
            );
        }
    }
    for table in DISTRIBUTED {
        assert!(keys.iter().any(|(t, _)| t == table), "{table} has no primary key or no longer exists");
    }
}

#[actix_web::test]
async fn every_day_of_the_dedupe_keys_is_keyed_by_company_first() {
    // Arrange: the schema as migrations leave it, with the days the daemon creates at start.
    let app = spawn_app(Db::Postgres).await;
    let pool = sqlx::PgPool::connect(&app.db.url).await.expect("pool");

    // Act: every partition of webhook_events, and its unique indexes' columns in key order.
    let partitions: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid \
         WHERE h.inhparent = 'webhook_events'::regclass",
    )
    .fetch_all(&pool)
    .await
    .expect("partitions");
    let mut keys = Vec::new();
    for partition in partitions {
        let unique = unique_keys(&pool, &partition).await;
        keys.push((partition, unique));
    }

    // Assert: the default partition and the days; each has a unique key led by company_id.
    assert!(keys.len() > 1, "{keys:?}");
    for (partition, unique) in &keys {
        assert!(!unique.is_empty(), "{partition} has no unique key");
        for columns in unique {
            assert!(columns.starts_with("company_id,"), "{partition}'s key {columns}");
        }
    }
}

#[actix_web::test]
async fn the_hot_path_reads_through_keys_led_by_company() {
    // Arrange
    let app = spawn_app(Db::Postgres).await;
    let mut conn = sqlx::PgConnection::connect(&app.db.url).await.expect("connect");
    // Small tables would be scanned whole whatever their keys; this asks whether a key serves.
    sqlx::query("SET enable_seqscan = off").execute(&mut conn).await.expect("set");
    let company = "00000000-0000-0000-0000-000000000001";
    let statements = [
        // The ledger's key, and the routing log's lookup of one event.
        format!(
            "SELECT 1 FROM webhook_events WHERE company_id = '{company}' AND occurred_at = now() AND event_id = 'e' \
             AND phone_number = '+1'"
        ),
        format!(
            "SELECT 1 FROM webhook_events WHERE company_id = '{company}' AND event_id = 'e' AND decision IS NOT NULL"
        ),
        format!("SELECT 1 FROM webhook_events WHERE company_id = '{company}' ORDER BY received_at DESC LIMIT 50"),
        format!("SELECT 1 FROM outbox WHERE company_id = '{company}' AND event_id = 'e' AND kind = 'forward'"),
        format!("SELECT * FROM phone_numbers WHERE company_id = '{company}' ORDER BY phone_number"),
        format!("SELECT 1 FROM customer_assignments WHERE company_id = '{company}' AND customer_number = '+1'"),
        format!("SELECT 1 FROM usage_daily WHERE company_id = '{company}' AND day >= '2026-01-01'"),
    ];

    for sql in &statements {
        // Act
        let plan: Vec<(String,)> = sqlx::query_as(&format!("EXPLAIN {sql}")).fetch_all(&mut conn).await.expect(sql);
        let plan: Vec<String> = plan.into_iter().map(|(l,)| l).collect();

        // Assert: an index (or index-only) scan, never a sequential one.
        assert!(
            plan.iter().any(|l| l.contains("Index")) && !plan.iter().any(|l| l.contains("Seq Scan")),
            "{sql}\n{}",
            plan.join("\n")
        );
    }
}
