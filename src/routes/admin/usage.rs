//! Usage over time: `GET .../usage` (the company, per day) and `GET .../numbers/{number_id}/usage`
//! (one number), as JSON or CSV (`Accept: text/csv` or `?format=csv`), from the daily rollup the
//! ledger writes in its commit. Every day of the range is answered (zeros included), so a range is
//! bounded ([`MAX_DAYS`]) rather than paged.
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::not_found;
use crate::domain::{CompanyId, PhoneNumberId};
use crate::routes::api_error::ApiError;
use crate::routes::problem::Problem;
use crate::routes::scope::CompanyScope;
use crate::store::usage::USAGE_COLUMNS;
use crate::store::{DynStore, UsageCounts};

/// The longest range one request may ask for, in days (`from` and `to` included).
pub const MAX_DAYS: i64 = 366;
/// The range when `from` is not given: this many days up to `to`.
pub const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First UTC day (YYYY-MM-DD, included); default: 30 days up to `to`.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<String>,
    /// Last UTC day (YYYY-MM-DD, included, at most 366 days after `from`); default: today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<String>,
    /// Only `day` for now.
    #[param(value_type = Option<String>, pattern = "^day$")]
    pub granularity: Option<String>,
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    pub format: Option<String>,
}

/// One UTC day of usage.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageDay {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    #[serde(flatten)]
    pub usage: UsageCounts,
}

/// Usage per day over a range: every day of it, in order, and the total.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    #[schema(value_type = String, format = Uuid)]
    pub company_id: CompanyId,
    /// Set when the report is one number's.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub phone_number_id: Option<PhoneNumberId>,
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Always `day`.
    pub granularity: &'static str,
    pub days: Vec<UsageDay>,
    pub total: UsageCounts,
}

struct Range {
    from: NaiveDate,
    to: NaiveDate,
    csv: bool,
}

fn date(field: &'static str, raw: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(field, "must be a date, YYYY-MM-DD"))
}

impl UsageQuery {
    fn range(&self, req: &HttpRequest) -> Result<Range, ApiError> {
        let to = self.to.as_deref().map(|t| date("to", t)).transpose()?.unwrap_or_else(|| Utc::now().date_naive());
        let from = match self.from.as_deref() {
            Some(f) => date("from", f)?,
            None => to - Duration::days(DEFAULT_DAYS - 1),
        };
        if from > to {
            return Err(ApiError::invalid("to", "must not be before from"));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(ApiError::invalid("to", format!("the range is at most {MAX_DAYS} days")));
        }
        match self.granularity.as_deref() {
            None | Some("day") => {}
            Some(_) => return Err(ApiError::invalid("granularity", "must be day")),
        }
        let csv = match self.format.as_deref() {
            Some("csv") => true,
            Some("json") => false,
            Some(_) => return Err(ApiError::invalid("format", "must be json or csv")),
            None => accepts_csv(req),
        };
        Ok(Range { from, to, csv })
    }
}

/// Whether the request's Accept header names text/csv.
fn accepts_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|m| m.split(';').next().is_some_and(|t| t.trim().eq_ignore_ascii_case("text/csv")))
}

async fn report(
    store: &DynStore,
    company: CompanyId,
    number: Option<PhoneNumberId>,
    range: Range,
) -> Result<HttpResponse, ApiError> {
    let rows = store.daily_usage(company, number, range.from, range.to).await?;
    let mut rows = rows.into_iter().peekable();
    let mut days = Vec::new();
    let mut total = [0i64; USAGE_COLUMNS.len()];
    let mut day = range.from;
    while day <= range.to {
        let usage = match rows.peek() {
            Some((d, _)) if *d == day => rows.next().map(|(_, u)| u).unwrap_or_default(),
            _ => UsageCounts::default(),
        };
        total.iter_mut().zip(usage.values()).for_each(|(t, v)| *t += v);
        days.push(UsageDay { day, usage });
        day += Duration::days(1);
    }
    let total = UsageCounts::from_values(total);
    if range.csv {
        return Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").body(csv(&days)));
    }
    let report = UsageReport {
        company_id: company,
        phone_number_id: number,
        from: range.from,
        to: range.to,
        granularity: "day",
        days,
        total,
    };
    Ok(HttpResponse::Ok().json(report))
}

/// `day,incoming_calls,...` then one line per day (numbers and dates only: nothing to quote).
fn csv(days: &[UsageDay]) -> String {
    let mut out = format!("day,{}\n", USAGE_COLUMNS.join(","));
    for d in days {
        let values: Vec<String> = d.usage.values().iter().map(i64::to_string).collect();
        out.push_str(&format!("{},{}\n", d.day, values.join(",")));
    }
    out
}

#[utoipa::path(
    tag = "usage",
    params(("id" = Uuid, Path, description = "Company id"), UsageQuery),
    responses(
        (status = 200, description = "Every UTC day of the range, summed over the company's numbers",
            content((UsageReport = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Bad date, range, granularity or format; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/usage")]
pub async fn company_usage(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    query: web::Query<UsageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let range = query.range(&req)?;
    report(&store, scope.company, None, range).await
}

#[utoipa::path(
    tag = "usage",
    params(("id" = Uuid, Path, description = "Company id"), ("number_id" = Uuid, Path, description = "Number id"), UsageQuery),
    responses(
        (status = 200, description = "Every UTC day of the range, for this number",
            content((UsageReport = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Bad date, range, granularity or format; `field` names it", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or bad token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such number", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/companies/{id}/numbers/{number_id}/usage")]
pub async fn number_usage(
    scope: CompanyScope,
    store: web::Data<DynStore>,
    path: web::Path<(Uuid, Uuid)>,
    query: web::Query<UsageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let range = query.range(&req)?;
    let number = PhoneNumberId::from_uuid(path.into_inner().1);
    let record = store.get_number(scope.company, number).await.map_err(not_found("number"))?;
    report(&store, scope.company, Some(record.id), range).await
}
