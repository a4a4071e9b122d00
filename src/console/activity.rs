//! The activity page: the routing log (what happened to each inbound event, newest first, a page
//! at a time) and the side effects that gave up (failed forwards and call commands) with a retry
//! button, as POST .../outbox/{item}/retry does.
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::html;
use uuid::Uuid;

use super::error::ConsoleError;
use super::form::Posted;
use super::layout::{self, button_form, Chrome, Nav};
use super::session::Console;
use super::{may, reach, see_other, PageQuery};
use crate::domain::Scope;
use crate::routes::admin::outbox_actions::retry_item;
use crate::routes::pagination::{List, Page};
use crate::store::outbox_admin::{OutboxFilter, OutboxStatus};
use crate::store::page::RoutingLogKey;
use crate::store::routing_log::RoutingLogFilter;
use crate::store::{DynStore, Window};

/// Failed items shown (oldest first is the store's order; the API pages through all).
const FAILED_SHOWN: i64 = 100;

#[get("/console/companies/{id}/activity")]
pub async fn page(
    Console(signed): Console,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&signed, path.into_inner(), Scope::Read, &store).await?;
    let company = scope.company;
    let listing =
        Page::from_query(req.query_string(), req.path()).of::<RoutingLogKey>(List::company("routing-log", company))?;
    let rows = store.page_routing_log(company, &RoutingLogFilter::default(), listing.window()).await?;
    let (log, next) = listing.split(rows, |e| (e.created_at, e.event_id.clone(), e.phone_number.clone()))?;
    let filter = OutboxFilter { status: Some(OutboxStatus::Failed), ..Default::default() };
    let failed = store.page_outbox(company, &filter, &Window::first(FAILED_SHOWN)).await?;
    let edit = may(&signed, Scope::Admin);
    let here = format!("/console/companies/{company}/activity");
    let body = html! {
        h1 { "Activity" }
        h2 #failed { "Failed forwards and call commands" }
        @if failed.is_empty() { p { "Nothing failed." } } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Created" } th scope="col" { "Kind" } th scope="col" { "Destination" }
                    th scope="col" { "Attempts" } th scope="col" { "Last error" }
                    @if edit { th scope="col" { "Actions" } }
                } }
                tbody { @for f in &failed { tr {
                    td { (f.created_at.format("%Y-%m-%d %H:%M:%S UTC")) }
                    td { (f.item.kind.as_str()) }
                    td { code { (f.item.destination) } }
                    td { (f.attempts) }
                    td { (f.last_error.as_deref().unwrap_or("—")) }
                    @if edit { td {
                        (button_form(&signed, &format!("{here}/outbox/{}/retry", f.item.id), "Retry"))
                    } }
                } } }
            } }
        }
        h2 { "Routing log" }
        @if log.is_empty() { p { "No events yet." } } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Received" } th scope="col" { "Event" } th scope="col" { "Number" }
                    th scope="col" { "Customer" } th scope="col" { "Outcome" }
                } }
                tbody { @for e in &log { tr {
                    td { (e.created_at.format("%Y-%m-%d %H:%M:%S UTC")) }
                    td { (e.event_type) }
                    td { (e.phone_number) }
                    td { (e.customer.as_deref().unwrap_or("—")) }
                    td { (e.outcome) }
                } } }
            } }
        }
        (layout::next_page(&here, next.as_deref()))
    };
    let chrome = Chrome {
        title: "Activity",
        signed: &signed,
        company: Some(company),
        nav: Nav::Activity,
        notice: layout::notice(query.notice.as_deref()),
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

#[derive(serde::Deserialize)]
pub struct Empty {}

#[post("/console/companies/{id}/activity/outbox/{item}/retry")]
pub async fn retry(
    posted: Posted<Empty>,
    path: web::Path<(Uuid, Uuid)>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, item) = path.into_inner();
    let scope = reach(&posted.signed, id, Scope::Admin, &store).await?;
    retry_item(&store, scope, item).await?;
    tracing::info!(company = %scope.company, %item, "outbox item retried from the console");
    Ok(see_other(format!("/console/companies/{}/activity?notice=retried", scope.company)))
}
