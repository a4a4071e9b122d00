//! Settings: config/default.toml (compiled in), an optional file, then SWITCHBOARD__SECTION__KEY
//! environment variables. Validated once at start-up into typed values; secrets stay wrapped.
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

mod console;
mod database;
mod forwards;
mod health;
mod ledger;
mod limits;
mod sending;
mod telnyx;

pub use console::ConsoleSettings;
pub use database::{database_backend, redact_password, Backend, DatabaseSettings};
pub use forwards::ForwardSettings;
pub use health::NumberHealthSettings;
pub use ledger::{LedgerSettings, RetentionSettings};
pub use limits::LimitSettings;
pub use sending::SendingSettings;
use telnyx::RawTelnyx;
pub use telnyx::TelnyxSettings;

const DEFAULTS: &str = include_str!("../config/default.toml");

/// What `config` gives us before validation: plain values, names as in the file.
#[derive(Debug, Deserialize)]
struct RawSettings {
    public_base_url: String,
    http: RawHttp,
    database: RawDatabase,
    telnyx: RawTelnyx,
    routing: RawRouting,
    forwards: forwards::RawForwards,
    webhooks: WebhookSettings,
    ledger: LedgerSettings,
    retention: RetentionSettings,
    numbers: NumberSettings,
    limits: LimitSettings,
    sending: SendingSettings,
    number_health: NumberHealthSettings,
    replay: ReplaySettings,
    actors: ActorSettings,
    admin: RawAdmin,
    console: ConsoleSettings,
    log: RawLog,
}

#[derive(Debug, Deserialize)]
struct RawHttp {
    bind: String,
    workers: usize,
    shutdown_timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
struct RawDatabase {
    url: String,
    max_connections: u32,
    acquire_timeout_ms: u64,
    ping_after_idle_ms: u64,
}

#[derive(Debug, Deserialize)]
struct RawRouting {
    transfer_caller_id: String,
    transfer_timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
struct RawAdmin {
    operator_token: SecretString,
    auth_failures_per_minute: u32,
}

#[derive(Debug, Deserialize)]
struct RawLog {
    format: String,
    level: String,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub public_base_url: Option<Url>,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub telnyx: TelnyxSettings,
    pub routing: RoutingSettings,
    pub forwards: ForwardSettings,
    pub webhooks: WebhookSettings,
    pub ledger: LedgerSettings,
    pub retention: RetentionSettings,
    pub numbers: NumberSettings,
    pub limits: LimitSettings,
    pub sending: SendingSettings,
    pub number_health: NumberHealthSettings,
    pub replay: ReplaySettings,
    pub actors: ActorSettings,
    pub admin: AdminSettings,
    pub console: ConsoleSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub bind: SocketAddr,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
}

/// Routing choices that are operator policy rather than company rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoutingSettings {
    pub transfer_caller_id: TransferCallerId,
    /// How long a transfer rings its destination (Telnyx `timeout_secs`, 5 to 600).
    pub transfer_timeout_secs: u16,
}

impl Default for RoutingSettings {
    /// As config/default.toml has them.
    fn default() -> Self {
        RoutingSettings { transfer_caller_id: TransferCallerId::Caller, transfer_timeout_secs: 30 }
    }
}

/// The caller ID an inbound call shows the destination it is transferred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferCallerId {
    /// The customer's number (the destination sees who is calling).
    Caller,
    /// The company number the customer called (the destination sees which line rang).
    CompanyNumber,
}

