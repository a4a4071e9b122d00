//! Sign-in (a token exchanged for a session cookie), sign-out, and the console's front page.
use actix_web::http::header::{LOCATION, SET_COOKIE};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::error::ConsoleError;
use super::form::Posted;
use super::layout;
use super::session::{Console, Sessions};
use crate::routes::api_error::ApiError;
use crate::routes::auth::Principal;
use crate::routes::auth_limit::AuthFailures;

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((LOCATION, to.to_owned())).finish()
}

fn sign_in_form(error: Option<&str>) -> Markup {
    html! {
        h1 { "Sign in" }
        p { "Sign in with an operator token or a company API token. The token is exchanged for a session; it is not kept in the browser." }
        @if let Some(error) = error {
            div.notice.error role="alert" { p { (error) } }
        }
        form.stack method="post" action="/console/sign-in" {
            label for="token" { "API token" }
            input #token type="password" name="token" required autocomplete="off" spellcheck="false";
            button type="submit" { "Sign in" }
        }
    }
}

#[get("/console/sign-in")]
pub async fn sign_in_page() -> HttpResponse {
    layout::bare("Sign in", sign_in_form(None))
}

#[derive(Deserialize)]
pub struct SignIn {
    token: String,
}

/// Checks the token as the API does (with the same lock-out after repeated failures).
#[post("/console/sign-in")]
pub async fn sign_in(
    req: HttpRequest,
    sessions: web::Data<Sessions>,
    limits: web::Data<AuthFailures>,
    form: web::Form<SignIn>,
) -> Result<HttpResponse, ConsoleError> {
    // A sign-in posted from another site (login CSRF) is refused as any foreign form is.
    if !super::form::origin_is_own(req.headers()) {
        return Err(ConsoleError::Csrf);
    }
    let peer = req.peer_addr().map(|a| a.ip());
    if let Some(wait) = peer.and_then(|ip| limits.locked(ip)) {
        return Err(ApiError::TooManyRequests(wait.as_secs().max(1)).into());
    }
    let token = form.token.trim();
    if token.is_empty() || token.len() > 512 {
        let mut res = layout::bare("Sign in", sign_in_form(Some("Enter a token.")));
        *res.status_mut() = actix_web::http::StatusCode::BAD_REQUEST;
        return Ok(res);
    }
    match sessions.open(token).await {
        Ok(cookie) => Ok(HttpResponse::SeeOther()
            .insert_header((LOCATION, "/console"))
            .insert_header((SET_COOKIE, cookie))
            .finish()),
        Err(ApiError::Unauthorized) => {
            if let Some(wait) = peer.and_then(|ip| limits.failed(ip)) {
                return Err(ApiError::TooManyRequests(wait.as_secs().max(1)).into());
            }
            let mut res =
                layout::bare("Sign in", sign_in_form(Some("That token is not valid (unknown, revoked or expired).")));
            *res.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

#[post("/console/sign-out")]
pub async fn sign_out(sessions: web::Data<Sessions>, posted: Posted<Empty>) -> Result<HttpResponse, ConsoleError> {
    sessions.close(&posted.signed).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, "/console/sign-in"))
        .insert_header((SET_COOKIE, sessions.removal()))
        .finish())
}

/// The operator starts at the companies; a company token at its numbers.
#[get("/console")]
pub async fn home(console: Console) -> HttpResponse {
    match console.0.caller.0 {
        Principal::Operator => see_other("/console/companies"),
        Principal::Company { company, .. } => see_other(&format!("/console/companies/{company}/numbers")),
    }
}
