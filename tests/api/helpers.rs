//! spawn_app: boots the real application on port 0 against a fresh database of either backend.
use switchboard::config::Settings;
use switchboard::startup::Application;
use switchboard::store::DynStore;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Postgres,
    Sqlite,
}

/// Generates `mod postgres` and `mod sqlite` with one test per listed body `async fn name(db: Db)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $( #[actix_web::test] async fn $name() { super::$name($crate::helpers::Db::Postgres).await } )*
        }
        mod sqlite {
            $( #[actix_web::test] async fn $name() { super::$name($crate::helpers::Db::Sqlite).await } )*
        }
    };
}

/// The PostgreSQL server tests use (scripts/test.sh exports it; defaults to the local service).
pub fn postgres_admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database; dropped (PostgreSQL) or deleted (SQLite) with the guard.
pub struct TestDb {
    pub url: String,
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn new(db: Db) -> TestDb {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = format!("sqlite://{}", dir.path().join("switchboard.db").display());
                TestDb { url, db, _dir: Some(dir), pg_name: None }
            }
            Db::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("sb_test_{}", Uuid::new_v4().simple());
                let mut conn = sqlx_connect(&admin).await;
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("create test database");
                let mut url = url::Url::parse(&admin).expect("DATABASE_URL");
                url.set_path(&name);
                TestDb { url: url.to_string(), db, _dir: None, pg_name: Some(name) }
            }
        }
    }
}

async fn sqlx_connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url).await.unwrap_or_else(|e| {
        panic!("cannot reach PostgreSQL at {url} ({e}); run the tests with scripts/test.sh, which starts one")
    })
}

impl TestDb {
    /// Another handle on an existing database (a second node); it does not drop the database.
    pub fn borrowed(url: &str) -> TestDb {
        TestDb { url: url.to_owned(), db: Db::Postgres, _dir: None, pg_name: None }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let admin = postgres_admin_url();
            // Drop on a plain thread: this may run inside or outside an async runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let mut conn = sqlx_connect(&admin).await;
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    sqlx::Executor::execute(&mut conn, sql.as_str()).await.ok()
                })
            })
            .join();
        }
    }
}

/// Settings for a test app: port 0, one worker, the given database.
pub fn test_settings(url: &str) -> Settings {
    let env = [
        ("SWITCHBOARD__HTTP__BIND", "127.0.0.1:0"),
        ("SWITCHBOARD__HTTP__WORKERS", "1"),
        ("SWITCHBOARD__DATABASE__URL", url),
        ("SWITCHBOARD__DATABASE__MAX_CONNECTIONS", "5"),
        ("SWITCHBOARD__HTTP__SHUTDOWN_TIMEOUT_SECS", "1"),
        // Generous: CI machines are loaded; the deadline itself is tested with a short one.
        ("SWITCHBOARD__LEDGER__COMMIT_DEADLINE_MS", "5000"),
        // Test receivers listen on loopback over plain http: allowed the way an operator would.
        ("SWITCHBOARD__FORWARDS__INSECURE_HOSTS", "127.0.0.1,localhost"),
        ("SWITCHBOARD__FORWARDS__ALLOWED_CIDRS", "127.0.0.0/8"),
        // The send queue: no carrier pacing unless a test asks for it (its own tests do), and a
        // short poll so a queued message leaves at once.
        ("SWITCHBOARD__SENDING__LONG_CODE_PER_MINUTE", "600000"),
        ("SWITCHBOARD__SENDING__ACCOUNT_SMS_PER_SECOND", "10000"),
        ("SWITCHBOARD__SENDING__ACCOUNT_MMS_PER_SECOND", "10000"),
        ("SWITCHBOARD__SENDING__ACCOUNT_CALLS_PER_SECOND", "10000"),
        ("SWITCHBOARD__SENDING__POLL_INTERVAL_MS", "50"),
    ];
    Settings::load_with_env(None, env.iter().map(|(k, v)| (k.to_string(), v.to_string()))).expect("test settings")
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub store: DynStore,
    /// The front door for company data (writes made behind its back: `directory.refresh`).
    pub directory: switchboard::company::directory::Directory,
    /// The company changes the database announced and this node applied (how many, the last).
    pub announcements: tokio::sync::watch::Receiver<switchboard::company::live_changes::Applied>,
    /// The owner index (to put it out of step with the actors, as a half-applied change does).
    pub index: std::sync::Arc<switchboard::company::index::NumberIndex>,
    /// The company actors (how many it started).
    pub registry: switchboard::company::registry::Registry,
    pub client: reqwest::Client,
    pub db: TestDb,
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// Boots the app after `tweak` adjusted its settings.
pub async fn spawn_app_with(db: Db, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::new(db).await;
    let mut settings = test_settings(&db.url);
    tweak(&mut settings);
    start(settings, db).await
}

pub async fn start(settings: Settings, db: TestDb) -> TestApp {
    let app = Application::build(settings).await.expect("application builds");
    let port = app.port();
    let store = app.store();
    let directory = app.directory();
    let announcements = app.announcements_applied();
    let index = app.index();
    let registry = app.registry();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        store,
        directory,
        announcements,
        index,
        registry,
        client: reqwest::Client::builder().build().expect("client"),
        db,
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("request")
    }
}

