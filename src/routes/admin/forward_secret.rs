//! POST /v1/companies/{id}/routing/forward-secret: rotates the secret message forwards are signed
//! with. The new secret is answered once; for `forwards.secret_grace_hours` forwards carry a
//! signature with the previous secret too (`webhook-signature: v1,<new> v1,<old>`), so the
//! product's backend can switch without missing a forward.
use actix_web::{post, web, HttpResponse};

use crate::company::directory::Directory;
use crate::config::ForwardSettings;
use crate::routes::api_error::ApiError;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::forward_secrets::RotatedSecret;

/// The grace period after a rotation (from `forwards.secret_grace_hours`), as app data.
#[derive(Debug, Clone, Copy)]
pub struct SecretGrace(pub chrono::Duration);

impl SecretGrace {
    pub fn from_settings(forwards: &ForwardSettings) -> Self {
        SecretGrace(chrono::Duration::hours(i64::from(forwards.secret_grace_hours)))
    }
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "Rotated: the new secret (shown once here, and in GET .../routing)", body = RotatedSecret),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks the `admin` scope", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/routing/forward-secret")]
pub async fn rotate_forward_secret(
    scope: CompanyScope,
    directory: web::Data<Directory>,
    grace: web::Data<SecretGrace>,
) -> Result<HttpResponse, ApiError> {
    let rotated = directory.rotate_forward_secret(scope.company, chrono::Utc::now() + grace.0).await?;
    Ok(HttpResponse::Ok().json(rotated))
}
