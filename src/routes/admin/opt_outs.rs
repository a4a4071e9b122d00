//! Opt-outs: customers who must not be messaged (set by STOP keywords or an admin).
use actix_web::{delete, get, put, web, HttpResponse};
use uuid::Uuid;

use super::formats::E164;
use super::phone;
use crate::company::directory::Directory;
use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::page::CustomerKey;
use crate::store::rules::OptOut;
use crate::store::DynStore;

#[utoipa::path(
    tag = "opt-outs",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "Opted-out customers, by number", body = Paginated<OptOut>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/opt-outs")]
pub async fn list_opt_outs(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let listing = page.of::<CustomerKey>(List::company("opt-outs", company))?;
    let rows = store.page_opt_outs(company, listing.window()).await?;
    listing.respond(rows, |o| o.customer.as_str().to_owned())
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
    scope: CompanyScope,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, customer) = path.into_inner();
    let company = scope.company;
    let customer = phone("customer", &customer)?;
    let opt_out = directory.add_opt_out(company, &customer, "admin").await?;
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
    scope: CompanyScope,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, customer) = path.into_inner();
    let company = scope.company;
    let customer = phone("customer", &customer)?;
    if !directory.remove_opt_out(company, &customer).await? {
        return Err(ApiError::NotFound("opt-out"));
    }
    Ok(HttpResponse::NoContent().finish())
}
