//! The routing page: departments and locations with their destinations (or call chains) and
//! business hours; one rule's edit page; saving and deleting go through the API's own checks
//! (`routes::admin::rules::save_department` / `save_location`) and `company::Directory`.
use actix_web::{get, post, web, HttpResponse};
use maud::{html, Markup};
use uuid::Uuid;

use super::error::ConsoleError;
use super::form::Posted;
use super::layout::{self, button_form, Chrome, Nav};
use super::rule_form::{render, RuleFields, RuleKind};
use super::session::{Console, Signed};
use super::{may, reach, see_other, PageQuery};
use crate::company::directory::Directory;
use crate::domain::{CompanyId, Scope};
use crate::outbox::guard::ForwardPolicy;
use crate::routes::admin::not_found;
use crate::routes::admin::rules::{save_department, save_location};
use crate::routes::api_error::ApiError;
use crate::routing::{BusinessHours, Destinations};
use crate::store::{DynStore, Window};

/// At most this many rules of each kind on the page (the API pages through more).
const SHOWN: i64 = 200;

fn kind_of(raw: &str) -> Result<RuleKind, ConsoleError> {
    RuleKind::parse(raw).ok_or(ConsoleError::Api(ApiError::NotFound("page")))
}

fn summary(destinations: &Destinations, hours: Option<&BusinessHours>) -> Markup {
    let text = |d: &Destinations| {
        let call = d.call.as_ref().map(|c| c.to_stored()).unwrap_or_else(|| "—".into());
        let message = d.message.as_ref().map(|m| m.to_string()).unwrap_or_else(|| "—".into());
        (call, message)
    };
    let (call, message) = text(destinations);
    html! {
        td { code { (call) } }
        td { code { (message) } }
        td {
            @match hours {
                None => "always open",
                Some(h) => {
                    (h.time_zone().name()) ": "
                    @for (i, interval) in h.open().iter().enumerate() {
                        @if i > 0 { ", " }
                        (interval.day) " " (interval.start()) "–" (interval.end())
                    }
                    br;
                    "after hours: " code { (text(h.after_hours()).0) }
                }
            }
        }
    }
}

fn table(company: CompanyId, kind: RuleKind, rows: &[(String, Markup)]) -> Markup {
    html! {
        @if rows.is_empty() { p { "None yet." } } @else {
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Calls" } th scope="col" { "Messages" } th scope="col" { "Business hours" }
                    } }
                    tbody {
                        @for (name, cells) in rows {
                            tr {
                                th scope="row" {
                                    a href={ "/console/companies/" (company) "/routing/" (kind.path()) "/" (urlencode(name)) } { (name) }
                                }
                                (cells)
                            }
                        }
                    }
                }
            }
        }
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>().replace('+', "%20")
}

