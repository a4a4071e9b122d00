//! The simulate page: a call or SMS from a customer to one of the company's numbers at a chosen
//! local time, and the routing decision with its trace, from the same function as
//! POST /v1/companies/{id}/routing/explain. A question, not a change: a GET form.
use actix_web::{get, web, HttpResponse};
use chrono::{NaiveDate, NaiveTime, TimeZone};
use chrono_tz::Tz;
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::error::ConsoleError;
use super::layout::{self, Chrome, Nav};
use super::reach;
use super::session::Console;
use crate::domain::Scope;
use crate::routes::admin::explain::{explain_decision, ExplainRequest};
use crate::routes::api_error::ApiError;
use crate::routing::{Destination, EventKind, MatchedRule, Outcome, RoutingDecision};
use crate::store::{DynStore, NumberFilter};

#[derive(Debug, Default, Deserialize)]
pub struct Question {
    from: Option<String>,
    to: Option<String>,
    kind: Option<String>,
    date: Option<String>,
    time: Option<String>,
    time_zone: Option<String>,
}

/// The instant a local date and time in a zone names (the earlier one when a clock change
/// repeats it); a 400 naming the field that is wrong.
fn instant(q: &Question) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    let tz: Tz = q
        .time_zone
        .as_deref()
        .unwrap_or("UTC")
        .parse()
        .map_err(|_| ApiError::invalid("time_zone", "is not an IANA time zone"))?;
    let date = NaiveDate::parse_from_str(q.date.as_deref().unwrap_or_default(), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid("date", "must be YYYY-MM-DD"))?;
    let time = NaiveTime::parse_from_str(q.time.as_deref().unwrap_or_default(), "%H:%M")
        .map_err(|_| ApiError::invalid("time", "must be HH:MM"))?;
    let local = tz.from_local_datetime(&date.and_time(time));
    let at = local
        .earliest()
        .ok_or_else(|| ApiError::invalid("time", "does not exist in that time zone (a clock change skips it)"))?;
    Ok(at.with_timezone(&chrono::Utc))
}

#[get("/console/companies/{id}/simulate")]
pub async fn page(
    Console(signed): Console,
    path: web::Path<Uuid>,
    query: web::Query<Question>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&signed, path.into_inner(), Scope::Read, &store).await?;
    let company = scope.company;
    let numbers = store.list_numbers(company, NumberFilter::default()).await?;
    let q = query.into_inner();
    let asked = q.from.is_some() && q.to.is_some();
    let answer: Option<Result<RoutingDecision, ApiError>> = if asked {
        let kind = if q.kind.as_deref() == Some("message") { EventKind::Message } else { EventKind::Call };
        let result = match instant(&q) {
            Ok(at) => {
                let request = ExplainRequest {
                    from: q.from.clone().unwrap_or_default(),
                    to: q.to.clone().unwrap_or_default(),
                    kind,
                    at: Some(at),
                    call_control_id: None,
                };
                explain_decision(&store, company, request).await
            }
            Err(e) => Err(e),
        };
        Some(result)
    } else {
        None
    };
    let now = chrono::Utc::now();
    let tz = q.time_zone.clone().unwrap_or_else(|| "America/New_York".into());
    let date = q.date.clone().unwrap_or_else(|| now.format("%Y-%m-%d").to_string());
    let time = q.time.clone().unwrap_or_else(|| "12:00".into());
    let message = q.kind.as_deref() == Some("message");
    let body = html! {
        h1 { "Simulate" }
        p { "What would happen to a call or message from a customer to one of your numbers at a given time: the same decision the daemon makes, with every rule it tried. Nothing is sent." }
        form.stack method="get" action={ "/console/companies/" (company) "/simulate" } {
            fieldset {
                legend { "Event" }
                label for="kind" { "Kind" }
                select #kind name="kind" {
                    option value="call" selected[!message] { "Call" }
                    option value="message" selected[message] { "SMS" }
                }
                label for="from" { "From (customer)" }
                input #from name="from" required value=(q.from.as_deref().unwrap_or("")) placeholder="+14155550100" autocomplete="off";
                label for="to" { "To (company number)" }
                select #to name="to" {
                    @for n in &numbers {
                        option value=(n.phone_number) selected[q.to.as_deref() == Some(n.phone_number.as_str())] { (n.phone_number) }
                    }
                }
                label for="date" { "Date" }
                input #date name="date" type="date" required value=(date);
                label for="time" { "Local time" }
                input #time name="time" type="time" required value=(time);
                label for="time_zone" { "Time zone" }
                select #time_zone name="time_zone" {
                    @for z in chrono_tz::TZ_VARIANTS.iter() {
                        option value=(z.name()) selected[z.name() == tz] { (z.name()) }
                    }
                }
                button type="submit" { "Simulate" }
            }
        }
        @match &answer {
            None => {},
            Some(Ok(decision)) => (show(decision)),
            Some(Err(e)) => {
                div.notice.error role="alert" {
                    p { @if let ApiError::Invalid { field, detail } = e { strong { (field) } ": " (detail) } @else { (e.problem().detail) } }
                }
            },
        }
    };
    let chrome = Chrome {
        title: "Simulate",
        signed: &signed,
        company: Some(company),
        nav: Nav::Simulate,
        notice: None,
        refresh_secs: None,
    };
    Ok(layout::page(chrome, body))
}

fn show(d: &RoutingDecision) -> Markup {
    let matched = match &d.matched {
        MatchedRule::Department { name, after_hours } => {
            format!("department {name}{}", if *after_hours { " (after hours)" } else { "" })
        }
        MatchedRule::Location { name, after_hours } => {
            format!("location {name}{}", if *after_hours { " (after hours)" } else { "" })
        }
        MatchedRule::CompanyDefault => "the company default".into(),
        MatchedRule::Unrouted => "nothing: unrouted".into(),
    };
    let destination = match &d.destination {
        Some(Destination::Call(chain)) => chain.to_stored(),
        Some(Destination::Message(m)) => m.to_string(),
        None => "none".into(),
    };
    html! {
        section aria-labelledby="decision" {
            h2 #decision { "Decision" }
            dl.decision {
                dt { "Goes to" } dd #destination { code { (destination) } }
                dt { "Because of" } dd #matched { (matched) }
                dt { "Acting as number" } dd { (d.effective_number) }
                @if let Some(via) = &d.via_assignment { dt { "Assigned to" } dd { (via) } }
            }
            h2 { "Trace" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Step" } th scope="col" { "Outcome" } th scope="col" { "Why" } } }
                tbody { @for a in &d.trace { tr {
                    td { (layout::label(&a.rule)) }
                    td { @if a.outcome == Outcome::Matched { strong { "matched" } } @else { "skipped" } }
                    td { (a.reason) }
                } } }
            } }
        }
    }
}
