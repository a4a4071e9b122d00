//! Company API tokens: created (shown once), listed without the secret, revoked.
use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::not_found;
use crate::domain::Scopes;
use crate::routes::api_error::ApiError;
use crate::routes::auth::Principal;
use crate::routes::auth::{hash_token, new_token};
use crate::routes::json_body::JsonBody;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::page::TokenKey;
use crate::store::{ApiToken, DynStore, NewToken};

/// The expiry of the company token making the request (`None` for the operator, or no expiry).
fn caller_expiry(scope: &CompanyScope) -> Option<DateTime<Utc>> {
    match scope.caller.0 {
        Principal::Operator => None,
        Principal::Company { expires_at, .. } => expires_at,
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for, 1 to 100 characters.
    #[schema(value_type = super::formats::TokenName)]
    pub name: String,
    /// What it may do: `read` (GET), `send` (messages and calls), `admin` (numbers and routing
    /// rules), `tokens` (mint and revoke tokens). Default: read, send, admin. A company token
    /// grants at most its own scopes.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>, example = json!(["read"]))]
    pub scopes: Option<Scopes>,
    /// When it stops working (RFC 3339, in the future); absent: never. A company token's
    /// expiry bounds the tokens it mints.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A new token: `token` is shown this once and stored only as a hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    pub token: String,
    #[schema(value_type = Vec<String>)]
    pub scopes: Scopes,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[utoipa::path(
    tag = "tokens",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = CreateToken,
    responses(
        (status = 201, description = "Created; the token is shown only now", body = CreatedToken),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `tokens` scope, or asks for more than it has", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/tokens")]
pub async fn create_token(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    body: JsonBody<CreateToken>,
) -> Result<HttpResponse, ApiError> {
    let created = mint(&store, &scope, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Mints a token as asked (never stronger than the caller's: the API and the console share it).
pub(crate) async fn mint(store: &DynStore, scope: &CompanyScope, body: CreateToken) -> Result<CreatedToken, ApiError> {
    let company = scope.company;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid("name", "must be 1 to 100 characters without control characters"));
    }
    let scopes = body.scopes.unwrap_or(Scopes::DEFAULT);
    if scopes.is_empty() {
        return Err(ApiError::invalid("scopes", "must name at least one of read, send, admin, tokens"));
    }
    // No token mints a stronger one than itself: not more scopes, not a longer life.
    if !scopes.is_subset(scope.caller.scopes()) {
        return Err(ApiError::Forbidden(format!("a token may grant only its own scopes ({})", scope.caller.scopes())));
    }
    if body.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(ApiError::invalid("expires_at", "must be in the future"));
    }
    let expires_at = match (body.expires_at, caller_expiry(scope)) {
        (Some(asked), Some(own)) if asked > own => {
            return Err(ApiError::invalid("expires_at", "must not be later than the expiry of the token asking"))
        }
        (None, Some(own)) => Some(own),
        (asked, _) => asked,
    };
    let token = new_token();
    let hash = hash_token(&token);
    let new = NewToken { company, name, token_hash: &hash, scopes, expires_at };
    let stored = store.insert_token(&new).await?;
    Ok(CreatedToken {
        id: stored.id,
        name: stored.name,
        token,
        scopes: stored.scopes,
        created_at: stored.created_at,
        expires_at: stored.expires_at,
    })
}

#[utoipa::path(
    tag = "tokens",
    params(("id" = Uuid, Path, description = "Company id"), PageQuery),
    responses(
        (status = 200, description = "The company's tokens, without secrets, oldest first", body = Paginated<ApiToken>),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/tokens")]
pub async fn list_tokens(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let listing = page.of::<TokenKey>(List::company("tokens", company))?;
    let rows = store.page_tokens(company, listing.window()).await?;
    listing.respond(rows, |t| (t.created_at, t.id))
}

#[utoipa::path(
    tag = "tokens",
    params(("id" = Uuid, Path, description = "Company id"), ("token_id" = Uuid, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `tokens` scope, or asks for more than it has", body = Problem, content_type = "application/problem+json"),
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
