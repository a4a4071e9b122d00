//! Customer assignments: a customer's calls and messages route as if they reached the assigned
//! number, and outbound contact to them goes out from it.
use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::formats::E164;
use super::numbers::active_number;
use super::{not_found, phone};
use crate::company::directory::Directory;
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::page::CustomerKey;
use crate::store::rules::Assignment;
use crate::store::DynStore;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutAssignment {
    /// One of the company's active numbers, E.164.
    #[schema(value_type = E164)]
    pub phone_number: String,
}

#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "The company's assignments, by customer", body = Paginated<Assignment>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/assignments")]
pub async fn list_assignments(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let listing = page.of::<CustomerKey>(List::company("assignments", company))?;
    let rows = store.page_assignments(company, listing.window()).await?;
    listing.respond(rows, |a| a.customer.as_str().to_owned())
}

#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path, description = "Company id"), ("customer" = E164, Path, description = "Customer, E.164")),
    responses(
        (status = 200, description = "The assignment", body = Assignment),
        (status = 400, description = "Not E.164", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/assignments/{customer}")]
pub async fn get_assignment(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, customer) = path.into_inner();
    let company = scope.company;
    let customer = phone("customer", &customer)?;
    Ok(HttpResponse::Ok().json(store.get_assignment(company, &customer).await.map_err(not_found("assignment"))?))
}

#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path, description = "Company id"), ("customer" = E164, Path, description = "Customer, E.164")),
    request_body = PutAssignment,
    responses(
        (status = 200, description = "Set (replacing any earlier assignment)", body = Assignment),
        (status = 400, description = "Not E.164", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an active number of the company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/companies/{id}/assignments/{customer}")]
pub async fn put_assignment(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, String)>,
    body: JsonBody<PutAssignment>,
) -> Result<HttpResponse, ApiError> {
    let (_, customer) = path.into_inner();
    let company = scope.company;
    let customer = phone("customer", &customer)?;
    let number = active_number(&store, company, "phone_number", &phone("phone_number", &body.phone_number)?).await?;
    let assignment = directory.set_assignment(company, &customer, number.id, &number.phone_number).await?;
    Ok(HttpResponse::Ok().json(assignment))
}

#[utoipa::path(
    tag = "assignments",
    params(("id" = Uuid, Path, description = "Company id"), ("customer" = E164, Path, description = "Customer, E.164")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Not E.164", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such assignment", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/companies/{id}/assignments/{customer}")]
pub async fn delete_assignment(
    scope: CompanyScope,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, customer) = path.into_inner();
    let company = scope.company;
    let customer = phone("customer", &customer)?;
    directory.delete_assignment(company, &customer).await.map_err(not_found("assignment"))?;
    Ok(HttpResponse::NoContent().finish())
}
