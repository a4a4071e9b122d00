//! The company's routing defaults: default destinations, the unrouted-call policy, and the secret
//! its message forwards are signed with (shown so the product's backend can verify them).
use actix_web::{get, put, web, HttpResponse};
use serde::Deserialize;

use super::{check_forward, check_rule_calls, rule_error};
use crate::company::directory::Directory;
use crate::outbox::guard::ForwardPolicy;
use crate::routes::api_error::ApiError;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::routing::{Destinations, DestinationsSpec, UnroutedPolicy};
use crate::store::rules::RoutingDefaults;
use crate::store::DynStore;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRoutingDefaults {
    #[serde(default, deserialize_with = "crate::json_object::object")]
    pub destinations: DestinationsSpec,
    /// Default `ignore`.
    #[serde(default)]
    pub unrouted_policy: UnroutedPolicy,
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The company's routing defaults", body = RoutingDefaults),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/routing")]
pub async fn get_routing_defaults(scope: CompanyScope, store: web::Data<DynStore>) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    Ok(HttpResponse::Ok().json(store.get_routing_defaults(company).await?))
}

#[utoipa::path(
    tag = "rules",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = PutRoutingDefaults,
    responses(
        (status = 200, description = "Replaced", body = RoutingDefaults),
        (status = 400, description = "Invalid input; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/companies/{id}/routing")]
pub async fn put_routing_defaults(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    policy: web::Data<ForwardPolicy>,
    body: JsonBody<PutRoutingDefaults>,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let body = body.into_inner();
    let destinations = Destinations::try_from(body.destinations).map_err(|e| rule_error("destinations", e))?;
    check_forward(&policy, "destinations", &destinations)?;
    check_rule_calls(&store, company, &destinations, None).await?;
    let defaults = directory.put_routing_defaults(company, &destinations, body.unrouted_policy).await?;
    Ok(HttpResponse::Ok().json(defaults))
}
