//! Bad JSON request bodies become problem+json 400s naming what failed.
use actix_web::error::JsonPayloadError;
use actix_web::{HttpRequest, ResponseError};

use super::api_error::ApiError;

pub fn handler(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::Deserialize(e) => {
            // serde's message names the field ("unknown variant", "missing field `to`", ...).
            ApiError::invalid("body", format!("invalid JSON body: {e}"))
        }
        JsonPayloadError::ContentType => ApiError::invalid("content-type", "expected application/json"),
        JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
            ApiError::invalid("body", format!("body larger than {limit} bytes"))
        }
        other => ApiError::invalid("body", format!("unreadable body: {other}")),
    };
    actix_web::error::InternalError::from_response(err, api.error_response()).into()
}
