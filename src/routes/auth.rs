//! Admin API authentication: `Authorization: Bearer <token>`. The operator token (config) reaches
//! every company; a company token (stored hashed) reaches only its company, and another company's
//! resources answer 404 so their existence is not leaked.
use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::domain::CompanyId;
use crate::routes::api_error::ApiError;
use crate::store::DynStore;

/// The operator token from config, as shared app data.
#[derive(Clone)]
pub struct OperatorToken(pub Option<SecretString>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    Operator,
    Company(CompanyId),
}

/// An authenticated caller (extractor).
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Principal);

impl Caller {
    /// Ok when the caller may act on `company`; `NotFound` otherwise.
    pub fn require_company(&self, company: CompanyId) -> Result<(), ApiError> {
        match self.0 {
            Principal::Operator => Ok(()),
            Principal::Company(c) if c == company => Ok(()),
            Principal::Company(_) => Err(ApiError::NotFound("company")),
        }
    }

    pub fn require_operator(&self) -> Result<(), ApiError> {
        match self.0 {
            Principal::Operator => Ok(()),
            Principal::Company(_) => Err(ApiError::NotFound("resource")),
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
        Box::pin(async move {
            let token = token.ok_or(ApiError::Unauthorized)?;
            if let Some(op) = operator.as_ref().and_then(|o| o.0.as_ref()) {
                if constant_time_eq(op.expose_secret().as_bytes(), token.as_bytes()) {
                    return Ok(Caller(Principal::Operator));
                }
            }
            let store = store.ok_or_else(|| ApiError::Internal("store not configured".into()))?;
            match store.company_for_token(&hash_token(&token)).await? {
                Some(company) => Ok(Caller(Principal::Company(company))),
                None => Err(ApiError::Unauthorized),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(Caller(Principal::Company(a)).require_company(a).is_ok());
        assert!(matches!(Caller(Principal::Company(a)).require_company(b), Err(ApiError::NotFound(_))));
        assert!(Caller(Principal::Operator).require_company(b).is_ok());
    }
}
