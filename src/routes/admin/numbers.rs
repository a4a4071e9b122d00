//! A company's numbers (with live usage counters) and its default outbound number.
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, put, web, HttpResponse};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use super::formats::{FeatureList, RuleName, TelnyxId, E164};
use super::number_health::{with_health, NumberView};
use super::{not_found, phone, rule_error};
use crate::company::directory::Directory;
use crate::domain::{Feature, Features, NumberStatus, NumberType, PhoneNumber, PhoneNumberId};
use crate::provisioning::{self, JobRunner, RegisterError, Registrant};
use crate::routes::api_error::ApiError;
use crate::routes::auth::Principal;
use crate::routes::json_body::JsonBody;
use crate::routes::pagination::{List, Page, PageQuery, Paginated};
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::routing::rules::check_name;
use crate::store::page::NumberKey;
use crate::store::{DynStore, NewNumber, NumberFilter, NumberPatch, NumberRecord};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NumberQuery {
    /// active, suspended or deleted
    #[param(value_type = Option<NumberStatus>, inline)]
    pub status: Option<String>,
    /// sms, mms or voice
    #[param(value_type = Option<Feature>, inline)]
    pub feature: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterNumber {
    /// E.164, e.g. +18314280176
    #[schema(value_type = E164)]
    pub phone_number: String,
    #[schema(value_type = Option<TelnyxId>)]
    pub telnyx_phone_number_id: Option<String>,
    /// Defaults to every feature.
    #[schema(value_type = Option<FeatureList>)]
    pub features: Option<Features>,
    #[schema(value_type = Option<RuleName>)]
    pub department: Option<String>,
    #[schema(value_type = Option<RuleName>)]
    pub location: Option<String>,
}

/// Absent fields are left as they are; `null` clears a tag.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchNumber {
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<RuleName>)]
    pub department: Option<Option<String>>,
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<RuleName>)]
    pub location: Option<Option<String>>,
    pub status: Option<NumberStatus>,
    /// How carriers throttle the number (the send queue's limiters; docs/SENDING.md).
    pub number_type: Option<NumberType>,
    /// The 10DLC campaign the number sends under; `null` clears it.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<RuleName>)]
    pub campaign_id: Option<Option<String>>,
    /// The 10DLC brand of that campaign (its daily budget); `null` clears it.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<RuleName>)]
    pub brand_id: Option<Option<String>>,
}

/// A present field (even `null`) becomes `Some`.
fn some<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn tag(field: &str, name: Option<String>) -> Result<Option<String>, ApiError> {
    name.map(check_name).transpose().map_err(|e| rule_error(field, e))
}

#[utoipa::path(
    tag = "numbers",
    params(("id" = Uuid, Path, description = "Company id"), NumberQuery, PageQuery),
    responses(
        (status = 200, description = "The company's numbers with live usage counters, by phone number", body = Paginated<NumberView>),
        (status = 400, description = "Bad filter, limit or cursor; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/numbers")]
pub async fn list_numbers(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    query: web::Query<NumberQuery>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let status = query.status.as_deref().map(str::parse::<NumberStatus>).transpose();
    let feature = query.feature.as_deref().map(str::parse::<Feature>).transpose();
    let filter = NumberFilter {
        status: status.map_err(|e| ApiError::invalid("status", e))?,
        feature: feature.map_err(|e| ApiError::invalid("feature", e))?,
    };
    // A cursor is a position in phone-number order whatever the filters; the next page's link
    // repeats them.
    let listing = page.of::<NumberKey>(List::company("numbers", company))?;
    let rows = store.page_numbers(company, filter, listing.window()).await?;
    let rows = with_health(directory.health(), company, rows).await?;
    listing.respond(rows, |n| (n.record.phone_number.as_str().to_owned(), n.record.id.as_uuid()))
}

