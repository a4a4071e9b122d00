//! A company's API tokens: listed without their secrets, minted (the secret is shown once, on the
//! answer to the form, never in a URL), revoked; with the API's rules (`tokens` scope, a token
//! never mints a stronger one than itself). Revoking a token also ends its console sessions.
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use uuid::Uuid;

use super::error::ConsoleError;
use super::form::Posted;
use super::layout::{self, button_form, csrf_field, Chrome, Nav};
use super::session::Console;
use super::session::Signed;
use super::{may, reach, see_other, PageQuery};
use crate::domain::{CompanyId, Scope, Scopes};
use crate::routes::admin::not_found;
use crate::routes::admin::tokens::{mint, CreateToken, CreatedToken};
use crate::routes::pagination::{List, Page};
use crate::store::page::TokenKey;
use crate::store::DynStore;

async fn render(
    signed: &Signed,
    store: &DynStore,
    company: CompanyId,
    page: Page,
    notice: Option<&'static str>,
    created: Option<&CreatedToken>,
) -> Result<HttpResponse, ConsoleError> {
    let listing = page.of::<TokenKey>(List::company("tokens", company))?;
    let rows = store.page_tokens(company, listing.window()).await?;
    let (tokens, next) = listing.split(rows, |t| (t.created_at, t.id))?;
    let edit = may(signed, Scope::Tokens);
    let here = format!("/console/companies/{company}/tokens");
    let body = html! {
        h1 { "API tokens" }
        @if let Some(c) = created {
            div.notice role="status" {
                p { "Token " strong { (c.name) } " created. Copy it now: it is not shown again." }
                p { label for="new_token" { "New token" } input #new_token readonly value=(c.token) size="50"; }
            }
        }
        @if tokens.is_empty() { p { "No tokens." } } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Scopes" } th scope="col" { "Created" }
                    th scope="col" { "Expires" } th scope="col" { "Last used" } th scope="col" { "State" }
                    @if edit { th scope="col" { "Actions" } }
                } }
                tbody { @for t in &tokens { tr {
                    th scope="row" { (t.name) }
                    td { (t.scopes) }
                    td { (t.created_at.format("%Y-%m-%d %H:%M UTC")) }
                    td { @match t.expires_at { Some(e) => (e.format("%Y-%m-%d %H:%M UTC")), None => "never" } }
                    td { @match t.last_used_at { Some(e) => (e.format("%Y-%m-%d %H:%M UTC")), None => "never" } }
                    td { @if t.revoked_at.is_some() { span.bad { "revoked" } } @else { span.ok { "active" } } }
                    @if edit { td { @if t.revoked_at.is_none() {
                        (button_form(signed, &format!("{here}/{}/revoke", t.id), &format!("Revoke {}", t.name)))
                    } } }
                } } }
            } }
        }
        (layout::next_page(&here, next.as_deref()))
        @if edit { (create_form(signed, &here)) }
    };
    let chrome =
        Chrome { title: "Tokens", signed, company: Some(company), nav: Nav::Tokens, notice, refresh_secs: None };
    Ok(layout::page(chrome, body))
}

fn create_form(signed: &Signed, here: &str) -> Markup {
    html! {
        form.stack method="post" action=(here) {
            fieldset {
                legend { "Create a token" }
                label for="token_name" { "Name" }
                input #token_name name="name" required maxlength="100";
                fieldset {
                    legend { "Scopes" }
                    @for scope in Scope::ALL {
                        @let id = format!("scope_{}", scope.as_str());
                        label for=(id) {
                            input #(id) type="checkbox" name=(id) value="on" checked[Scopes::DEFAULT.contains(scope)];
                            " " (scope.as_str())
                        }
                    }
                }
                (csrf_field(signed))
                button type="submit" { "Create token" }
            }
        }
    }
}

#[get("/console/companies/{id}/tokens")]
pub async fn list(
    Console(signed): Console,
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<PageQuery>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&signed, path.into_inner(), Scope::Read, &store).await?;
    let page = Page::from_query(req.query_string(), req.path());
    render(&signed, &store, scope.company, page, layout::notice(query.notice.as_deref()), None).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
    scope_read: Option<String>,
    scope_send: Option<String>,
    scope_admin: Option<String>,
    scope_tokens: Option<String>,
}

#[post("/console/companies/{id}/tokens")]
pub async fn create(
    posted: Posted<CreateForm>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let scope = reach(&posted.signed, path.into_inner(), Scope::Tokens, &store).await?;
    let f = &posted.form;
    let asked = [
        (Scope::Read, &f.scope_read),
        (Scope::Send, &f.scope_send),
        (Scope::Admin, &f.scope_admin),
        (Scope::Tokens, &f.scope_tokens),
    ];
    let scopes: Scopes = asked.into_iter().filter(|(_, on)| on.is_some()).map(|(s, _)| s).collect();
    let body = CreateToken { name: f.name.clone(), scopes: Some(scopes), expires_at: None };
    let created = mint(&store, &scope, body).await?;
    let page = Page::from_query("", req.path());
    render(&posted.signed, &store, scope.company, page, None, Some(&created)).await
}

#[derive(Deserialize)]
pub struct Empty {}

#[post("/console/companies/{id}/tokens/{token_id}/revoke")]
pub async fn revoke(
    posted: Posted<Empty>,
    path: web::Path<(Uuid, Uuid)>,
    store: web::Data<DynStore>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, token_id) = path.into_inner();
    let scope = reach(&posted.signed, id, Scope::Tokens, &store).await?;
    store.revoke_token(scope.company, token_id).await.map_err(not_found("token"))?;
    Ok(see_other(format!("/console/companies/{}/tokens?notice=revoked", scope.company)))
}
