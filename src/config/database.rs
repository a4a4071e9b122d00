//! Where the database is and how its connections are pooled.
use std::time::Duration;

use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub backend: Backend,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// A pooled connection idle for longer is pinged before use (PostgreSQL).
    pub ping_after_idle: Duration,
}

impl std::fmt::Debug for DatabaseSettings {
    /// The URL may hold a password: it is shown without it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_password(&self.url))
            .field("backend", &self.backend)
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("ping_after_idle", &self.ping_after_idle)
            .finish()
    }
}

/// A database URL with its password (if any) replaced by `***`.
pub fn redact_password(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "(unparsable URL)".to_owned(),
    }
}

/// The backend a database URL names.
pub fn database_backend(url: &str) -> Result<Backend, String> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        "postgres" | "postgresql" => {
            Url::parse(url).map_err(|e| format!("not a valid postgres:// URL ({e})"))?;
            Ok(Backend::Postgres)
        }
        "sqlite" => Ok(Backend::Sqlite),
        "" => Err("is empty; use sqlite://PATH or postgres://USER@HOST/DB".into()),
        other => Err(format!("unknown backend {other:?}; use sqlite://PATH or postgres://USER@HOST/DB")),
    }
}