/// A number the Telnyx account already holds. On a provisioned company (messaging profile and
/// application set) with Telnyx credentials configured, it is attached to the company's profile
/// and application through the Telnyx API before it is stored (`telnyx_messaging_profile_id` and
/// `telnyx_connection_id` show it); if that cannot be done, nothing is stored and the answer says
/// why. Otherwise it is stored as given, unattached.
#[utoipa::path(
    tag = "numbers",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = RegisterNumber,
    responses(
        (status = 201, description = "Registered (and attached on a provisioned company)", body = NumberRecord),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The number or Telnyx id is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Provisioned company: the Telnyx account does not hold the number, or holds it under \
            another telnyx_phone_number_id; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "Provisioned company: Telnyx failed or refused the lookup or an update; nothing stored \
            (repeating the request is safe)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/companies/{id}/numbers")]
pub async fn register_number(
    scope: CompanyScope,
    runner: web::Data<JobRunner>,
    body: JsonBody<RegisterNumber>,
) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    let body = body.into_inner();
    let mut new = NewNumber::new(company, phone("phone_number", &body.phone_number)?);
    if let Some(features) = body.features {
        if features.is_empty() {
            return Err(ApiError::invalid("features", "must list at least one of sms, mms, voice"));
        }
        new.features = features;
    }
    if let Some(id) = body.telnyx_phone_number_id.as_deref().map(str::trim) {
        if id.is_empty() || id.chars().count() > 100 || id.chars().any(char::is_control) {
            return Err(ApiError::invalid("telnyx_phone_number_id", "must be 1 to 100 printable characters"));
        }
        new.telnyx_phone_number_id = Some(id.to_owned());
    }
    new.department = tag("department", body.department)?;
    new.location = tag("location", body.location)?;
    let by = match scope.caller.0 {
        Principal::Operator => Registrant::Operator,
        Principal::Company { .. } => Registrant::Company,
    };
    match provisioning::register(&runner, new, by).await {
        Ok(record) => Ok(HttpResponse::Created().json(record)),
        Err(e) => refused(e),
    }
}

fn refused(e: RegisterError) -> Result<HttpResponse, ApiError> {
    let detail = e.to_string();
    match e {
        RegisterError::Store(e) => Err(e.into()),
        RegisterError::Taken(_) => Err(ApiError::Conflict(detail)),
        RegisterError::NotInAccount(_) | RegisterError::Unverifiable(_) => {
            Err(ApiError::Unprocessable { field: Some("phone_number".into()), detail })
        }
        RegisterError::IdMismatch { .. } => {
            Err(ApiError::Unprocessable { field: Some("telnyx_phone_number_id".into()), detail })
        }
        RegisterError::Telnyx { source, .. } => {
            let status = match source.status() {
                Some(429) => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_GATEWAY,
            };
            Ok(Problem::new(status, detail).response())
        }
    }
}

#[utoipa::path(
    tag = "numbers",
    params(("id" = Uuid, Path, description = "Company id"), ("number_id" = Uuid, Path, description = "Number id")),
    responses(
        (status = 200, description = "The number with live usage counters and its health", body = NumberView),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such number", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/numbers/{number_id}")]
pub async fn get_number(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (_, number_id) = path.into_inner();
    let company = scope.company;
    let record = store.get_number(company, PhoneNumberId::from_uuid(number_id)).await.map_err(not_found("number"))?;
    let mut view = with_health(directory.health(), company, vec![record]).await?;
    Ok(HttpResponse::Ok().json(view.pop()))
}

#[utoipa::path(
    tag = "numbers",
    params(("id" = Uuid, Path, description = "Company id"), ("number_id" = Uuid, Path, description = "Number id")),
    request_body = PatchNumber,
    responses(
        (status = 200, description = "Updated", body = NumberRecord),
        (status = 400, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such number", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/companies/{id}/numbers/{number_id}")]
