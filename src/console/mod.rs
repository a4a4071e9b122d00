//! The web console at /console: server-rendered HTML (maud) for company admins and operators,
//! served by the daemon itself. Every flow works without JavaScript (plain forms, POST then
//! redirect then GET). Pages are thin shells over what the admin API uses: the same scope checks
//! (`routes::scope::CompanyScope::check`), the same store reads, the same shared functions of the
//! API's handlers for changes, and company data written only through `company::Directory`.
//!
//! Sessions (`session`), forms and CSRF (`form`), the page shell (`layout`), then one file per page.
use actix_web::http::header::LOCATION;
use actix_web::{web, HttpResponse};
use uuid::Uuid;

use crate::domain::{CompanyId, Scope};
use crate::routes::scope::CompanyScope;
use crate::store::DynStore;

pub mod activity;
pub mod assets;
pub mod companies;
pub mod customers;
pub mod dead_letters;
pub mod error;
pub mod form;
pub mod jobs;
pub mod layout;
pub mod numbers;
pub mod routing;
pub mod rule_form;
pub mod session;
pub mod signin;
pub mod simulate;
pub mod tokens;

use error::ConsoleError;
use session::Signed;

/// Registers the console's routes (before the API's fallback).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(assets::style)
        .service(signin::home)
        .service(signin::sign_in_page)
        .service(signin::sign_in)
        .service(signin::sign_out)
        .service(companies::list)
        .service(companies::create)
        .service(dead_letters::list)
        .service(dead_letters::redrive)
        .service(numbers::list)
        .service(numbers::set_default)
        .service(numbers::set_status)
        .service(numbers::purchase)
        .service(routing::overview)
        .service(routing::edit)
        .service(routing::save)
        .service(routing::delete)
        .service(customers::list)
        .service(customers::assign)
        .service(customers::unassign)
        .service(customers::opt_out)
        .service(customers::opt_in)
        .service(simulate::page)
        .service(activity::page)
        .service(activity::retry)
        .service(jobs::list)
        .service(jobs::show)
        .service(tokens::list)
        .service(tokens::create)
        .service(tokens::revoke);
}

/// The company a console page is about, reached with `needed` exactly as the API reaches it:
/// another company's (or a missing one) is 404, a scope the token lacks is 403.
pub async fn reach(signed: &Signed, id: Uuid, needed: Scope, store: &DynStore) -> Result<CompanyScope, ConsoleError> {
    Ok(CompanyScope::check(signed.caller, CompanyId::from_uuid(id), needed, store).await?)
}

/// Whether the session may do what `scope` allows (edit controls are shown only then).
pub fn may(signed: &Signed, scope: Scope) -> bool {
    signed.caller.scopes().contains(scope)
}

/// 303 to `to` (after a change: POST, redirect, GET).
pub fn see_other(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to)).finish()
}

/// The `notice` and `cursor` of a page's query string.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PageQuery {
    pub notice: Option<String>,
    pub cursor: Option<String>,
}
