//! Console sessions: a token (operator or company) is exchanged at sign-in for a random 256-bit
//! session id in a cookie (HttpOnly, SameSite=Strict, Path=/console, Secure behind https). The
//! database keeps only the id's SHA-256 and the token's SHA-256; every request checks the token
//! again (`routes::auth::verify_token_hash`, the API's own check), so revoking or expiring the
//! token ends its sessions at once. A session also ends when unused for `session_idle_secs`,
//! `session_max_secs` after sign-in, and at sign-out.
//!
//! The CSRF token of a session is derived from its id (SHA-256 of a label and the id): it is
//! never stored, differs from the stored hash, and cannot be computed from the database.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::{web, FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::error::ConsoleError;
use crate::config::ConsoleSettings;
use crate::routes::api_error::ApiError;
use crate::routes::auth::{hash_token, verify_token, verify_token_hash, Caller, OperatorToken};
use crate::store::{DynStore, SessionRecord};

pub const COOKIE: &str = "sb_console";
/// How stale `last_seen_at` may get before a request writes it again.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

/// The time sessions are judged at (injected: tests move it).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Opens, resumes and closes sessions (shared app data).
#[derive(Clone)]
pub struct Sessions {
    store: DynStore,
    operator: OperatorToken,
    idle: chrono::Duration,
    max: chrono::Duration,
    secure: bool,
    clock: Clock,
}

/// A live session: who is signed in and the CSRF token of their forms.
#[derive(Clone)]
pub struct Signed {
    pub caller: Caller,
    pub csrf: String,
    id_hash: String,
}

impl Sessions {
    /// `secure`: cookies carry `Secure` (the daemon is reached over https).
    pub fn new(
        store: DynStore,
        operator: OperatorToken,
        settings: ConsoleSettings,
        secure: bool,
        clock: Clock,
    ) -> Self {
        let secs = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        Sessions {
            store,
            operator,
            idle: secs(settings.session_idle_secs),
            max: secs(settings.session_max_secs),
            secure,
            clock,
        }
    }

    /// Signs in with `token`: 401 when the API would refuse it; else the new session's
    /// `Set-Cookie` value.
    pub async fn open(&self, token: &str) -> Result<String, ApiError> {
        verify_token(token, &self.operator, &self.store).await?;
        let id = new_session_id();
        self.store.insert_session(&hash_token(&id), &hash_token(token), (self.clock)()).await?;
        Ok(self.cookie(id))
    }

    /// The session a cookie names, while it lives (expired ones are deleted on sight).
    pub async fn resume(&self, id: &str) -> Result<Option<Signed>, ApiError> {
        if id.is_empty() || id.len() > 128 {
            return Ok(None);
        }
        let id_hash = hash_token(id);
        let Some(session) = self.store.session(&id_hash).await? else { return Ok(None) };
        let now = (self.clock)();
        if expired(&session, now, self.idle, self.max) {
            self.store.delete_session(&id_hash).await?;
            return Ok(None);
        }
        let caller = match verify_token_hash(&session.token_hash, &self.operator, &self.store).await {
            Ok(caller) => caller,
            Err(ApiError::Unauthorized) => {
                self.store.delete_session(&id_hash).await?;
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        if now - session.last_seen_at >= TOUCH_EVERY {
            self.store.touch_session(&id_hash, now).await?;
        }
        Ok(Some(Signed { caller, csrf: csrf_of(id), id_hash }))
    }

    /// Signs out: the session is deleted.
    pub async fn close(&self, signed: &Signed) -> Result<(), ApiError> {
        Ok(self.store.delete_session(&signed.id_hash).await?)
    }

    /// Deletes sessions past their expiry (the background purge).
    pub async fn purge(&self) -> Result<u64, ApiError> {
        let now = (self.clock)();
        Ok(self.store.purge_sessions(now - self.idle, now - self.max).await?)
    }

    /// The `Set-Cookie` value of a session id (base64url: nothing to escape).
    fn cookie(&self, value: String) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict{secure}")
    }

    /// The `Set-Cookie` value that removes the session cookie from the browser.
    pub fn removal(&self) -> String {
        format!("{}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT", self.cookie(String::new()))
    }
}

/// A session unused for `idle`, or opened `max` ago, is over.
fn expired(s: &SessionRecord, now: DateTime<Utc>, idle: chrono::Duration, max: chrono::Duration) -> bool {
    now - s.last_seen_at >= idle || now - s.created_at >= max
}

/// 32 random bytes, base64url.
fn new_session_id() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The CSRF token of the session `id`.
fn csrf_of(id: &str) -> String {
    let digest = Sha256::new().chain_update(b"switchboard console csrf\0").chain_update(id.as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two strings in constant time (for the CSRF token).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session id the request's `Cookie` header carries.
fn session_cookie(req: &HttpRequest) -> Option<String> {
    req.headers().get_all(actix_web::http::header::COOKIE).filter_map(|h| h.to_str().ok()).find_map(|h| {
        h.split(';').map(str::trim).find_map(|pair| match pair.split_once('=') {
            Some((name, value)) if name == COOKIE && !value.is_empty() => Some(value.to_owned()),
            _ => None,
        })
    })
}

/// The signed-in user of a console request, as an extractor; without a live session the request
/// is sent to the sign-in page.
pub struct Console(pub Signed);

impl FromRequest for Console {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let sessions = req.app_data::<web::Data<Sessions>>().cloned();
        let id = session_cookie(req);
        Box::pin(async move {
            let sessions = sessions.ok_or_else(|| ApiError::Internal("console sessions not configured".into()))?;
            let id = id.ok_or(ConsoleError::SignIn)?;
            match sessions.resume(&id).await? {
                Some(signed) => Ok(Console(signed)),
                None => Err(ConsoleError::SignIn),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_random_256_bit_and_csrf_tokens_differ_from_the_stored_hash() {
        let (a, b) = (new_session_id(), new_session_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_ne!(csrf_of(&a), hash_token(&a));
        assert_eq!(csrf_of(&a), csrf_of(&a));
        assert!(same(&csrf_of(&a), &csrf_of(&a)));
        assert!(!same(&csrf_of(&a), &csrf_of(&b)));
        assert!(!same("abc", "ab"));
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let (idle, max) = (chrono::Duration::hours(1), chrono::Duration::hours(12));
        let s = |opened: i64, seen: i64| SessionRecord {
            token_hash: String::new(),
            created_at: t0 + chrono::Duration::minutes(opened),
            last_seen_at: t0 + chrono::Duration::minutes(seen),
        };
        let now = t0 + chrono::Duration::hours(11);
        assert!(!expired(&s(0, 630), now, idle, max), "used 30 min ago, opened 11 h ago");
        assert!(expired(&s(0, 600), now, idle, max), "unused for an hour");
        assert!(expired(&s(0, 719), t0 + chrono::Duration::hours(12), idle, max), "12 h after sign-in");
    }
}