/// Awaits `f` and fails the test with `what` if it takes longer than 30 s (a hang, not a timing goal).
pub async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(30), f).await.unwrap_or_else(|_| panic!("{what} hung"))
}

/// A new company with one number (+18314280176), and `n` ledger entries ("ev-0"..) that each
/// count one received message at it.
pub async fn sms_received_entries(
    store: &dyn switchboard::store::Store,
    n: usize,
) -> (switchboard::domain::CompanyId, Vec<switchboard::ledger::LedgerEntry>) {
    use switchboard::domain::{CompanyId, PhoneNumber};
    use switchboard::ledger::{CountKey, Counter, LedgerEntry};
    let company = CompanyId::new();
    store.create_company(company, "Acme").await.unwrap();
    let phone = PhoneNumber::parse("+18314280176").unwrap();
    let number = store.insert_number(&switchboard::store::NewNumber::new(company, phone.clone())).await.unwrap();
    let entries = (0..n)
        .map(|i| {
            let mut e = LedgerEntry::new(format!("ev-{i}").into());
            e.counts.push(CountKey {
                company_id: company,
                phone_number_id: number.id,
                phone_number: phone.clone(),
                counter: Counter::SmsReceived,
                event_key: None,
                route: None,
            });
            e
        })
        .collect();
    (company, entries)
}

/// The outbox's deliverer as the test settings configure it: loopback receivers over plain http.
pub fn loopback_deliverer(telnyx: switchboard::telnyx::api::TelnyxApi) -> switchboard::outbox::Deliverer {
    use switchboard::outbox::guard::{ForwardPolicy, SystemLookup};
    let policy = ForwardPolicy::new(vec!["127.0.0.1".into(), "localhost".into()], vec!["127.0.0.0/8".parse().unwrap()]);
    switchboard::outbox::Deliverer::new(telnyx, std::sync::Arc::new(policy), std::sync::Arc::new(SystemLookup))
}

/// A forward of event `event` (an SMS "hello" from +13035550100 to +18314280176, routed by the
/// company default) for `company` to `url`: an outbox item as the ledger would queue it.
pub fn forward_item(
    company: switchboard::domain::CompanyId,
    event: &str,
    url: &str,
) -> switchboard::ledger::outbox_item::OutboxItem {
    use switchboard::domain::PhoneNumber;
    use switchboard::ledger::side_effects::ForwardedMessage;
    use switchboard::routing::{MatchedRule, MessageDestination, RoutingDecision};
    let message = ForwardedMessage {
        from: "+13035550100".into(),
        to: "+18314280176".into(),
        text: "hello".into(),
        media_urls: vec![],
        message_type: "SMS".into(),
    };
    let decision = RoutingDecision {
        destination: None,
        matched: MatchedRule::CompanyDefault,
        via_assignment: None,
        effective_number: PhoneNumber::parse("+18314280176").expect("e164"),
        trace: vec![],
    };
    let dest = MessageDestination::parse(url).expect("a destination");
    switchboard::ledger::outbox_item::OutboxItem::forward_message(
        company,
        event,
        "message.received",
        chrono::Utc::now(),
        &message,
        &decision,
        &dest,
    )
}

/// A forward retry schedule in milliseconds (`steps[0]` before the first attempt, then the wait
/// after each failed one), without jitter: what tests give the outbox worker.
pub fn ms_schedule(steps: &[u64]) -> switchboard::outbox::RetrySchedule {
    let steps = steps.iter().map(|ms| std::time::Duration::from_millis(*ms)).collect();
    switchboard::outbox::RetrySchedule::new(steps, 0.0, std::time::Duration::from_secs(3600))
        .with_jitter_source(std::sync::Arc::new(|| 0.0))
}

/// Returns once `n` ledger commits on the connection's database wait for a lock (PostgreSQL): a
/// commit held by a test's lock is then surely waiting.
pub async fn lock_waiters(conn: &mut sqlx::PgConnection, n: i64) {
    loop {
        let waiting: i64 = sqlx::query_scalar(
            // Ledger commits only (their statement opens with the `keys` CTE): the app's own
            // background work (partition upkeep, purges) may wait on the same lock meanwhile.
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' \
             AND query LIKE 'WITH keys AS%'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if waiting == n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// The unique indexes of `table` (a partition, for instance): each one's columns in key order,
/// ", "-joined.
pub async fn unique_keys(pool: &sqlx::PgPool, table: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT string_agg(a.attname::text, ', ' ORDER BY k.ord) \
         FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum \
         WHERE i.indrelid = $1::regclass AND i.indisunique GROUP BY i.indexrelid",
    )
    .bind(table)
    .fetch_all(pool)
    .await
    .unwrap()
}
