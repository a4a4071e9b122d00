//! The admin HTTP API under /v1: thin handlers that check the caller, turn bodies into domain
//! types, call the store and tell the company's actors about the change.
use actix_web::web;

use crate::domain::CompanyId;
use crate::domain::PhoneNumber;
use crate::outbox::guard::ForwardPolicy;
use crate::routes::api_error::ApiError;
use crate::routing::{BusinessHours, CallDestination, Destinations, RuleError};
use crate::store::DynStore;
use crate::store::StoreError;

pub mod assignments;
pub mod companies;
pub mod dead_letters;
pub mod defaults;
pub mod explain;
pub mod fallback;
pub mod formats;
pub mod forward_endpoints;
pub mod forward_secret;
pub mod limits;
pub mod list_filters;
pub mod number_health;
pub mod numbers;
pub mod openapi;
pub mod opt_outs;
pub mod outbox;
pub mod outbox_actions;
pub mod replays;
pub mod routing_log;
pub mod rules;
pub mod status_url;
pub mod tokens;
pub mod usage;

/// Registers every admin route and GET /openapi.json.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // A malformed id in the path names nothing that exists: 404, as problem+json like the rest.
    let path_config = web::PathConfig::default().error_handler(|err, _| {
        let api = ApiError::NotFound("resource");
        actix_web::error::InternalError::from_response(err, actix_web::ResponseError::error_response(&api)).into()
    });
    let query_config = web::QueryConfig::default().error_handler(|err, _| {
        let api = ApiError::invalid("query", &err);
        actix_web::error::InternalError::from_response(err, actix_web::ResponseError::error_response(&api)).into()
    });
    cfg.app_data(path_config).app_data(query_config);
    // Unmatched requests (this is the app's default service): 405 on a documented path, else 404.
    cfg.default_service(web::to(fallback::answer));
    cfg.service(companies::create_company)
        .service(companies::list_companies)
        .service(companies::get_company)
        .service(limits::get_limits)
        .service(limits::put_limits)
        .service(numbers::list_numbers)
        .service(numbers::register_number)
        .service(usage::number_usage)
        .service(usage::company_usage)
        .service(numbers::get_number)
        .service(numbers::patch_number)
        .service(numbers::get_default_number)
        .service(numbers::put_default_number)
        .service(rules::list_departments)
        .service(rules::get_department)
        .service(rules::put_department)
        .service(rules::delete_department)
        .service(rules::list_locations)
        .service(rules::get_location)
        .service(rules::put_location)
        .service(rules::delete_location)
        .service(defaults::get_routing_defaults)
        .service(defaults::put_routing_defaults)
        .service(forward_secret::rotate_forward_secret)
        .service(explain::explain)
        .service(assignments::list_assignments)
        .service(assignments::get_assignment)
        .service(assignments::put_assignment)
        .service(assignments::delete_assignment)
        .service(opt_outs::list_opt_outs)
        .service(opt_outs::put_opt_out)
        .service(opt_outs::delete_opt_out)
        .service(routing_log::list_routing_log)
        .service(routing_log::get_routing_log)
        .service(outbox::list_outbox)
        .service(outbox_actions::retry_outbox)
        .service(outbox_actions::retry_outbox_item)
        .service(outbox_actions::cancel_outbox_item)
        .service(outbox::get_outbox_item)
        .service(forward_endpoints::list_forward_endpoints)
        .service(forward_endpoints::enable_forward_endpoint)
        .service(status_url::get_status_url)
        .service(status_url::put_status_url)
        .service(status_url::delete_status_url)
        .service(dead_letters::list_dead_letters)
        .service(dead_letters::get_dead_letter)
        .service(dead_letters::redrive_dead_letter)
        .service(dead_letters::delete_dead_letter)
        .service(replays::replay_webhooks)
        .service(tokens::create_token)
        .service(tokens::list_tokens)
        .service(tokens::revoke_token)
        .service(openapi::openapi_json);
}

/// A rule validation error as a 400 naming the field under `prefix` (`destinations.call`).
pub(crate) fn rule_error(prefix: &str, e: RuleError) -> ApiError {
    let field = match (prefix.is_empty(), e.field().is_empty()) {
        (true, _) => e.field().to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) => format!("{prefix}.{}", e.field()),
    };
    ApiError::invalid(field, e.kind())
}

/// The message destination in `destinations`, and each of its alternates, must be one the daemon
/// may forward to (the operator's forward policy): a 400 naming `{field}.message` (a one-URL
/// destination), `{field}.message.url` or `{field}.message.alternates[i]` otherwise.
pub(crate) fn check_forward(policy: &ForwardPolicy, field: &str, destinations: &Destinations) -> Result<(), ApiError> {
    let Some(route) = &destinations.message else { return Ok(()) };
    let primary =
        if route.alternates().is_empty() { format!("{field}.message") } else { format!("{field}.message.url") };
    policy.check_url(route.url().url()).map_err(|e| ApiError::invalid(primary, e))?;
    for (i, alternate) in route.alternates().iter().enumerate() {
        policy
            .check_url(alternate.url())
            .map_err(|e| ApiError::invalid(format!("{field}.message.alternates[{i}]"), e))?;
    }
    Ok(())
}

/// Every message destination of a rule: its own and its after-hours one.
pub(crate) fn check_rule_forwards(
    policy: &ForwardPolicy,
    destinations: &Destinations,
    hours: Option<&BusinessHours>,
) -> Result<(), ApiError> {
    check_forward(policy, "destinations", destinations)?;
    match hours {
        Some(h) => check_forward(policy, "hours.after_hours", h.after_hours()),
        None => Ok(()),
    }
}

/// A number `company` may send calls to: not one another company on this account holds (calling
/// it would ring that company's routing, billed to this one's transfer). 400 naming `field`.
pub(crate) async fn check_not_foreign(
    store: &DynStore,
    company: CompanyId,
    field: &str,
    number: &PhoneNumber,
) -> Result<(), ApiError> {
    match store.owner_of(number).await? {
        Some(owner) if owner != company => {
            Err(ApiError::invalid(field, "is a number of another company on this account"))
        }
        _ => Ok(()),
    }
}

/// The call destinations of a rule (its own and its after-hours one) are not other companies'
/// numbers.
pub(crate) async fn check_rule_calls(
    store: &DynStore,
    company: CompanyId,
    destinations: &Destinations,
    hours: Option<&BusinessHours>,
) -> Result<(), ApiError> {
    let after_hours = hours.map(BusinessHours::after_hours);
    for (field, d) in [("destinations.call", Some(destinations)), ("hours.after_hours.call", after_hours)] {
        let Some(chain) = d.and_then(|d| d.call.as_ref()) else { continue };
        for (step, target, destination) in chain.targets() {
            if let CallDestination::Number(n) = destination {
                // A one-string destination is named as before; a chain names the target.
                let field = if chain.is_single() {
                    field.to_owned()
                } else {
                    format!("{field}.steps[{step}].targets[{target}]")
                };
                check_not_foreign(store, company, &field, n).await?;
            }
        }
    }
    Ok(())
}

/// Parses an E.164 number from a request, naming `field` when it is not one.
pub(crate) fn phone(field: &str, s: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(s).map_err(|e| ApiError::invalid(field, e))
}

/// Maps `NotFound` from the store to a 404 naming `what`.
pub(crate) fn not_found(what: &'static str) -> impl Fn(StoreError) -> ApiError {
    move |e| match e {
        StoreError::NotFound => ApiError::NotFound(what),
        other => other.into(),
    }
}