impl TransferCallerId {
    pub fn as_str(self) -> &'static str {
        match self {
            TransferCallerId::Caller => "caller",
            TransferCallerId::CompanyNumber => "company_number",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    pub verify_signatures: bool,
    pub timestamp_tolerance_secs: i64,
    pub body_limit_bytes: usize,
    /// `ledger` (the product), `per_event_update` (benchmark baseline) or `stateless` (benchmark
    /// ceiling: verify + parse, answer 200, nothing stored).
    #[serde(default = "default_ingest_mode")]
    pub ingest_mode: IngestMode,
    /// Verify concurrent requests' signatures together (ed25519 batch verification).
    #[serde(default)]
    pub batch_verify: bool,
}

fn default_ingest_mode() -> IngestMode {
    IngestMode::Ledger
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestMode {
    Ledger,
    PerEventUpdate,
    Stateless,
}

/// Who may register which number.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct NumberSettings {
    /// Days a released (deleted) number stays with its last owner: another company's token
    /// cannot register it meanwhile (the operator can reassign it).
    pub reassign_hold_days: u32,
}

/// Replaying Telnyx's failed webhook deliveries (src/replay).
#[derive(Debug, Clone, Deserialize)]
pub struct ReplaySettings {
    /// Replay automatically once webhook commits succeed again after failing.
    pub after_outage: bool,
    /// The automatic replay starts this long before the first failure.
    pub margin_secs: u64,
    /// ...and this long after commits recovered (Telnyx marks its last attempts failed).
    pub delay_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ActorSettings {
    pub idle_timeout_secs: u64,
    pub mailbox_capacity: usize,
}

#[derive(Clone)]
pub struct AdminSettings {
    pub operator_token: Option<SecretString>,
    /// Failed authentications per client address and minute before it is locked out (429).
    pub auth_failures_per_minute: u32,
}

impl std::fmt::Debug for AdminSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminSettings")
            .field("operator_token", &self.operator_token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// Every problem found in the configuration, one line per field.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl ConfigError {
    fn one(msg: String) -> Self {
        Self { problems: vec![msg] }
    }
}

impl Settings {
    /// Defaults, then `file` when given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// As [`Settings::load`], with the environment given (tests).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::one(format!("--config: file {} does not exist", path.display())));
            }
            builder = builder.add_source(config::File::from(path).format(config::FileFormat::Toml));
        }
        let env: std::collections::HashMap<String, String> =
            env.into_iter().filter(|(k, _)| k.starts_with("SWITCHBOARD__")).collect();
        builder = builder.add_source(
            config::Environment::with_prefix("SWITCHBOARD")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("telnyx.whitelisted_destinations")
                .with_list_parse_key("forwards.insecure_hosts")
                .with_list_parse_key("forwards.allowed_cidrs")
                .with_list_parse_key("forwards.retry_schedule")
                .try_parsing(true)
                .source(Some(env)),
        );
        let raw: RawSettings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError::one(format!("configuration: {e}")))?;
        raw.validate()
    }
}

/// A bearer secret hard enough to guess: at least 16 characters, no whitespace, at least 8
/// different characters (so neither blanks nor "aaaaaaaaaaaaaaaa" nor "1234123412341234" pass).
fn strong_secret(s: &str) -> Result<(), &'static str> {
    if s.trim().is_empty() {
        return Err("must not be blank");
    }
    if s.chars().count() < 16 {
        return Err("must be at least 16 characters");
    }
    if s.chars().any(char::is_whitespace) {
        return Err("must not contain whitespace");
    }
    let distinct: std::collections::HashSet<char> = s.chars().collect();
    if distinct.len() < 8 {
        return Err("is too easy to guess: use at least 8 different characters (e.g. `openssl rand -base64 32`)");
    }
    Ok(())
}

