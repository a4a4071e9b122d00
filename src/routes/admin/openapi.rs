//! The OpenAPI 3 document of the admin API, generated from the handlers, at GET /openapi.json.
use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::*;

#[derive(OpenApi)]
#[openapi(
    info(title = "switchboard admin API", description = "Companies, numbers, routing rules, tokens and webhook replays. \
        Errors are application/problem+json with the failing `field`."),
    paths(
        companies::create_company, companies::list_companies, companies::get_company,
        numbers::list_numbers, numbers::register_number, numbers::get_number, numbers::patch_number,
        numbers::get_default_number, numbers::put_default_number,
        rules::list_departments, rules::get_department, rules::put_department, rules::delete_department,
        rules::list_locations, rules::get_location, rules::put_location, rules::delete_location,
        defaults::get_routing_defaults, defaults::put_routing_defaults, explain::explain,
        assignments::list_assignments, assignments::get_assignment, assignments::put_assignment,
        assignments::delete_assignment,
        opt_outs::list_opt_outs, opt_outs::put_opt_out, opt_outs::delete_opt_out,
        routing_log::list_routing_log, routing_log::get_routing_log, outbox::list_outbox,
        tokens::create_token, tokens::list_tokens, tokens::revoke_token,
        replays::replay_webhooks,
    ),
    components(schemas(crate::routes::problem::Problem)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("The operator token (config) or a company token from POST /v1/companies/{id}/tokens"))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document (no auth: it describes, it does not reveal).
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
