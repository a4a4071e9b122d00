//! The company's routing defaults: default destinations, the unrouted-call policy, and the secret
//! its message forwards are signed with (shown so the product's backend can verify them).
use actix_web::{get, put, web, HttpResponse};
use serde::Deserialize;
use uuid::Uuid;

use super::{company_scope, notify, rule_error};
use crate::routes::api_error::ApiError;
use crate::routes::auth::Caller;
use crate::routes::json_body::JsonBody;
use crate::routes::problem::Problem;
use crate::routing::{Destinations, DestinationsSpec, UnroutedPolicy};
use crate::store::changes::{Change, DynChanges};
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
pub async fn get_routing_defaults(
    caller: Caller,
    store: web::Data<DynStore>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let company = company_scope(&caller, &store, path.into_inner()).await?;
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
    caller: Caller,
    store: web::Data<DynStore>,
    changes: web::Data<DynChanges>,
    path: web::Path<Uuid>,
    body: JsonBody<PutRoutingDefaults>,
) -> Result<HttpResponse, ApiError> {
    let company = company_scope(&caller, &store, path.into_inner()).await?;
    let body = body.into_inner();
    let destinations = Destinations::try_from(body.destinations).map_err(|e| rule_error("destinations", e))?;
    let defaults = store.put_routing_defaults(company, &destinations, body.unrouted_policy).await?;
    notify(&changes, company, Change::Rules).await;
    Ok(HttpResponse::Ok().json(defaults))
}
