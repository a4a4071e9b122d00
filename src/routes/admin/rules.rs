//! Departments and locations: PUT by name creates or replaces one, with its destinations, business
//! hours (IANA time zone, weekly intervals, after-hours destinations) and, for locations, area codes.
use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::formats::RuleName;
use super::{check_rule_calls, check_rule_forwards, not_found, rule_error};
use crate::company::directory::Directory;
use crate::domain::CompanyId;
use crate::outbox::guard::ForwardPolicy;
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::routing::rules::check_name;
use crate::routing::{BusinessHours, Destinations, RuleError};
use crate::routing::{BusinessHoursSpec, Department, DepartmentSpec, DestinationsSpec, Location, LocationSpec};
use crate::store::page::RuleKey;
use crate::store::{DynStore, StoreResult, Window};

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

/// What departments and locations have in common: one set of handler bodies serves both.
trait RuleKind {
    type Rule: serde::Serialize;
    type Body;
    /// As named in 404s.
    const WHAT: &'static str;
    /// As named in cursors.
    const LIST: &'static str;
    fn build(name: String, body: Self::Body) -> Result<Self::Rule, RuleError>;
    /// Its destinations and business hours (for the forward policy).
    fn targets(rule: &Self::Rule) -> (&Destinations, Option<&BusinessHours>);
    /// Its name, the sort key of the list.
    fn key(rule: &Self::Rule) -> RuleKey;
    async fn page(store: &DynStore, company: CompanyId, window: &Window<RuleKey>) -> StoreResult<Vec<Self::Rule>>;
    async fn get(store: &DynStore, company: CompanyId, name: &str) -> StoreResult<Self::Rule>;
    async fn put(directory: &Directory, company: CompanyId, rule: &Self::Rule) -> StoreResult<()>;
    async fn delete(directory: &Directory, company: CompanyId, name: &str) -> StoreResult<()>;
}

struct Departments;
struct Locations;

impl RuleKind for Departments {
    type Rule = Department;
    type Body = DepartmentBody;
    const WHAT: &'static str = "department";
    const LIST: &'static str = "departments";
    fn build(name: String, b: DepartmentBody) -> Result<Department, RuleError> {
        Department::try_from(DepartmentSpec { name, destinations: b.destinations, hours: b.hours })
    }
    fn targets(d: &Department) -> (&Destinations, Option<&BusinessHours>) {
        (&d.destinations, d.hours.as_ref())
    }
    fn key(d: &Department) -> RuleKey {
        d.name.clone()
    }
    async fn page(store: &DynStore, company: CompanyId, window: &Window<RuleKey>) -> StoreResult<Vec<Department>> {
        store.page_departments(company, window).await
    }
    async fn get(store: &DynStore, company: CompanyId, name: &str) -> StoreResult<Department> {
        store.get_department(company, name).await
    }
    async fn put(directory: &Directory, company: CompanyId, rule: &Department) -> StoreResult<()> {
        directory.put_department(company, rule).await
    }
    async fn delete(directory: &Directory, company: CompanyId, name: &str) -> StoreResult<()> {
        directory.delete_department(company, name).await
    }
}

impl RuleKind for Locations {
    type Rule = Location;
    type Body = LocationBody;
    const WHAT: &'static str = "location";
    const LIST: &'static str = "locations";
    fn build(name: String, b: LocationBody) -> Result<Location, RuleError> {
        Location::try_from(LocationSpec {
            name,
            destinations: b.destinations,
            hours: b.hours,
            area_codes: b.area_codes,
        })
    }
    fn targets(l: &Location) -> (&Destinations, Option<&BusinessHours>) {
        (&l.destinations, l.hours.as_ref())
    }
    fn key(l: &Location) -> RuleKey {
        l.name.clone()
    }
    async fn page(store: &DynStore, company: CompanyId, window: &Window<RuleKey>) -> StoreResult<Vec<Location>> {
        store.page_locations(company, window).await
    }
    async fn get(store: &DynStore, company: CompanyId, name: &str) -> StoreResult<Location> {
        store.get_location(company, name).await
    }
    async fn put(directory: &Directory, company: CompanyId, rule: &Location) -> StoreResult<()> {
        directory.put_location(company, rule).await
    }
    async fn delete(directory: &Directory, company: CompanyId, name: &str) -> StoreResult<()> {
        directory.delete_location(company, name).await
    }
}