pub async fn patch_number(
    scope: CompanyScope,
    directory: web::Data<Directory>,
    path: web::Path<(Uuid, Uuid)>,
    body: JsonBody<PatchNumber>,
) -> Result<HttpResponse, ApiError> {
    let (_, number_id) = path.into_inner();
    let company = scope.company;
    let body = body.into_inner();
    let patch = NumberPatch {
        department: body.department.map(|d| tag("department", d)).transpose()?,
        location: body.location.map(|l| tag("location", l)).transpose()?,
        status: body.status,
        number_type: body.number_type,
        campaign_id: body.campaign_id.map(|c| tag("campaign_id", c)).transpose()?,
        brand_id: body.brand_id.map(|b| tag("brand_id", b)).transpose()?,
        ..Default::default()
    };
    let id = PhoneNumberId::from_uuid(number_id);
    let record = directory.update_number(company, id, &patch).await.map_err(not_found("number"))?;
    Ok(HttpResponse::Ok().json(record))
}

/// The number outbound messages and calls use when nothing more specific applies.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DefaultNumber {
    #[schema(value_type = Option<String>, example = "+18314280176")]
    pub phone_number: Option<PhoneNumber>,
    /// The number's id in switchboard.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub phone_number_id: Option<PhoneNumberId>,
    /// The number's id at Telnyx (null when it was registered without one).
    pub telnyx_phone_number_id: Option<String>,
}

impl DefaultNumber {
    fn of(s: crate::store::CompanySettings) -> Self {
        DefaultNumber {
            phone_number: s.default_outbound_number,
            phone_number_id: s.default_outbound_number_id,
            telnyx_phone_number_id: s.default_outbound_phone_number_id,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDefaultNumber {
    /// One of the company's active numbers, E.164.
    #[schema(value_type = E164)]
    pub phone_number: String,
}

#[utoipa::path(
    tag = "numbers",
    params(("id" = Uuid, Path, description = "Company id")),
    responses(
        (status = 200, description = "The default outbound number (null when unset)", body = DefaultNumber),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/default-number")]
pub async fn get_default_number(scope: CompanyScope, store: web::Data<DynStore>) -> Result<HttpResponse, ApiError> {
    let company = scope.company;
    Ok(HttpResponse::Ok().json(DefaultNumber::of(store.get_settings(company).await?)))
}

#[utoipa::path(
    tag = "numbers",
    params(("id" = Uuid, Path, description = "Company id")),
    request_body = SetDefaultNumber,
    responses(
        (status = 200, description = "Set", body = DefaultNumber),
        (status = 400, description = "Not E.164", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an active number of the company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/v1/companies/{id}/default-number")]
pub async fn put_default_number(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    body: JsonBody<SetDefaultNumber>,
) -> Result<HttpResponse, ApiError> {
    let number = phone("phone_number", &body.phone_number)?;
    let settings = set_default_number(&store, &directory, scope.company, &number).await?;
    Ok(HttpResponse::Ok().json(DefaultNumber::of(settings)))
}

/// Makes `number` (an active number of `company`, else a 422 naming `phone_number`) the default
/// outbound number; the settings as stored. The API and the console share it.
pub(crate) async fn set_default_number(
    store: &DynStore,
    directory: &Directory,
    company: crate::domain::CompanyId,
    number: &PhoneNumber,
) -> Result<crate::store::CompanySettings, ApiError> {
    let number = active_number(store, company, "phone_number", number).await?;
    let mut settings = store.get_settings(company).await?;
    settings.default_outbound_number = Some(number.phone_number.clone());
    settings.default_outbound_number_id = Some(number.id);
    settings.default_outbound_phone_number_id = number.telnyx_phone_number_id.clone();
    directory.put_settings(company, &settings).await?;
    Ok(settings)
}

/// The company's active record of `number`, else a 422 naming `field`.
pub(crate) async fn active_number(
    store: &DynStore,
    company: crate::domain::CompanyId,
    field: &str,
    number: &PhoneNumber,
) -> Result<NumberRecord, ApiError> {
    let filter = NumberFilter { status: Some(NumberStatus::Active), feature: None };
    let numbers = store.list_numbers(company, filter).await?;
    numbers.into_iter().find(|n| &n.phone_number == number).ok_or_else(|| ApiError::Unprocessable {
        field: Some(field.to_owned()),
        detail: format!("{number} is not an active number of this company"),
    })
}
