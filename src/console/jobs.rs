//! A company's provisioning and purchase jobs: the list (newest first, a page at a time) and one
//! job's progress, which reloads itself while the job runs (a meta refresh: no JavaScript).
use actix_web::{get, web, HttpRequest, HttpResponse};
use maud::html;
use uuid::Uuid;

use super::error::ConsoleError;
use super::layout::{self, label, Chrome, Nav};
use super::session::Console;
use super::{reach, PageQuery};
use crate::domain::Scope;
use crate::provisioning::{Job, JobState};
use crate::routes::admin::not_found;
use crate::routes::pagination::{List, Page};
use crate::store::page::JobKey;
use crate::store::{DynStore, StoreError};

/// Seconds between reloads of a running job's page.
const REFRESH_SECS: u32 = 2;

#[get("/console/companies/{id}/jobs")]
pub async fn list(
    Console(signed): Console,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&signed, path.into_inner(), Scope::Read, &store).await?;
    let company = scope.company;
    let listing = Page::from_query(req.query_string(), req.path()).of::<JobKey>(List::company("jobs", company))?;
    let rows = store.page_jobs(company, listing.window()).await?;
    let (rows, next) = listing.split(rows, |r| (r.created_at, r.id))?;
    let jobs = rows.into_iter().map(Job::try_from).collect::<Result<Vec<Job>, StoreError>>()?;
    let here = format!("/console/companies/{company}/jobs");
    let body = html! {
        h1 { "Jobs" }
        @if jobs.is_empty() { p { "No provisioning or purchase jobs yet." } } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Started" } th scope="col" { "Kind" } th scope="col" { "State" }
                    th scope="col" { "Step" } th scope="col" { "Bought" } th scope="col" { "Error" }
                } }
                tbody { @for j in &jobs { tr {
                    td { a href={ (here) "/" (j.id) } { (j.created_at.format("%Y-%m-%d %H:%M:%S UTC")) } }
                    td { (label(&j.kind)) }
                    td { (label(&j.state)) }
                    td { (label(&j.step)) }
                    td { (j.progress.bought().count()) " of " (j.request.quantity) }
                    td { (j.error.as_deref().unwrap_or("—")) }
                } } }
            } }
        }
        (layout::next_page(&here, next.as_deref()))
    };
    let chrome = Chrome {
        title: "Jobs",
        signed: &signed,
        company: Some(company),
        nav: Nav::Jobs,
        notice: layout::notice(query.notice.as_deref()),
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

#[get("/console/companies/{id}/jobs/{job_id}")]
pub async fn show(
    Console(signed): Console,
    path: web::Path<(Uuid, Uuid)>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, job_id) = path.into_inner();
    let scope = reach(&signed, id, Scope::Read, &store).await?;
    let company = scope.company;
    let job = Job::try_from(store.get_job(company, job_id).await.map_err(not_found("job"))?)?;
    let running = job.state == JobState::Running;
    let body = html! {
        p { a href={ "/console/companies/" (company) "/jobs" } { "← All jobs" } }
        h1 { "Job " (label(&job.kind)) }
        dl.decision {
            dt { "State" } dd #job-state role="status" { (label(&job.state)) }
            dt { "Step" } dd { (label(&job.step)) }
            dt { "Asked for" } dd {
                (job.request.quantity) " number(s)"
                @if let Some(code) = &job.request.area_code { " in area code " (code) }
            }
            dt { "Bought" } dd { (job.progress.bought().count()) }
            @if let Some(e) = &job.error { dt { "Error" } dd.bad { (e) } }
        }
        @if running { p.hint { "This page reloads every " (REFRESH_SECS) " seconds while the job runs." } }
        @if !job.progress.numbers.is_empty() {
            h2 { "Numbers" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Number" } th scope="col" { "Step" } } }
                tbody { @for n in &job.progress.numbers { tr { th scope="row" { (n.phone_number) } td { (label(&n.step)) } } } }
            } }
        }
        p { a href={ "/console/companies/" (company) "/numbers" } { "Back to the numbers" } }
    };
    let chrome = Chrome {
        title: "Job",
        signed: &signed,
        company: Some(company),
        nav: Nav::Jobs,
        notice: None,
        refresh_secs: running.then_some(REFRESH_SECS),
    };
    Ok(layout::page(chrome, body))
}
