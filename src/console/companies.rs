//! The operator's companies page: every company (a page at a time) with links into its pages,
//! and a form to create one (as POST /v1/companies does).
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::error::ConsoleError;
use super::form::Posted;
use super::layout::{self, csrf_field, Chrome, Nav};
use super::session::Console;
use super::{see_other, PageQuery};
use crate::routes::admin::companies::new_company;
use crate::routes::pagination::{List, Page};
use crate::store::page::CompanyKey;
use crate::store::DynStore;

#[get("/console/companies")]
pub async fn list(
    Console(signed): Console,
    req: HttpRequest,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    signed.caller.require_operator()?;
    let listing = Page::from_query(req.query_string(), req.path()).of::<CompanyKey>(List::global("companies"))?;
    let rows = store.page_companies(listing.window()).await?;
    let (companies, next) = listing.split(rows, |c| c.id.as_uuid())?;
    let body = html! {
        h1 { "Companies" }
        @if companies.is_empty() { p { "No companies yet." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Company" } th scope="col" { "Id" } th scope="col" { "Pages" } } }
                tbody { @for c in &companies { tr {
                    th scope="row" { a href={ "/console/companies/" (c.id) "/numbers" } { (c.name) } }
                    td { code { (c.id) } }
                    td {
                        a href={ "/console/companies/" (c.id) "/jobs" } { "jobs" } ", "
                        a href={ "/console/companies/" (c.id) "/tokens" } { "tokens" }
                    }
                } } }
            } }
        }
        (layout::next_page("/console/companies", next.as_deref()))
        form.stack method="post" action="/console/companies" {
            fieldset {
                legend { "Create a company" }
                label for="company_name" { "Name" }
                input #company_name name="name" required maxlength="200";
                (csrf_field(&signed))
                button type="submit" { "Create company" }
            }
        }
    };
    let chrome = Chrome {
        title: "Companies",
        signed: &signed,
        company: None,
        nav: Nav::Companies,
        notice: layout::notice(query.notice.as_deref()),
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
}

#[post("/console/companies")]
pub async fn create(posted: Posted<CreateForm>, store: web::Data<DynStore>) -> Result<HttpResponse, ConsoleError> {
    let company = new_company(&posted.signed.caller, &store, &posted.form.name, None).await?;
    Ok(see_other(format!("/console/companies/{}/numbers?notice=created", company.id)))
}
