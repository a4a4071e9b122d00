//! The page shell every console page shares: skip link, navigation, main landmark, notices, the
//! sign-out form. Pages render their body with maud and hand it here.
use actix_web::HttpResponse;
use maud::{html, Markup, DOCTYPE};

use super::session::Signed;
use crate::domain::CompanyId;
use crate::routes::auth::Principal;

/// Which navigation entry is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Companies,
    DeadLetters,
    Numbers,
    Routing,
    Customers,
    Simulate,
    Activity,
    Jobs,
    Tokens,
}

/// A signed-in page: its title, where it sits and what it says.
pub struct Chrome<'a> {
    pub title: &'a str,
    pub signed: &'a Signed,
    /// The company the page is about (company pages).
    pub company: Option<CompanyId>,
    pub nav: Nav,
    /// A notice after a change (`?notice=` of a redirect), a fixed text.
    pub notice: Option<&'static str>,
    /// Reload the page every this many seconds (a job in progress), without JavaScript.
    pub refresh_secs: Option<u32>,
}

fn head(title: &str, refresh_secs: Option<u32>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            @if let Some(secs) = refresh_secs { meta http-equiv="refresh" content=(secs); }
            title { (title) " · switchboard" }
            link rel="stylesheet" href="/console/style.css";
        }
    }
}

fn html_response(markup: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "no-store"))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header((
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(markup.into_string())
}

/// A page without navigation (sign-in, errors).
pub fn bare(title: &str, body: Markup) -> HttpResponse {
    html_response(html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top { span.brand { "switchboard" } }
                main #main tabindex="-1" { (body) }
            }
        }
    })
}

/// A signed-in page.
pub fn page(chrome: Chrome<'_>, body: Markup) -> HttpResponse {
    let operator = chrome.signed.caller.0 == Principal::Operator;
    let entries: Vec<(Nav, String, &str)> = match chrome.company {
        Some(c) => vec![
            (Nav::Numbers, format!("/console/companies/{c}/numbers"), "Numbers"),
            (Nav::Routing, format!("/console/companies/{c}/routing"), "Routing"),
            (Nav::Customers, format!("/console/companies/{c}/customers"), "Customers"),
            (Nav::Simulate, format!("/console/companies/{c}/simulate"), "Simulate"),
            (Nav::Activity, format!("/console/companies/{c}/activity"), "Activity"),
            (Nav::Jobs, format!("/console/companies/{c}/jobs"), "Jobs"),
            (Nav::Tokens, format!("/console/companies/{c}/tokens"), "Tokens"),
        ],
        None => Vec::new(),
    };
    html_response(html! {
        (DOCTYPE)
        html lang="en" {
            (head(chrome.title, chrome.refresh_secs))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "switchboard" }
                    nav aria-label="Console" {
                        ul {
                            @if operator {
                                li { (link(chrome.nav == Nav::Companies, "/console/companies", "Companies")) }
                                li { (link(chrome.nav == Nav::DeadLetters, "/console/dead-letters", "Dead letters")) }
                            }
                            @for (nav, href, label) in &entries {
                                li { (link(chrome.nav == *nav, href, label)) }
                            }
                        }
                    }
                    form.signout method="post" action="/console/sign-out" {
                        (csrf_field(chrome.signed))
                        button type="submit" { "Sign out" }
                    }
                }
                main #main tabindex="-1" {
                    @if let Some(notice) = chrome.notice {
                        div.notice role="status" { p { (notice) } }
                    }
                    (body)
                }
            }
        }
    })
}

fn link(current: bool, href: &str, label: &str) -> Markup {
    html! {
        @if current { a href=(href) aria-current="page" { (label) } } @else { a href=(href) { (label) } }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf_field(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.csrf); }
}

/// A one-button form posting to `action` (with the CSRF field).
pub fn button_form(signed: &Signed, action: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_field(signed))
            button type="submit" { (label) }
        }
    }
}

/// The text of a `?notice=` code a redirect after a change carries (fixed texts only: nothing
/// from the query string is shown).
pub fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "saved" => "Saved.",
        "deleted" => "Deleted.",
        "default" => "Default number set.",
        "status" => "Number status changed.",
        "retried" => "Queued for another attempt.",
        "redriven" => "Dead letter re-driven.",
        "revoked" => "Token revoked.",
        "created" => "Created.",
        _ => return None,
    })
}

/// A "next page" link when the list has more.
pub fn next_page(path: &str, next_cursor: Option<&str>) -> Markup {
    html! {
        @if let Some(cursor) = next_cursor {
            p.pager { a href={ (path) "?cursor=" (cursor) } { "Next page" } }
        }
    }
}

/// How a serde enum is written in the API (`snake_case`), for showing it.
pub fn label<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}
