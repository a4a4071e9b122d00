//! The one error type of the admin API: every variant becomes application/problem+json.
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use super::problem::Problem;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("missing or invalid bearer token")]
    Unauthorized,
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
    #[error("{0}")]
    Unavailable(String),
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
            ApiError::Internal(_) => Problem::new(self.status_code(), "internal error; see the daemon's logs"),
            _ => p,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(detail) = self {
            tracing::error!(%detail, "admin API internal error");
        }
        let mut res = self.problem().response();
        if let ApiError::Unauthorized = self {
            res.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("resource"),
            StoreError::Conflict(detail) => ApiError::Conflict(detail),
            e if e.is_unavailable() => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
