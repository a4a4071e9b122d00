//! What a console request can fail with, answered as an HTML page (never SQL or driver text: the
//! API's own problem details, which keep internals in the log).
use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use maud::html;

use super::layout;
use crate::routes::api_error::ApiError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session: to the sign-in page.
    #[error("sign in first")]
    SignIn,
    /// A form without this session's CSRF token, or from another origin.
    #[error("this form did not come from this console session; reload the page and try again")]
    Csrf,
    /// Refused by the API's own checks (scope, tenancy, validation...).
    #[error("{0}")]
    Api(#[from] ApiError),
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        ConsoleError::Api(e.into())
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn => StatusCode::SEE_OTHER,
            ConsoleError::Csrf => StatusCode::FORBIDDEN,
            ConsoleError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, detail, field) = match self {
            ConsoleError::SignIn => {
                return HttpResponse::SeeOther().insert_header((LOCATION, "/console/sign-in")).finish();
            }
            ConsoleError::Csrf => ("Refused".to_owned(), self.to_string(), None),
            ConsoleError::Api(e) => {
                let p = e.problem();
                (p.title, p.detail, p.field)
            }
        };
        let body = html! {
            h1 { (title) }
            div.notice.error role="alert" {
                p {
                    @if let Some(field) = &field { strong { (field) } ": " }
                    (detail)
                }
            }
            p { a href="/console" { "Back to the console" } }
        };
        let mut res = layout::bare(&title, body);
        *res.status_mut() = self.status_code();
        res
    }
}
