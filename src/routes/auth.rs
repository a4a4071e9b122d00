//! Admin API authentication: `Authorization: Bearer <token>`. The operator token (config) reaches
//! every company; a company token (stored hashed) reaches only its company, and another company's
//! resources answer 404 so their existence is not leaked.
use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::domain::{CompanyId, Scope, Scopes};
use crate::routes::api_error::ApiError;
use crate::routes::auth_limit::AuthFailures;
use crate::store::DynStore;

/// The operator token from config, as shared app data.
#[derive(Clone)]
pub struct OperatorToken(pub Option<SecretString>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Operator,
    /// A company token: what it may do, and until when.
    Company {
        company: CompanyId,
        scopes: Scopes,
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    },
}

/// An authenticated caller (extractor).
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Principal);

impl Caller {
    /// Ok when the caller may act on `company`; `NotFound` otherwise.
    pub fn require_company(&self, company: CompanyId) -> Result<(), ApiError> {
        match self.0 {
            Principal::Operator => Ok(()),
            Principal::Company { company: c, .. } if c == company => Ok(()),
            Principal::Company { .. } => Err(ApiError::NotFound("company")),
        }
    }

    pub fn require_operator(&self) -> Result<(), ApiError> {
        match self.0 {
            Principal::Operator => Ok(()),
            Principal::Company { .. } => Err(ApiError::NotFound("resource")),
        }
    }

    /// What the caller may do: every scope for the operator, the token's for a company token.
    pub fn scopes(&self) -> Scopes {
        match self.0 {
            Principal::Operator => Scope::ALL.into_iter().collect(),
            Principal::Company { scopes, .. } => scopes,
        }
    }

    /// 403 naming the scope when the caller's token lacks it.
    pub fn require_scope(&self, scope: Scope) -> Result<(), ApiError> {
        if self.scopes().contains(scope) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("this token lacks the `{}` scope", scope.as_str())))
        }
    }
}

/// SHA-256 hex of a token: what is stored and looked up.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random company token (`sbt_` + 43 base64url characters, 256 bits).
pub fn new_token() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!("sbt_{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Compares the SHA-256 digests of `a` and `b` in constant time: neither the contents nor the
/// length of the secret show in how long a wrong guess takes.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How stale `last_used_at` may get before a request writes it again (one write a minute at most).
const TOUCH_EVERY: chrono::Duration = chrono::Duration::seconds(60);

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 512).then(|| token.to_owned())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = bearer(req);
        let operator = req.app_data::<web::Data<OperatorToken>>().cloned();
        let store = req.app_data::<web::Data<DynStore>>().cloned();
        let limits = req.app_data::<web::Data<AuthFailures>>().cloned();
        let peer = req.peer_addr().map(|a| a.ip());
        Box::pin(async move {
            // Only a token presented and refused counts as a guess (a request without one, e.g.
            // a client that forgot it, is a plain 401).
            let limited = limits.as_ref().zip(peer).filter(|_| token.is_some());
            if let Some(wait) = limited.and_then(|(l, ip)| l.locked(ip)) {
                return Err(ApiError::TooManyRequests(wait.as_secs().max(1)));
            }
            let outcome = authenticate(token, operator, store).await;
            match (outcome, limited) {
                (Err(ApiError::Unauthorized), Some((l, ip))) => match l.failed(ip) {
                    Some(wait) => Err(ApiError::TooManyRequests(wait.as_secs().max(1))),
                    None => Err(ApiError::Unauthorized),
                },
                (other, _) => other,
            }
        })
    }
}

/// The caller a bearer token names: the operator, a live company token, or 401.
async fn authenticate(
    token: Option<String>,
    operator: Option<web::Data<OperatorToken>>,
    store: Option<web::Data<DynStore>>,
) -> Result<Caller, ApiError> {
    let token = token.ok_or(ApiError::Unauthorized)?;
    let store = store.ok_or_else(|| ApiError::Internal("store not configured".into()))?;
    let operator = operator.map(|o| o.get_ref().clone()).unwrap_or(OperatorToken(None));
    verify_token(&token, &operator, &store).await
}

/// The caller `token` names: the operator, a live company token, or 401. The console's sign-in
/// checks a token with this, as the API checks a bearer token.
pub async fn verify_token(token: &str, operator: &OperatorToken, store: &DynStore) -> Result<Caller, ApiError> {
    if let Some(op) = operator.0.as_ref() {
        if same_secret(op.expose_secret().as_bytes(), token.as_bytes()) {
            return Ok(Caller(Principal::Operator));
        }
    }
    company_caller(store, &hash_token(token)).await
}

/// The caller the token with SHA-256 `token_hash` names, checked as [`verify_token`] checks the
/// token itself: a console session keeps only the hash and asks again on every request, so a
/// revoked or expired token (or a changed operator token) ends the session.
pub async fn verify_token_hash(
    token_hash: &str,
    operator: &OperatorToken,
    store: &DynStore,
) -> Result<Caller, ApiError> {
    if let Some(op) = operator.0.as_ref() {
        if same_secret(hash_token(op.expose_secret()).as_bytes(), token_hash.as_bytes()) {
            return Ok(Caller(Principal::Operator));
        }
    }
    company_caller(store, token_hash).await
}

/// A live (not revoked, not expired) company token by its hash, else 401; records its use.
async fn company_caller(store: &DynStore, token_hash: &str) -> Result<Caller, ApiError> {
    let Some(grant) = store.token_grant(token_hash).await? else { return Err(ApiError::Unauthorized) };
    let now = chrono::Utc::now();
    if grant.expires_at.is_some_and(|t| t <= now) {
        return Err(ApiError::Unauthorized);
    }
    if grant.last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY) {
        if let Err(e) = store.touch_token(grant.id, now).await {
            tracing::warn!(error = %e, "cannot record a token's last use");
        }
    }
    Ok(Caller(Principal::Company { company: grant.company_id, scopes: grant.scopes, expires_at: grant.expires_at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_content_whatever_their_length() {
        assert!(same_secret(b"operator-token-0123456789", b"operator-token-0123456789"));
        assert!(!same_secret(b"operator-token-0123456789", b"operator-token-012345678"));
        assert!(!same_secret(b"", b"x"));
    }

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(a.starts_with("sbt_") && a.len() == 47);
        assert_eq!(hash_token("x"), "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
    }

    #[test]
    fn company_callers_reach_only_their_company() {
        let (a, b) = (CompanyId::new(), CompanyId::new());
        let of = |company| Caller(Principal::Company { company, scopes: Scopes::DEFAULT, expires_at: None });
        assert!(of(a).require_company(a).is_ok());
        assert!(matches!(of(a).require_company(b), Err(ApiError::NotFound(_))));
        assert!(matches!(of(a).require_scope(Scope::Tokens), Err(ApiError::Forbidden(_))));
        assert!(Caller(Principal::Operator).require_scope(Scope::Tokens).is_ok());
        assert!(Caller(Principal::Operator).require_company(b).is_ok());
    }
}
