//! GET and PUT /v1/companies/{id}/limits: what the company may do per minute or per day. The
//! company reads its limits; only the operator changes them (an override per limit, `null` for
//! the configured default).
use actix_web::{get, put, web, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::company::directory::Directory;
use crate::company::limits::{effective, EffectiveLimits};
use crate::config::LimitSettings;
use crate::routes::api_error::ApiError;
use crate::routes::auth::Principal;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::{DynStore, LimitOverrides};

/// The largest limit an override may set.
const MAX_LIMIT: i64 = 1_000_000;

/// The limits in force, and the operator's overrides (`null`: the configured default applies).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompanyLimits {
    #[serde(flatten)]
    pub effective: EffectiveLimits,
    pub overrides: LimitOverrides,
}

/// The overrides to set; a limit absent or `null` goes back to the configured default; 0 refuses
/// everything of that kind.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutLimits {
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub messages_per_minute: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub calls_per_minute: Option<i64>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub purchases_per_day: Option<i64>,
}

impl TryFrom<PutLimits> for LimitOverrides {
    type Error = ApiError;
    fn try_from(b: PutLimits) -> Result<Self, ApiError> {
        let check = |field: &str, v: Option<i64>| match v {
            Some(n) if !(0..=MAX_LIMIT).contains(&n) => {
                Err(ApiError::invalid(field, format!("must be between 0 and {MAX_LIMIT}, or null for the default")))
            }
            v => Ok(v),
        };
        Ok(LimitOverrides {
            messages_per_minute: check("messages_per_minute", b.messages_per_minute)?,
            calls_per_minute: check("calls_per_minute", b.calls_per_minute)?,
            purchases_per_day: check("purchases_per_day", b.purchases_per_day)?,
        })
    }
}

async fn current(store: &DynStore, defaults: &LimitSettings, scope: &CompanyScope) -> Result<CompanyLimits, ApiError> {
    let overrides = store.limit_overrides(scope.company).await?;
    Ok(CompanyLimits { effective: effective(defaults, &overrides), overrides })
}

#[utoipa::path(
    tag = "companies",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The limits in force and the operator's overrides", body = CompanyLimits),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/limits")]
pub async fn get_limits(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    defaults: web::Data<LimitSettings>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(current(&store, &defaults, &scope).await?))
}

#[utoipa::path(
    tag = "companies",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = PutLimits,
    responses(
        (status = 200, description = "Stored; the limits now in force", body = CompanyLimits),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the operator sets a company's limits", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/companies/{id}/limits")]
pub async fn put_limits(
    scope: CompanyScope,
    body: JsonBody<PutLimits>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    defaults: web::Data<LimitSettings>,
) -> Result<HttpResponse, ApiError> {
    if let Principal::Company { .. } = scope.caller.0 {
        return Err(ApiError::Forbidden("only the operator sets a company's limits".into()));
    }
    let overrides = LimitOverrides::try_from(body.into_inner())?;
    directory.put_limit_overrides(scope.company, &overrides).await?;
    Ok(HttpResponse::Ok().json(current(&store, &defaults, &scope).await?))
}
