//! The customers page: assignments (a customer routed as if they reached one company number, and
//! contacted from it) and opt-outs (customers who sent STOP), with their changes made through
//! `company::Directory` as the API makes them.
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use super::error::ConsoleError;
use super::form::Posted;
use super::layout::{self, button_form, csrf_field, Chrome, Nav};
use super::session::Console;
use super::{may, reach, see_other, PageQuery};
use crate::company::directory::Directory;
use crate::domain::NumberStatus;
use crate::domain::Scope;
use crate::routes::admin::numbers::active_number;
use crate::routes::admin::{not_found, phone};
use crate::routes::api_error::ApiError;
use crate::routes::pagination::{List, Page};
use crate::store::page::CustomerKey;
use crate::store::{DynStore, NumberFilter, Window};

/// Opt-outs shown beside the (paged) assignments.
const OPT_OUTS_SHOWN: i64 = 200;

#[get("/console/companies/{id}/customers")]
pub async fn list(
    Console(signed): Console,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&signed, path.into_inner(), Scope::Read, &store).await?;
    let company = scope.company;
    let listing =
        Page::from_query(req.query_string(), req.path()).of::<CustomerKey>(List::company("assignments", company))?;
    let rows = store.page_assignments(company, listing.window()).await?;
    let (assignments, next) = listing.split(rows, |a| a.customer.as_str().to_owned())?;
    let opt_outs = store.page_opt_outs(company, &Window::first(OPT_OUTS_SHOWN)).await?;
    let active =
        store.list_numbers(company, NumberFilter { status: Some(NumberStatus::Active), feature: None }).await?;
    let edit = may(&signed, Scope::Admin);
    let here = format!("/console/companies/{company}/customers");
    let body = html! {
        h1 { "Customers" }
        h2 { "Assignments" }
        @if assignments.is_empty() { p { "No assignments." } } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Customer" } th scope="col" { "Assigned number" } th scope="col" { "Source" }
                    @if edit { th scope="col" { "Actions" } }
                } }
                tbody { @for a in &assignments { tr {
                    th scope="row" { (a.customer) }
                    td { (a.phone_number) }
                    td { (a.source.as_str()) }
                    @if edit { td {
                        (button_form(&signed, &format!("{here}/assignments/{}/delete", a.customer), &format!("Remove assignment of {}", a.customer)))
                    } }
                } } }
            } }
        }
        (layout::next_page(&here, next.as_deref()))
        @if edit && !active.is_empty() {
            form.stack method="post" action={ (here) "/assignments" } {
                fieldset {
                    legend { "Assign a customer" }
                    label for="customer" { "Customer number (E.164)" }
                    input #customer name="customer" required placeholder="+14155550100" autocomplete="off";
                    label for="assign_number" { "Company number" }
                    select #assign_number name="phone_number" {
                        @for n in &active { option value=(n.phone_number) { (n.phone_number) } }
                    }
                    (csrf_field(&signed))
                    button type="submit" { "Assign" }
                }
            }
        }
        h2 { "Opt-outs" }
        @if opt_outs.is_empty() { p { "Nobody opted out." } } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Customer" } th scope="col" { "Keyword" } th scope="col" { "Since" }
                    @if edit { th scope="col" { "Actions" } }
                } }
                tbody { @for o in &opt_outs { tr {
                    th scope="row" { (o.customer) }
                    td { (o.keyword) }
                    td { (o.created_at.format("%Y-%m-%d %H:%M UTC")) }
                    @if edit { td {
                        (button_form(&signed, &format!("{here}/opt-outs/{}/delete", o.customer), &format!("Opt {} back in", o.customer)))
                    } }
                } } }
            } }
        }
        @if edit {
            form.stack method="post" action={ (here) "/opt-outs" } {
                fieldset {
                    legend { "Opt a customer out" }
                    label for="opt_out_customer" { "Customer number (E.164)" }
                    input #opt_out_customer name="customer" required placeholder="+14155550100" autocomplete="off";
                    (csrf_field(&signed))
                    button type="submit" { "Opt out" }
                }
            }
        }
    };
    let chrome = Chrome {
        title: "Customers",
        signed: &signed,
        company: Some(company),
        nav: Nav::Customers,
        notice: layout::notice(query.notice.as_deref()),
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

#[derive(Deserialize)]
pub struct AssignForm {
    customer: String,
    phone_number: String,
}

#[post("/console/companies/{id}/customers/assignments")]
pub async fn assign(
    posted: Posted<AssignForm>,
    path: web::Path<Uuid>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&posted.signed, path.into_inner(), Scope::Admin, &store).await?;
    let company = scope.company;
    let customer = phone("customer", posted.form.customer.trim())?;
    let number =
        active_number(&store, company, "phone_number", &phone("phone_number", &posted.form.phone_number)?).await?;
    directory.set_assignment(company, &customer, number.id, &number.phone_number).await?;
    Ok(see_other(format!("/console/companies/{company}/customers?notice=saved")))
}

#[derive(Deserialize)]
pub struct Empty {}

#[post("/console/companies/{id}/customers/assignments/{customer}/delete")]
pub async fn unassign(
    posted: Posted<Empty>,
    path: web::Path<(Uuid, String)>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, customer) = path.into_inner();
    let scope = reach(&posted.signed, id, Scope::Admin, &store).await?;
    let customer = phone("customer", &customer)?;
    directory.delete_assignment(scope.company, &customer).await.map_err(not_found("assignment"))?;
    Ok(see_other(format!("/console/companies/{}/customers?notice=deleted", scope.company)))
}

#[derive(Deserialize)]
pub struct OptOutForm {
    customer: String,
}

#[post("/console/companies/{id}/customers/opt-outs")]
pub async fn opt_out(
    posted: Posted<OptOutForm>,
    path: web::Path<Uuid>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&posted.signed, path.into_inner(), Scope::Admin, &store).await?;
    let customer = phone("customer", posted.form.customer.trim())?;
    directory.add_opt_out(scope.company, &customer, "admin").await?;
    Ok(see_other(format!("/console/companies/{}/customers?notice=saved", scope.company)))
}

#[post("/console/companies/{id}/customers/opt-outs/{customer}/delete")]
pub async fn opt_in(
    posted: Posted<Empty>,
    path: web::Path<(Uuid, String)>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, customer) = path.into_inner();
    let scope = reach(&posted.signed, id, Scope::Admin, &store).await?;
    let customer = phone("customer", &customer)?;
    if !directory.remove_opt_out(scope.company, &customer).await? {
        return Err(ApiError::NotFound("opt-out").into());
    }
    Ok(see_other(format!("/console/companies/{}/customers?notice=deleted", scope.company)))
}
