//! The OpenAPI 3 document of the admin API, generated from the handlers, at GET /openapi.json.
use actix_web::{get, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::*;
use crate::routes::pagination::PaginationDoc;
use crate::routes::{messages, provisioning, sending};

#[derive(OpenApi)]
#[openapi(
    info(title = "switchboard admin API", description = "Companies, numbers, routing rules, tokens, provisioning, outbound messages and calls, webhook replays, and dead letters (operator). \
        Errors are application/problem+json with the failing `field`."),
    paths(
        companies::create_company, companies::list_companies, companies::get_company,
        limits::get_limits, limits::put_limits,
        numbers::list_numbers, numbers::register_number, numbers::get_number, numbers::patch_number,
        numbers::get_default_number, numbers::put_default_number,
        rules::list_departments, rules::get_department, rules::put_department, rules::delete_department,
        rules::list_locations, rules::get_location, rules::put_location, rules::delete_location,
        defaults::get_routing_defaults, defaults::put_routing_defaults, forward_secret::rotate_forward_secret,
        explain::explain,
        assignments::list_assignments, assignments::get_assignment, assignments::put_assignment,
        assignments::delete_assignment,
        opt_outs::list_opt_outs, opt_outs::put_opt_out, opt_outs::delete_opt_out,
        routing_log::list_routing_log, routing_log::get_routing_log, outbox::list_outbox,
        outbox::get_outbox_item, outbox_actions::retry_outbox_item, outbox_actions::cancel_outbox_item,
        outbox_actions::retry_outbox,
        forward_endpoints::list_forward_endpoints, forward_endpoints::enable_forward_endpoint,
        status_url::get_status_url, status_url::put_status_url, status_url::delete_status_url,
        dead_letters::list_dead_letters, dead_letters::get_dead_letter, dead_letters::redrive_dead_letter,
        dead_letters::delete_dead_letter,
        tokens::create_token, tokens::list_tokens, tokens::revoke_token,
        replays::replay_webhooks,
        provisioning::provision, provisioning::purchase, provisioning::jobs::list_jobs, provisioning::jobs::get_job,
        provisioning::telnyx_settings::get_telnyx_settings,
        sending::send_message, sending::place_call, messages::list_messages, messages::get_message,
        usage::company_usage, usage::number_usage,
    ),
    components(schemas(crate::routes::problem::Problem, crate::domain::Feature)),
    modifiers(&BearerAuth, &StorageUnavailable, &PaginationDoc),
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

/// Every operation may answer 503 while the database is unreachable (a pool timeout): declared
/// once here rather than on each handler.
struct StorageUnavailable;

impl Modify for StorageUnavailable {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        for item in openapi.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                op.responses.responses.entry("503".into()).or_insert_with(|| {
                    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
                    ResponseBuilder::new()
                        .description("The database is unavailable; retry later")
                        .content("application/problem+json", content)
                        .into()
                });
            }
        }
    }
}

/// The document (no auth: it describes, it does not reveal).
#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
