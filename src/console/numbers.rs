//! The numbers page: each number's status, features, department, location, usage and health;
//! set the default number, suspend or reactivate a number, buy numbers by area code.
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::error::ConsoleError;
use super::form::Posted;
use super::layout::{self, csrf_field, Chrome, Nav};
use super::session::{Console, Signed};
use super::{may, reach, see_other, PageQuery};
use crate::company::directory::Directory;
use crate::domain::{NumberStatus, PhoneNumberId, Scope};
use crate::provisioning::{JobRequest, JobRunner};
use crate::routes::admin::number_health::{with_health, NumberView};
use crate::routes::admin::numbers::set_default_number;
use crate::routes::admin::{not_found, phone};
use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page};
use crate::routes::provisioning::{start_purchase, PurchaseBody};
use crate::routing::HealthStatus;
use crate::store::page::NumberKey;
use crate::store::{DynStore, NumberFilter, NumberPatch};

#[get("/console/companies/{id}/numbers")]
pub async fn list(
    Console(signed): Console,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&signed, path.into_inner(), Scope::Read, &store).await?;
    let company = scope.company;
    let listing =
        Page::from_query(req.query_string(), req.path()).of::<NumberKey>(List::company("numbers", company))?;
    let rows = store.page_numbers(company, NumberFilter::default(), listing.window()).await?;
    let (rows, next) = listing.split(rows, |n| (n.phone_number.as_str().to_owned(), n.id.as_uuid()))?;
    let numbers = with_health(directory.health(), company, rows).await?;
    let settings = store.get_settings(company).await?;
    let edit = may(&signed, Scope::Admin);
    let here = format!("/console/companies/{company}/numbers");
    let body = html! {
        h1 { "Numbers" }
        p {
            "Default outbound number: "
            strong { @match &settings.default_outbound_number { Some(n) => (n), None => "none" } }
        }
        @if numbers.is_empty() { p { "No numbers yet." } } @else {
            div.table-wrap {
                table {
                    caption.muted { "Numbers of this company, with usage since they were added and health over the last days" }
                    thead { tr {
                        th scope="col" { "Number" } th scope="col" { "Status" } th scope="col" { "Features" }
                        th scope="col" { "Department" } th scope="col" { "Location" } th scope="col" { "Usage" }
                        th scope="col" { "Health" }
                        @if edit { th scope="col" { "Actions" } }
                    } }
                    tbody {
                        @for n in &numbers { (row(&signed, &here, n, edit, settings.default_outbound_number_id == Some(n.record.id))) }
                    }
                }
            }
        }
        (layout::next_page(&here, next.as_deref()))
        @if edit { (purchase_form(&signed, &here)) }
    };
    let chrome = Chrome {
        title: "Numbers",
        signed: &signed,
        company: Some(company),
        nav: Nav::Numbers,
        notice: layout::notice(query.notice.as_deref()),
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

fn row(signed: &Signed, here: &str, n: &NumberView, edit: bool, is_default: bool) -> Markup {
    let r = &n.record;
    let features: Vec<&str> = r.features.iter().map(|f| f.as_str()).collect();
    let (health_class, health) = match n.health.status {
        HealthStatus::Healthy => ("ok", "healthy"),
        HealthStatus::Warning => ("warn", "warning"),
        HealthStatus::Unhealthy => ("bad", "unhealthy"),
        HealthStatus::InsufficientData => ("muted", "not enough data"),
    };
    let status_class = if r.status == NumberStatus::Active { "ok" } else { "warn" };
    html! {
        tr {
            th scope="row" {
                (r.phone_number)
                @if is_default { " " span.badge { "default" } }
            }
            td { span class={ "badge " (status_class) } { (r.status) } }
            td { (features.join(", ")) }
            td { (r.department.as_deref().unwrap_or("—")) }
            td { (r.location.as_deref().unwrap_or("—")) }
            td {
                "calls in " (r.usage.incoming_calls_count) ", out " (r.usage.outgoing_calls_count)
                "; SMS in " (r.usage.sms_received_count) ", out " (r.usage.sms_sent_count)
            }
            td {
                span class=(health_class) { (health) }
                @if let Some(pct) = n.health.deliverability_pct { " · " (format!("{pct:.0}")) "% delivered" }
                @if let Some(pct) = n.health.answered_pct { " · " (format!("{pct:.0}")) "% of calls answered" }
                @if let Some(reason) = &n.health.reason { br; span.hint { (reason) } }
            }
            @if edit {
                td {
                    @if r.status == NumberStatus::Active && !is_default {
                        form.inline method="post" action={ (here) "/default" } {
                            (csrf_field(signed))
                            input type="hidden" name="phone_number" value=(r.phone_number);
                            button type="submit" aria-label={ "Make default: " (r.phone_number) } { "Make default" }
                        }
                    }
                    @match r.status {
                        NumberStatus::Active => (status_button(signed, here, r.id, "suspended", "Suspend", r.phone_number.as_str())),
                        NumberStatus::Suspended => (status_button(signed, here, r.id, "active", "Reactivate", r.phone_number.as_str())),
                        NumberStatus::Deleted => {},
                    }
                }
            }
        }
    }
}

fn status_button(signed: &Signed, here: &str, id: PhoneNumberId, to: &str, label: &str, number: &str) -> Markup {
    html! {
        form.inline method="post" action={ (here) "/" (id.as_uuid()) "/status" } {
            (csrf_field(signed))
            input type="hidden" name="status" value=(to);
            button type="submit" aria-label={ (label) " " (number) } { (label) }
        }
    }
}

fn purchase_form(signed: &Signed, here: &str) -> Markup {
    html! {
        form.stack method="post" action={ (here) "/purchase" } {
            fieldset {
                legend { "Buy numbers" }
                p.hint { "Numbers are bought through Telnyx for this company; the job page shows the progress." }
                label for="area_code" { "Area code" }
                input #area_code name="area_code" inputmode="numeric" pattern="[2-9][0-9]{2}" maxlength="3" placeholder="415" aria-describedby="area_code_hint";
                p.hint #area_code_hint { "Three digits (NANP), or empty for any." }
                label for="quantity" { "How many" }
                input #quantity name="quantity" type="number" min="1" max="10" value="1" required;
                (csrf_field(signed))
                button type="submit" { "Buy" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct DefaultForm {
    phone_number: String,
}

#[post("/console/companies/{id}/numbers/default")]
pub async fn set_default(
    posted: Posted<DefaultForm>,
    path: web::Path<Uuid>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&posted.signed, path.into_inner(), Scope::Admin, &store).await?;
    let number = phone("phone_number", &posted.form.phone_number)?;
    set_default_number(&store, &directory, scope.company, &number).await?;
    Ok(see_other(format!("/console/companies/{}/numbers?notice=default", scope.company)))
}

#[derive(Deserialize)]
pub struct StatusForm {
    status: String,
}

/// Suspends or reactivates a number (what PATCH .../numbers/{id} with a status does).
#[post("/console/companies/{id}/numbers/{number_id}/status")]
pub async fn set_status(
    posted: Posted<StatusForm>,
    path: web::Path<(Uuid, Uuid)>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, number_id) = path.into_inner();
    let scope = reach(&posted.signed, id, Scope::Admin, &store).await?;
    let status = match posted.form.status.as_str() {
        "active" => NumberStatus::Active,
        "suspended" => NumberStatus::Suspended,
        _ => return Err(ApiError::invalid("status", "must be active or suspended").into()),
    };
    let patch = NumberPatch { status: Some(status), ..Default::default() };
    let number = PhoneNumberId::from_uuid(number_id);
    directory.update_number(scope.company, number, &patch).await.map_err(not_found("number"))?;
    Ok(see_other(format!("/console/companies/{}/numbers?notice=status", scope.company)))
}

#[derive(Deserialize)]
pub struct PurchaseForm {
    area_code: Option<String>,
    quantity: Option<String>,
}

/// Starts a purchase (as POST .../numbers/purchase does) and shows its job.
#[post("/console/companies/{id}/numbers/purchase")]
pub async fn purchase(
    posted: Posted<PurchaseForm>,
    path: web::Path<Uuid>,
    store: web::Data<DynStore>,
    runner: web::Data<JobRunner>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&posted.signed, path.into_inner(), Scope::Admin, &store).await?;
    let quantity = match posted.form.quantity.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        None => None,
        Some(q) => {
            Some(q.parse::<u32>().map_err(|_| ApiError::invalid("quantity", "must be an integer between 1 and 10"))?)
        }
    };
    let request = JobRequest::try_from(PurchaseBody::new(quantity, posted.form.area_code.clone()))?;
    let job = match start_purchase(&runner, scope.company, request).await? {
        Ok((job, _handle)) => job,
        Err(refused) => return Err(ApiError::Unprocessable { field: None, detail: refused.to_string() }.into()),
    };
    Ok(see_other(format!("/console/companies/{}/jobs/{}", scope.company, job.id)))
}