async fn list<K: RuleKind>(scope: CompanyScope, store: &DynStore, page: Page) -> Result<HttpResponse, ApiError> {
    let listing = page.of::<RuleKey>(List::company(K::LIST, scope.company))?;
    let rows = K::page(store, scope.company, listing.window()).await?;
    listing.respond(rows, K::key)
}

/// A name is read the way it is written (trimmed, checked): one that could not be written names
/// nothing.
fn lookup_name<K: RuleKind>(raw: String) -> Result<String, ApiError> {
    check_name(raw).map_err(|_| ApiError::NotFound(K::WHAT))
}

async fn get<K: RuleKind>(scope: CompanyScope, store: &DynStore, raw: String) -> Result<HttpResponse, ApiError> {
    let rule = K::get(store, scope.company, &lookup_name::<K>(raw)?).await.map_err(not_found(K::WHAT))?;
    Ok(HttpResponse::Ok().json(rule))
}

async fn put<K: RuleKind>(
    scope: CompanyScope,
    store: &DynStore,
    directory: &Directory,
    policy: &ForwardPolicy,
    raw: String,
    body: K::Body,
) -> Result<HttpResponse, ApiError> {
    let rule = save::<K>(scope.company, store, directory, policy, raw, body).await?;
    Ok(HttpResponse::Ok().json(rule))
}

/// Checks and stores a rule (validation, the forward policy, no other company's numbers).
async fn save<K: RuleKind>(
    company: CompanyId,
    store: &DynStore,
    directory: &Directory,
    policy: &ForwardPolicy,
    raw: String,
    body: K::Body,
) -> Result<K::Rule, ApiError> {
    let rule = K::build(name(raw)?, body).map_err(|e| rule_error("", e))?;
    let (destinations, hours) = K::targets(&rule);
    check_rule_forwards(policy, destinations, hours)?;
    check_rule_calls(store, company, destinations, hours).await?;
    K::put(directory, company, &rule).await?;
    Ok(rule)
}

/// Creates or replaces the department `name` as PUT .../departments/{name} does (the console
/// shares it).
pub(crate) async fn save_department(
    company: CompanyId,
    store: &DynStore,
    directory: &Directory,
    policy: &ForwardPolicy,
    name: String,
    body: DepartmentBody,
) -> Result<Department, ApiError> {
    save::<Departments>(company, store, directory, policy, name, body).await
}

/// Creates or replaces the location `name` as PUT .../locations/{name} does.
pub(crate) async fn save_location(
    company: CompanyId,
    store: &DynStore,
    directory: &Directory,
    policy: &ForwardPolicy,
    name: String,
    body: LocationBody,
) -> Result<Location, ApiError> {
    save::<Locations>(company, store, directory, policy, name, body).await
}

async fn delete<K: RuleKind>(
    scope: CompanyScope,
    directory: &Directory,
    raw: String,
) -> Result<HttpResponse, ApiError> {
    K::delete(directory, scope.company, &lookup_name::<K>(raw)?).await.map_err(not_found(K::WHAT))?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "The company's departments, by name", body = Paginated<Department>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/departments")]
pub async fn list_departments(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    list::<Departments>(scope, &store, page).await
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
    get::<Departments>(scope, &store, path.into_inner().1).await
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
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    policy: web::Data<ForwardPolicy>,
    path: web::Path<(Uuid, String)>,
    body: JsonBody<DepartmentBody>,
) -> Result<HttpResponse, ApiError> {
    put::<Departments>(scope, &store, &directory, &policy, path.into_inner().1, body.into_inner()).await
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
    delete::<Departments>(scope, &directory, path.into_inner().1).await
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "The company's locations, by name", body = Paginated<Location>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/locations")]
pub async fn list_locations(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    list::<Locations>(scope, &store, page).await
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
    get::<Locations>(scope, &store, path.into_inner().1).await
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
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    policy: web::Data<ForwardPolicy>,
    path: web::Path<(Uuid, String)>,
    body: JsonBody<LocationBody>,
) -> Result<HttpResponse, ApiError> {
    put::<Locations>(scope, &store, &directory, &policy, path.into_inner().1, body.into_inner()).await
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
    delete::<Locations>(scope, &directory, path.into_inner().1).await
}
