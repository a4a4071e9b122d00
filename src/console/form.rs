//! Every console POST goes through [`Posted`]: a live session (else to sign-in), the session's
//! CSRF token in the form's `csrf` field, and, when the browser names one, an `Origin` that is
//! this daemon's own (else 403 with a page that says so). Only then is the form read into `T`.
use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::{HeaderMap, HOST, ORIGIN};
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::ConsoleError;
use super::session::{same, Console, Signed};
use crate::routes::api_error::ApiError;

/// Form bodies are small; anything larger is not a console form.
const FORM_LIMIT: usize = 64 * 1024;

/// A checked console form.
pub struct Posted<T> {
    pub signed: Signed,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = ConsoleError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let console = Console::from_request(req, payload);
        let body = web::Bytes::from_request(req, payload);
        let same_origin = origin_is_own(req.headers());
        Box::pin(async move {
            let Console(signed) = console.await?;
            if !same_origin {
                return Err(ConsoleError::Csrf);
            }
            let body = body.await.map_err(|e| ApiError::invalid("form", e))?;
            if body.len() > FORM_LIMIT {
                return Err(ApiError::invalid("form", "is too large").into());
            }
            let field: CsrfField = serde_urlencoded::from_bytes(&body).map_err(|_| ConsoleError::Csrf)?;
            match field.csrf {
                Some(token) if same(&token, &signed.csrf) => {}
                _ => return Err(ConsoleError::Csrf),
            }
            let form = serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::invalid("form", e))?;
            Ok(Posted { signed, form })
        })
    }
}

/// No `Origin` header (older browsers, same-origin navigations some send without it), or one
/// whose host and port are the `Host` the request was sent to.
pub(super) fn origin_is_own(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else { return true };
    let (Ok(origin), Some(host)) = (origin.to_str(), headers.get(HOST).and_then(|h| h.to_str().ok())) else {
        return false;
    };
    let Ok(url) = url::Url::parse(origin) else { return false };
    let Some(origin_host) = url.host_str() else { return false };
    let origin_authority = match url.port() {
        Some(port) => format!("{origin_host}:{port}"),
        None => origin_host.to_owned(),
    };
    origin_authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, HeaderValue::from_static(host));
        if let Some(o) = origin {
            h.insert(ORIGIN, HeaderValue::from_static(o));
        }
        h
    }

    #[test]
    fn only_this_daemons_origin_may_post() {
        assert!(origin_is_own(&headers(None, "127.0.0.1:8080")));
        assert!(origin_is_own(&headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080")));
        assert!(origin_is_own(&headers(Some("https://sb.example.com"), "sb.example.com")));
        assert!(!origin_is_own(&headers(Some("http://evil.example"), "127.0.0.1:8080")));
        assert!(!origin_is_own(&headers(Some("http://127.0.0.1:9999"), "127.0.0.1:8080")));
        assert!(!origin_is_own(&headers(Some("null"), "127.0.0.1:8080")));
    }
}
