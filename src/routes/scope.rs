//! The company a request acts on, as an extractor: the bearer token is checked (401), the caller
//! may reach the company named by the path's `{id}` and the company exists (404 otherwise, the
//! same answer either way, so another company's existence is not leaked), and the token has the
//! scope the request needs (403): `read` for GET, `send` for messages and calls, `tokens` for
//! minting and revoking tokens, `admin` for every other change. Every company route takes it, so
//! no handler can forget a check.
use std::future::Future;
use std::pin::Pin;

use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest};
use uuid::Uuid;

use super::api_error::ApiError;
use super::auth::Caller;
use crate::domain::{CompanyId, Scope};
use crate::store::{DynStore, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct CompanyScope {
    pub company: CompanyId,
    pub caller: Caller,
}

impl FromRequest for CompanyScope {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        let id = req.match_info().get("id").and_then(|s| s.parse::<Uuid>().ok());
        let needed = required_scope(req.method(), req.path());
        let store = req.app_data::<web::Data<DynStore>>().cloned();
        Box::pin(async move {
            let caller = caller.await?;
            let company = CompanyId::from_uuid(id.ok_or(ApiError::NotFound("company"))?);
            let store = store.ok_or_else(|| ApiError::Internal("store not configured".into()))?;
            CompanyScope::check(caller, company, needed, &store).await
        })
    }
}

impl CompanyScope {
    /// `caller` may reach `company`, which exists (404 otherwise), with `needed` (403): the
    /// checks of every company route, also used by the console.
    pub async fn check(caller: Caller, company: CompanyId, needed: Scope, store: &DynStore) -> Result<Self, ApiError> {
        caller.require_company(company)?;
        caller.require_scope(needed)?;
        match store.get_company(company).await {
            Ok(_) => Ok(CompanyScope { company, caller }),
            Err(StoreError::NotFound) => Err(ApiError::NotFound("company")),
            Err(e) => Err(e.into()),
        }
    }
}

/// The scope a request under `/v1/companies/{id}` needs.
pub fn required_scope(method: &Method, path: &str) -> Scope {
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
    // An explanation is a question, not a change.
    if matches!(*method, Method::GET | Method::HEAD) || (last == "explain" && path.ends_with("/routing/explain")) {
        return Scope::Read;
    }
    let segments: Vec<&str> = path.split('/').collect();
    if matches!(last, "messages" | "calls") && segments.len() == 5 {
        Scope::Send
    } else if segments.get(4) == Some(&"tokens") {
        Scope::Tokens
    } else {
        Scope::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_needs_the_scope_of_what_it_does() {
        let c = "/v1/companies/5f1b9a0e-0000-4000-8000-000000000001";
        let cases = [
            (Method::GET, format!("{c}/numbers"), Scope::Read),
            (Method::GET, format!("{c}/tokens"), Scope::Read),
            (Method::POST, format!("{c}/messages"), Scope::Send),
            (Method::POST, format!("{c}/calls"), Scope::Send),
            (Method::POST, format!("{c}/tokens"), Scope::Tokens),
            (Method::DELETE, format!("{c}/tokens/5f1b9a0e-0000-4000-8000-000000000002"), Scope::Tokens),
            (Method::PUT, format!("{c}/departments/Sales"), Scope::Admin),
            (Method::PUT, format!("{c}/departments/messages"), Scope::Admin),
            (Method::POST, format!("{c}/numbers"), Scope::Admin),
            (Method::POST, format!("{c}/provision"), Scope::Admin),
            (Method::POST, format!("{c}/routing/explain"), Scope::Read),
            (Method::PUT, format!("{c}/routing"), Scope::Admin),
        ];
        for (method, path, scope) in cases {
            assert_eq!(required_scope(&method, &path), scope, "{method} {path}");
        }
    }
}
