//! Departments and locations: PUT by name creates or replaces one, with its destinations, business
//! hours (IANA time zone, weekly intervals, after-hours destinations) and, for locations, area codes.
use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::formats::RuleName;
use super::{not_found, rule_error};
use crate::company::directory::Directory;
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::routing::rules::check_name;
use crate::routing::{BusinessHoursSpec, Department, DepartmentSpec, DestinationsSpec, Location, LocationSpec};
use crate::store::DynStore;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentBody {
    #[serde(default, deserialize_with = "crate::json_object::object")]
    pub destinations: DestinationsSpec,
    /// Absent: always open.
    #[serde(default, deserialize_with = "crate::json_object::optional_object")]
    pub hours: Option<BusinessHoursSpec>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    #[serde(default, deserialize_with = "crate::json_object::object")]
    pub destinations: DestinationsSpec,
    #[serde(default, deserialize_with = "crate::json_object::optional_object")]
    pub hours: Option<BusinessHoursSpec>,
    /// NANP area codes this location serves (local presence for outbound).
    #[serde(default)]
    pub area_codes: Vec<String>,
}

fn name(raw: String) -> Result<String, ApiError> {
    check_name(raw).map_err(|e| rule_error("", e))
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The company's departments", body = Vec<Department>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/departments")]
pub async fn list_departments(scope: CompanyScope, store: web::Data<DynStore>) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    Ok(HttpResponse::Ok().json(store.list_departments(company).await?))
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id"), ("name" = String, Path, description = "Department name")),
    responses(
        (status = 200, description = "The department", body = Department),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such department", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/departments/{name}")]
pub async fn get_department(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, name) = path.into_inner();
    let company = scope.company;
    Ok(HttpResponse::Ok().json(store.get_department(company, &name).await.map_err(not_found("department"))?))
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id"), ("name" = RuleName, Path, description = "Department name")),
    request_body = DepartmentBody,
    responses(
        (status = 200, description = "Created or replaced", body = Department),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/companies/{id}/departments/{name}")]
pub async fn put_department(
    scope: CompanyScope,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, String)>,
    body: JsonBody<DepartmentBody>,
) -> Result<HttpResponse, ApiError> {
    let (_, raw_name) = path.into_inner();
    let company = scope.company;
    let body = body.into_inner();
    let spec = DepartmentSpec { name: name(raw_name)?, destinations: body.destinations, hours: body.hours };
    let department = Department::try_from(spec).map_err(|e| rule_error("", e))?;
    directory.put_department(company, &department).await?;
    Ok(HttpResponse::Ok().json(department))
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id"), ("name" = String, Path, description = "Department name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such department", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/companies/{id}/departments/{name}")]
pub async fn delete_department(
    scope: CompanyScope,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, name) = path.into_inner();
    let company = scope.company;
    directory.delete_department(company, &name).await.map_err(not_found("department"))?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The company's locations", body = Vec<Location>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/locations")]
pub async fn list_locations(scope: CompanyScope, store: web::Data<DynStore>) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    Ok(HttpResponse::Ok().json(store.list_locations(company).await?))
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id"), ("name" = String, Path, description = "Location name")),
    responses(
        (status = 200, description = "The location", body = Location),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such location", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/locations/{name}")]
pub async fn get_location(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, name) = path.into_inner();
    let company = scope.company;
    Ok(HttpResponse::Ok().json(store.get_location(company, &name).await.map_err(not_found("location"))?))
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id"), ("name" = RuleName, Path, description = "Location name")),
    request_body = LocationBody,
    responses(
        (status = 200, description = "Created or replaced", body = Location),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/companies/{id}/locations/{name}")]
pub async fn put_location(
    scope: CompanyScope,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, String)>,
    body: JsonBody<LocationBody>,
) -> Result<HttpResponse, ApiError> {
    let (_, raw_name) = path.into_inner();
    let company = scope.company;
    let body = body.into_inner();
    let spec = LocationSpec {
        name: name(raw_name)?,
        destinations: body.destinations,
        hours: body.hours,
        area_codes: body.area_codes,
    };
    let location = Location::try_from(spec).map_err(|e| rule_error("", e))?;
    directory.put_location(company, &location).await?;
    Ok(HttpResponse::Ok().json(location))
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id"), ("name" = String, Path, description = "Location name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such location", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/companies/{id}/locations/{name}")]
pub async fn delete_location(
    scope: CompanyScope,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (_, name) = path.into_inner();
    let company = scope.company;
    directory.delete_location(company, &name).await.map_err(not_found("location"))?;
    Ok(HttpResponse::NoContent().finish())
}
