//! Company API tokens: created (shown once), listed without the secret, revoked.
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::not_found;
use crate::routes::api_error::ApiError;
use crate::routes::auth::{hash_token, new_token};
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::{ApiToken, DynStore};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, 1 to 100 characters.
    #[schema(value_type = super::formats::TokenName)]
    pub name: String,
}

/// A new token: `token` is shown this once and stored only as a hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    pub token: String,
    pub created_at: DateTime<Utc>,
}

#[utoipa::path(
    tag = "tokens",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = CreateToken,
    responses(
        (status = 201, description = "Created; the token is shown only now", body = CreatedToken),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/tokens")]
pub async fn create_token(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    body: JsonBody<CreateToken>,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "must be 1 to 100 characters without control characters"));
    }
    let token = new_token();
    let stored = store.insert_token(company, name, &hash_token(&token)).await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        id: stored.id,
        name: stored.name,
        token,
        created_at: stored.created_at,
    }))
}

#[utoipa::path(
    tag = "tokens",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The company's tokens, without secrets", body = Vec<ApiToken>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/tokens")]
pub async fn list_tokens(scope: CompanyScope, store: web::Data<DynStore>) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    Ok(HttpResponse::Ok().json(store.list_tokens(company).await?))
}

#[utoipa::path(
    tag = "tokens",
    params(("id" = Uuid, Path, description = "Company id"), ("token_id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/companies/{id}/tokens/{token_id}")]
pub async fn revoke_token(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, token_id) = path.into_inner();
    let company = scope.company;
    store.revoke_token(company, token_id).await.map_err(not_found("token"))?;
    Ok(HttpResponse::NoContent().finish())
}
