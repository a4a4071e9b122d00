//! Opt-outs: customers who must not be messaged (set by STOP keywords or an admin).
use actix_web::{delete, get, put, web, HttpResponse};
use uuid::Uuid;

use super::formats::E164;
use super::{company_scope, notify, phone};
use crate::routes::api_error::ApiError;
use crate::routes::auth::Caller;
use crate::routes::problem::Problem;
use crate::store::changes::{Change, DynChanges};
use crate::store::rules::OptOut;
use crate::store::DynStore;

#[utoipa::path(
    tag = "opt-outs",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "Opted-out customers", body = Vec<OptOut>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/opt-outs")]
pub async fn list_opt_outs(
    caller: Caller,
    store: web::Data<DynStore>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let company = company_scope(&caller, &store, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(store.list_opt_outs(company).await?))
}

#[utoipa::path(
    tag = "opt-outs",
    params(("id" = Uuid, Path, description = "Company id"), ("customer" = E164, Path, description = "Customer, E.164")),
    responses(
        (status = 200, description = "Opted out (idempotent)", body = OptOut),
        (status = 400, description = "Not E.164", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/companies/{id}/opt-outs/{customer}")]
pub async fn put_opt_out(
    caller: Caller,
    store: web::Data<DynStore>,
    changes: web::Data<DynChanges>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, customer) = path.into_inner();
    let company = company_scope(&caller, &store, id).await?;
    let customer = phone("customer", &customer)?;
    let opt_out = store.add_opt_out(company, &customer, "admin").await?;
    notify(&changes, company, Change::Rules).await;
    Ok(HttpResponse::Ok().json(opt_out))
}

#[utoipa::path(
    tag = "opt-outs",
    params(("id" = Uuid, Path, description = "Company id"), ("customer" = E164, Path, description = "Customer, E.164")),
    responses(
        (status = 204, description = "Cleared"),
        (status = 400, description = "Not E.164", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not opted out", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/companies/{id}/opt-outs/{customer}")]
pub async fn delete_opt_out(
    caller: Caller,
    store: web::Data<DynStore>,
    changes: web::Data<DynChanges>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, customer) = path.into_inner();
    let company = company_scope(&caller, &store, id).await?;
    let customer = phone("customer", &customer)?;
    if !store.remove_opt_out(company, &customer).await? {
        return Err(ApiError::NotFound("opt-out"));
    }
    notify(&changes, company, Change::Rules).await;
    Ok(HttpResponse::NoContent().finish())
}
