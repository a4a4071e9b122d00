//! Companies: created by the operator; a company token sees only its own.
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::CompanyId;
use crate::routes::api_error::ApiError;
use crate::routes::auth::{Caller, Principal};
use crate::routes::json_body::JsonBody;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::page::CompanyKey;
use crate::store::{Company, DynStore};

const NAME_MAX: usize = 200;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCompany {
    /// 1 to 200 characters.
    #[schema(value_type = super::formats::CompanyName)]
    pub name: String,
    /// Chosen by the caller (e.g. the product's own company id); random when absent.
    pub id: Option<Uuid>,
}

#[utoipa::path(
    tag = "companies",
    request_body = CreateCompany,
    responses(
        (status = 201, description = "Created", body = Company),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not the operator", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id exists", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies")]
pub async fn create_company(
    caller: Caller,
    store: web::Data<DynStore>,
    body: JsonBody<CreateCompany>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let company = new_company(&caller, &store, &body.name, body.id).await?;
    Ok(HttpResponse::Created().json(company))
}

/// Creates a company (the operator only): the API and the console share it.
pub(crate) async fn new_company(
    caller: &Caller,
    store: &DynStore,
    name: &str,
    id: Option<Uuid>,
) -> Result<Company, ApiError> {
    caller.require_operator()?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "must be 1 to 200 characters without control characters"));
    }
    let id = id.map(CompanyId::from_uuid).unwrap_or_default();
    store.create_company(id, name).await.map_err(|e| match e {
        crate::store::StoreError::Conflict(_) => ApiError::Conflict(format!("company {id} exists already")),
        other => other.into(),
    })
}

#[utoipa::path(
    tag = "companies",
    params(PageQuery),
    responses(
        (status = 200, description = "Every company (operator) or the caller's own, by id", body = Paginated<Company>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies")]
pub async fn list_companies(caller: Caller, store: web::Data<DynStore>, page: Page) -> Result<HttpResponse, ApiError> {
    let listing = page.of::<CompanyKey>(List::global("companies"))?;
    let companies = match caller.0 {
        Principal::Operator => store.page_companies(listing.window()).await?,
        // A company token sees its own company: the one row, when the cursor is before it.
        Principal::Company { company, .. } => {
            let own = store.get_company(company).await?;
            let after = listing.window().after;
            if after.is_none_or(|a| own.id.as_uuid() > a) {
                vec![own]
            } else {
                Vec::new()
            }
        }
    };
    listing.respond(companies, |c| c.id.as_uuid())
}

#[utoipa::path(
    tag = "companies",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The company", body = Company),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company (or another company's)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}")]
pub async fn get_company(scope: CompanyScope, store: web::Data<DynStore>) -> Result<HttpResponse, ApiError> {
    let id = scope.company;
    Ok(HttpResponse::Ok().json(store.get_company(id).await?))
}