impl RawSettings {
    fn validate(self) -> Result<Settings, ConfigError> {
        let mut problems = Vec::new();
        let mut bad = |field: &str, msg: String| problems.push(format!("{field}: {msg}"));

        let public_base_url = match self.public_base_url.trim() {
            "" => None,
            s => match parse_http_url(s) {
                Ok(u) => Some(u),
                Err(e) => {
                    bad("public_base_url", e);
                    None
                }
            },
        };
        let bind = self.http.bind.parse::<SocketAddr>().unwrap_or_else(|e| {
            bad("http.bind", format!("{:?} is not a socket address like 127.0.0.1:8080 ({e})", self.http.bind));
            SocketAddr::from(([127, 0, 0, 1], 8080))
        });
        let backend = match database_backend(&self.database.url) {
            Ok(b) => b,
            Err(e) => {
                bad("database.url", e);
                Backend::Sqlite
            }
        };
        if self.database.max_connections == 0 {
            bad("database.max_connections", "must be at least 1".into());
        }
        if self.webhooks.ingest_mode != IngestMode::Ledger && !cfg!(feature = "bench-modes") {
            bad(
                "webhooks.ingest_mode",
                "stateless and per_event_update are benchmark modes, in builds with --features bench-modes only".into(),
            );
        }
        let telnyx = self.telnyx.validate(&mut bad);
        let forwards = self.forwards.validate(&mut bad);
        self.number_health.validate(&mut bad);
        self.sending.validate(&mut bad);
        self.console.validate(&mut bad);
        let transfer_caller_id = match self.routing.transfer_caller_id.as_str() {
            "caller" => TransferCallerId::Caller,
            "company_number" => TransferCallerId::CompanyNumber,
            other => {
                bad("routing.transfer_caller_id", format!("{other:?} is not one of caller, company_number"));
                TransferCallerId::Caller
            }
        };
        let transfer_timeout_secs = match u16::try_from(self.routing.transfer_timeout_secs) {
            Ok(secs @ 5..=600) => secs,
            _ => {
                bad("routing.transfer_timeout_secs", "must be between 5 and 600 (Telnyx's limits)".into());
                30
            }
        };
        if !(1..=86_400).contains(&self.webhooks.timestamp_tolerance_secs) {
            bad("webhooks.timestamp_tolerance_secs", "must be between 1 and 86400".into());
        }
        if self.webhooks.body_limit_bytes < 1024 {
            bad("webhooks.body_limit_bytes", "must be at least 1024".into());
        }
        if self.ledger.batch_size == 0 {
            bad("ledger.batch_size", "must be at least 1".into());
        }
        if self.ledger.commit_deadline_ms == 0 {
            bad("ledger.commit_deadline_ms", "must be at least 1".into());
        }
        // Ten years: more is no retention at all, and the purge's cutoff must stay a date.
        if !(1..=87_600).contains(&self.ledger.dedupe_retention_hours) {
            bad("ledger.dedupe_retention_hours", "must be between 1 and 87600 (ten years)".into());
        }
        if self.replay.margin_secs > 86_400 {
            bad("replay.margin_secs", "must be at most 86400 (one day)".into());
        }
        if self.replay.delay_secs > 3_600 {
            bad("replay.delay_secs", "must be at most 3600 (one hour)".into());
        }
        if self.actors.mailbox_capacity == 0 {
            bad("actors.mailbox_capacity", "must be at least 1".into());
        }
        let operator_token = {
            let t = self.admin.operator_token;
            if t.expose_secret().is_empty() {
                None
            } else {
                if let Err(why) = strong_secret(t.expose_secret()) {
                    bad("admin.operator_token", why.into());
                }
                Some(t)
            }
        };
        let auth_failures_per_minute = self.admin.auth_failures_per_minute;
        if auth_failures_per_minute == 0 {
            bad("admin.auth_failures_per_minute", "must be at least 1".into());
        }
        let format = match self.log.format.as_str() {
            "human" => LogFormat::Human,
            "json" => LogFormat::Json,
            other => {
                bad("log.format", format!("{other:?} is not one of human, json"));
                LogFormat::Human
            }
        };
        if !problems.is_empty() {
            return Err(ConfigError { problems });
        }
        Ok(Settings {
            public_base_url,
            http: HttpSettings {
                bind,
                workers: self.http.workers,
                shutdown_timeout_secs: self.http.shutdown_timeout_secs,
            },
            database: DatabaseSettings {
                url: self.database.url,
                backend,
                max_connections: self.database.max_connections,
                acquire_timeout: Duration::from_millis(self.database.acquire_timeout_ms),
                ping_after_idle: Duration::from_millis(self.database.ping_after_idle_ms),
            },
            telnyx,
            routing: RoutingSettings { transfer_caller_id, transfer_timeout_secs },
            forwards,
            webhooks: self.webhooks,
            ledger: self.ledger,
            retention: self.retention,
            numbers: self.numbers,
            limits: self.limits,
            sending: self.sending,
            number_health: self.number_health,
            replay: self.replay,
            actors: self.actors,
            admin: AdminSettings { operator_token, auth_failures_per_minute },
            console: self.console,
            log: LogSettings { format, level: self.log.level },
        })
    }
}

fn parse_http_url(s: &str) -> Result<Url, String> {
    let u = Url::parse(s).map_err(|e| format!("{s:?} is not a URL ({e})"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(format!("{s:?} must be an http:// or https:// URL with a host"));
    }
    Ok(u)
}

#[cfg(test)]
mod tests;
