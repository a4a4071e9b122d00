//! The company a request acts on, as an extractor: the bearer token is checked (401), the caller
//! may reach the company named by the path's `{id}` and the company exists (404 otherwise, the
//! same answer either way, so another company's existence is not leaked).
use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use uuid::Uuid;

use super::api_error::ApiError;
use super::auth::Caller;
use crate::domain::CompanyId;
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
        let store = req.app_data::<web::Data<DynStore>>().cloned();
        Box::pin(async move {
            let caller = caller.await?;
            let company = CompanyId::from_uuid(id.ok_or(ApiError::NotFound("company"))?);
            caller.require_company(company)?;
            let store = store.ok_or_else(|| ApiError::Internal("store not configured".into()))?;
            match store.get_company(company).await {
                Ok(_) => Ok(CompanyScope { company, caller }),
                Err(StoreError::NotFound) => Err(ApiError::NotFound("company")),
                Err(e) => Err(e.into()),
            }
        })
    }
}
