//! The one error type of the admin API: every variant becomes application/problem+json.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use super::problem::Problem;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid bearer token")]
    Unauthorized,
    /// Too many failed authentications from this address: retry after this many seconds.
    #[error("too many failed authentications from this address; retry after {0} s")]
    TooManyRequests(u64),
    /// The company reached one of its limits (messages or calls per minute, purchases per day).
    #[error("{detail}; retry after {retry_after_secs} s")]
    LimitReached { detail: String, retry_after_secs: u64 },
    /// The token is valid but may not do this (a scope it lacks).
    #[error("{0}")]
    Forbidden(String),
    /// Also used for another company's resources, so their existence is not leaked.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{field}: {detail}")]
    Invalid { field: String, detail: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{detail}")]
    Unprocessable { field: Option<String>, detail: String },
    /// A dependency is not configured or not reachable; the reason is safe to show.
    #[error("{0}")]
    Unavailable(String),
    /// The database could not be reached: the caller sees that, the log sees why.
    #[error("the database is unavailable; retry later")]
    StoreUnavailable(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        ApiError::Invalid { field: field.into(), detail: detail.to_string() }
    }

    pub fn problem(&self) -> Problem {
        let p = Problem::new(self.status_code(), self.to_string());
        match self {
            ApiError::Invalid { field, detail } => Problem::new(self.status_code(), detail).with_field(field),
            ApiError::Unprocessable { field: Some(f), .. } => p.with_field(f),
            ApiError::Internal(internal) => {
                Problem::new(self.status_code(), "internal error; the daemon's log has the details").logged(internal)
            }
            ApiError::StoreUnavailable(internal) => p.logged(internal),
            _ => p,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests(_) | ApiError::LimitReached { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) | ApiError::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.problem().response();
        match self {
            ApiError::Unauthorized => {
                res.headers_mut().insert(
                    actix_web::http::header::WWW_AUTHENTICATE,
                    actix_web::http::header::HeaderValue::from_static("Bearer"),
                );
            }
            ApiError::TooManyRequests(secs) | ApiError::LimitReached { retry_after_secs: secs, .. } => {
                res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, (*secs).into());
            }
            _ => {}
        }
        res
    }
}

impl From<crate::company::limits::LimitError> for ApiError {
    fn from(e: crate::company::limits::LimitError) -> Self {
        use crate::company::limits::LimitError;
        match e {
            LimitError::Exceeded { retry_after_secs, .. } => {
                ApiError::LimitReached { detail: e.to_string(), retry_after_secs }
            }
            LimitError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("resource"),
            // The constraint's name would tell the caller about the schema (and, for a number,
            // that someone else holds it): handlers that expect a conflict say what it means.
            StoreError::Conflict(constraint) => {
                tracing::debug!(%constraint, "write refused by a unique constraint");
                ApiError::Conflict("it conflicts with an existing record".into())
            }
            e if e.is_unavailable() => ApiError::StoreUnavailable(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