#[get("/console/companies/{id}/routing")]
pub async fn overview(
    Console(signed): Console,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&signed, path.into_inner(), Scope::Read, &store).await?;
    let company = scope.company;
    let window = Window::first(SHOWN);
    let departments = store.page_departments(company, &window).await?;
    let locations = store.page_locations(company, &window).await?;
    let departments: Vec<(String, Markup)> =
        departments.iter().map(|d| (d.name.clone(), summary(&d.destinations, d.hours.as_ref()))).collect();
    let locations: Vec<(String, Markup)> =
        locations.iter().map(|l| (l.name.clone(), summary(&l.destinations, l.hours.as_ref()))).collect();
    let editable = may(&signed, Scope::Admin);
    let body = html! {
        h1 { "Routing" }
        p { "An inbound call or message goes to the customer's assigned number's rules, else its number's department (inside business hours, else the after-hours destination), else its location, else the company default." }
        h2 { "Departments" }
        (table(company, RuleKind::Department, &departments))
        @if editable { (add(&signed, company, RuleKind::Department)) }
        h2 { "Locations" }
        (table(company, RuleKind::Location, &locations))
        @if editable { (add(&signed, company, RuleKind::Location)) }
    };
    let chrome = Chrome {
        title: "Routing",
        signed: &signed,
        company: Some(company),
        nav: Nav::Routing,
        notice: layout::notice(query.notice.as_deref()),
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

fn add(signed: &Signed, company: CompanyId, kind: RuleKind) -> Markup {
    let action = format!("/console/companies/{company}/routing/{}", kind.path());
    let fields = RuleFields {
        time_zone: "America/New_York".into(),
        open: "monday-friday 09:00-17:00".into(),
        ..Default::default()
    };
    html! {
        details {
            summary { "Add a " (kind.label()) }
            (render(signed, &action, kind, &fields, true, &format!("{}-", kind.path())))
        }
    }
}

#[get("/console/companies/{id}/routing/{kind}/{name}")]
pub async fn edit(
    Console(signed): Console,
    path: web::Path<(Uuid, String, String)>,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, kind, name) = path.into_inner();
    let kind = kind_of(&kind)?;
    let scope = reach(&signed, id, Scope::Read, &store).await?;
    let company = scope.company;
    let fields = match kind {
        RuleKind::Department => {
            let d = store.get_department(company, &name).await.map_err(not_found("department"))?;
            RuleFields::of(&d.name, &d.destinations, d.hours.as_ref(), &[])
        }
        RuleKind::Location => {
            let l = store.get_location(company, &name).await.map_err(not_found("location"))?;
            RuleFields::of(&l.name, &l.destinations, l.hours.as_ref(), l.area_codes())
        }
    };
    let action = format!("/console/companies/{company}/routing/{}", kind.path());
    let delete_action =
        format!("/console/companies/{company}/routing/{}/{}/delete", kind.path(), urlencode(&fields.name));
    let title = format!("{} {}", kind.label(), fields.name);
    let body = html! {
        p { a href={ "/console/companies/" (company) "/routing" } { "← All routing rules" } }
        h1 { (kind.label()) " " (fields.name) }
        @if may(&signed, Scope::Admin) {
            (render(&signed, &action, kind, &fields, false, ""))
            h2 { "Delete" }
            (button_form(&signed, &delete_action, &format!("Delete {} {}", kind.label(), fields.name)))
        } @else {
            dl.decision {
                dt { "Calls go to" } dd { code { (fields.call) } }
                dt { "Messages are forwarded to" } dd { code { (fields.message) } }
                dt { "Business hours" }
                dd { @if fields.hours.is_some() { (fields.time_zone) pre { (fields.open) } } @else { "always open" } }
                dt { "After hours, calls go to" } dd { code { (fields.after_call) } }
            }
        }
    };
    let chrome = Chrome {
        title: &title,
        signed: &signed,
        company: Some(company),
        nav: Nav::Routing,
        notice: layout::notice(query.notice.as_deref()),
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

#[post("/console/companies/{id}/routing/{kind}")]
pub async fn save(
    posted: Posted<RuleFields>,
    path: web::Path<(Uuid, String)>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
    policy: web::Data<ForwardPolicy>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, kind) = path.into_inner();
    let kind = kind_of(&kind)?;
    let scope = reach(&posted.signed, id, Scope::Admin, &store).await?;
    let company = scope.company;
    let fields = posted.form;
    let name = match kind {
        RuleKind::Department => {
            save_department(company, &store, &directory, &policy, fields.name.clone(), fields.department()?).await?.name
        }
        RuleKind::Location => {
            save_location(company, &store, &directory, &policy, fields.name.clone(), fields.location()?).await?.name
        }
    };
    Ok(see_other(format!("/console/companies/{company}/routing/{}/{}?notice=saved", kind.path(), urlencode(&name))))
}

#[derive(serde::Deserialize)]
pub struct Empty {}

#[post("/console/companies/{id}/routing/{kind}/{name}/delete")]
pub async fn delete(
    posted: Posted<Empty>,
    path: web::Path<(Uuid, String, String)>,
    store: web::Data<DynStore>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, kind, name) = path.into_inner();
    let kind = kind_of(&kind)?;
    let scope = reach(&posted.signed, id, Scope::Admin, &store).await?;
    let company = scope.company;
    match kind {
        RuleKind::Department => directory.delete_department(company, &name).await.map_err(not_found("department"))?,
        RuleKind::Location => directory.delete_location(company, &name).await.map_err(not_found("location"))?,
    }
    Ok(see_other(format!("/console/companies/{company}/routing?notice=deleted")))
}
