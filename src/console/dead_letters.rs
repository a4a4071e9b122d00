//! The operator's dead letters: events acknowledged but owned by no company, newest first, with a
//! re-drive button (the normal ingest path; counted once however often it is pressed).
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::html;

use super::error::ConsoleError;
use super::form::Posted;
use super::layout::{self, button_form, Chrome, Nav};
use super::session::Console;
use super::{see_other, PageQuery};
use crate::domain::Scope;
use crate::replay::Replayer;
use crate::routes::admin::dead_letters::{operator, redrive as redrive_one};
use crate::routes::pagination::{List, Page};
use crate::store::page::DeadLetterKey;
use crate::store::{DeadLetterFilter, DynStore};

#[get("/console/dead-letters")]
pub async fn list(
    Console(signed): Console,
    req: HttpRequest,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    operator(&signed.caller, Scope::Read)?;
    let listing = Page::from_query(req.query_string(), req.path()).of::<DeadLetterKey>(List::global("dead-letters"))?;
    let rows = store.page_dead_letters(&DeadLetterFilter::default(), listing.window()).await?;
    let (letters, next) = listing.split(rows, |d| d.id)?;
    let body = html! {
        h1 { "Dead letters" }
        p { "Webhooks acknowledged for numbers no company owned. Register the number, then re-drive: the event goes through the normal path and is counted once." }
        @if letters.is_empty() { p { "No dead letters." } } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Received" } th scope="col" { "Event" } th scope="col" { "Number" }
                    th scope="col" { "Reason" } th scope="col" { "Last re-drive" } th scope="col" { "Actions" }
                } }
                tbody { @for d in &letters { tr {
                    td { (d.received_at.format("%Y-%m-%d %H:%M:%S UTC")) }
                    td { (d.event_type) br; code { (d.event_id) } }
                    td { (d.phone_number.as_deref().unwrap_or("—")) }
                    td { (d.reason) }
                    td { (d.redrive_outcome.as_deref().unwrap_or("—")) }
                    td { (button_form(&signed, &format!("/console/dead-letters/{}/redrive", d.id), "Re-drive")) }
                } } }
            } }
        }
        (layout::next_page("/console/dead-letters", next.as_deref()))
    };
    let chrome = Chrome {
        title: "Dead letters",
        signed: &signed,
        company: None,
        nav: Nav::DeadLetters,
        notice: layout::notice(query.notice.as_deref()),
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

#[derive(serde::Deserialize)]
pub struct Empty {}

#[post("/console/dead-letters/{id}/redrive")]
pub async fn redrive(
    posted: Posted<Empty>,
    path: web::Path<i64>,
    store: web::Data<DynStore>,
    replayer: web::Data<Replayer>,
) -> Result<HttpResponse, ConsoleError> {
    operator(&posted.signed.caller, Scope::Admin)?;
    redrive_one(&replayer, &store, path.into_inner()).await?;
    Ok(see_other("/console/dead-letters?notice=redriven".into()))
}
