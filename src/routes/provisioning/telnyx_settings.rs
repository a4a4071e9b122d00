//! GET /v1/companies/{id}/telnyx: the company's Telnyx settings, shared by all its numbers.
use actix_web::{get, web, HttpResponse};
use serde::Serialize;

use crate::provisioning::is_provisioned;
use crate::routes::api_error::ApiError;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::{CompanySettings, DynStore};

/// The company's messaging profile, Call Control application, outbound voice profile and default
/// number (with its Telnyx id and its id here); null where none is set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompanyTelnyx {
    /// Every one of the above is set: POST /provision has nothing left to do.
    pub provisioned: bool,
    #[serde(flatten)]
    pub settings: CompanySettings,
}

#[utoipa::path(
    tag = "provisioning",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The company's Telnyx settings", body = CompanyTelnyx),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/telnyx")]
pub async fn get_telnyx_settings(scope: CompanyScope, store: web::Data<DynStore>) -> Result<HttpResponse, ApiError> {
    let settings = store.get_settings(scope.company).await?;
    Ok(HttpResponse::Ok().json(CompanyTelnyx { provisioned: is_provisioned(&settings), settings }))
}
