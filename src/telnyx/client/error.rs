//! What can go wrong talking to Telnyx, and the parsing of Telnyx error bodies.
use std::fmt;
use std::time::Duration;

use serde::Deserialize;

use super::metrics::Endpoint;

/// One entry of Telnyx's `{"errors": [...]}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorDetail {
    /// Telnyx error code, a numeric string such as `"10015"`.
    pub code: String,
    pub title: String,
    pub detail: Option<String>,
    /// JSON pointer (`/to`) or query parameter name of the offending input, when given.
    pub source_pointer: Option<String>,
}

impl fmt::Display for ApiErrorDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.code, self.title)?;
        if let Some(detail) = self.detail.as_deref().filter(|d| !d.is_empty() && *d != self.title) {
            write!(f, ": {detail}")?;
        }
        if let Some(pointer) = &self.source_pointer {
            write!(f, " (at {pointer})")?;
        }
        Ok(())
    }
}

/// An error from [`TelnyxClient`](super::TelnyxClient). Never contains the API key.
#[derive(Debug, thiserror::Error)]
pub enum TelnyxError {
    /// Telnyx answered with a non-success status (a 4xx, or a 5xx after the retries allowed).
    #[error("Telnyx {endpoint} failed with HTTP {status}: {}", DetailList(.errors))]
    Api { endpoint: Endpoint, status: u16, errors: Vec<ApiErrorDetail> },

    /// Still HTTP 429 after every retry allowed.
    #[error("Telnyx {endpoint} rate limited (HTTP 429) after all retries{}", RetryHint(.retry_after))]
    RateLimited { endpoint: Endpoint, retry_after: Option<Duration> },

    /// A request that is safe to repeat timed out on every attempt.
    #[error("Telnyx {endpoint} timed out on every attempt")]
    Timeout { endpoint: Endpoint },

    /// A request that must not be repeated blindly (number order, message, dial, create) may or may
    /// not have been processed: reconcile (e.g. by order id, `customer_reference` or phone number)
    /// before trying again.
    #[error("Telnyx {endpoint} outcome unknown ({reason}); it may have been processed: reconcile before retrying")]
    Ambiguous { endpoint: Endpoint, reason: String },

    /// No usable response: connection refused, DNS, TLS, reset before sending.
    #[error("Telnyx {endpoint} transport error: {source}")]
    Transport {
        endpoint: Endpoint,
        #[source]
        source: reqwest::Error,
    },

    /// A success status but a body we could not read as the expected type.
    #[error("Telnyx {endpoint} answered HTTP {status} with a body we could not decode: {message}")]
    Decode { endpoint: Endpoint, status: u16, message: String },

    /// The client or a request could not be built (bad base URL, API key with invalid characters).
    #[error("Telnyx client misconfigured: {0}")]
    Config(String),
}

impl TelnyxError {
    /// True when the request may have taken effect and the caller must reconcile.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, TelnyxError::Ambiguous { .. })
    }

    /// The HTTP status Telnyx answered with, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            TelnyxError::Api { status, .. } | TelnyxError::Decode { status, .. } => Some(*status),
            TelnyxError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The Telnyx error details (empty for non-API errors).
    pub fn details(&self) -> &[ApiErrorDetail] {
        match self {
            TelnyxError::Api { errors, .. } => errors,
            _ => &[],
        }
    }
}

struct DetailList<'a>(&'a [ApiErrorDetail]);

impl fmt::Display for DetailList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            [] => f.write_str("no error details in the response"),
            [first, rest @ ..] => {
                write!(f, "{first}")?;
                for e in rest {
                    write!(f, "; {e}")?;
                }
                Ok(())
            }
        }
    }
}

struct RetryHint<'a>(&'a Option<Duration>);

impl fmt::Display for RetryHint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(d) => write!(f, "; retry after {:.1}s", d.as_secs_f64()),
            None => Ok(()),
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<WireError>,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default, deserialize_with = "string_or_number")]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    source: Option<WireSource>,
}

#[derive(Deserialize)]
struct WireSource {
    #[serde(default)]
    pointer: Option<String>,
    #[serde(default)]
    parameter: Option<String>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// Parses a Telnyx error body. Anything else (HTML from a proxy, empty body) gives no details.
pub(crate) fn parse_error_body(body: &[u8]) -> Vec<ApiErrorDetail> {
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        return Vec::new();
    };
    parsed
        .errors
        .into_iter()
        .map(|e| ApiErrorDetail {
            code: e.code,
            title: e.title,
            detail: e.detail,
            source_pointer: e.source.and_then(|s| s.pointer.or(s.parameter)),
        })
        .collect()
}

#[derive(Deserialize)]
struct Violation {
    #[serde(default)]
    location: Vec<String>,
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Parses the `sl-violations` header that a spec-validating mock (Stoplight Prism) sets on the 422
/// it answers for an invalid request. Its body is a canned example, so the header is the only
/// place that says what was wrong; surfacing it makes contract failures readable.
pub(crate) fn parse_violations(header: &str) -> Vec<ApiErrorDetail> {
    let Ok(violations) = serde_json::from_str::<Vec<Violation>>(header) else {
        return Vec::new();
    };
    violations
        .into_iter()
        .map(|v| ApiErrorDetail {
            code: format!("sl-violation:{}", v.code),
            title: "request does not match the OpenAPI spec".to_owned(),
            detail: Some(v.message),
            source_pointer: (!v.location.is_empty()).then(|| format!("/{}", v.location.join("/"))),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telnyx_error_body_is_parsed() {
        let body = br#"{"errors":[{"code":"10015","title":"Bad Request","detail":"The 'to' field must be a string","source":{"pointer":"/to"},"meta":{"url":"x"}}]}"#;
        let errors = parse_error_body(body);
        assert_eq!(
            errors,
            vec![ApiErrorDetail {
                code: "10015".into(),
                title: "Bad Request".into(),
                detail: Some("The 'to' field must be a string".into()),
                source_pointer: Some("/to".into()),
            }]
        );
    }

    #[test]
    fn telnyx_error_numeric_code_and_garbage_bodies() {
        let errors = parse_error_body(br#"{"errors":[{"code":10011,"title":"Too many requests"}]}"#);
        assert_eq!(errors[0].code, "10011");
        assert!(parse_error_body(b"<html>bad gateway</html>").is_empty());
        assert!(parse_error_body(b"").is_empty());
    }

    #[test]
    fn telnyx_api_error_display_is_one_clear_line() {
        let err = TelnyxError::Api {
            endpoint: Endpoint::SendMessage,
            status: 422,
            errors: parse_error_body(
                br#"{"errors":[{"code":"10015","title":"Invalid value","detail":"to must be E.164","source":{"pointer":"/to"}},{"code":"10016","title":"Other"}]}"#,
            ),
        };
        let text = err.to_string();
        assert_eq!(
            text,
            "Telnyx send_message failed with HTTP 422: [10015] Invalid value: to must be E.164 (at /to); [10016] Other"
        );
        assert!(!text.contains('\n'));
    }

    #[test]
    fn telnyx_prism_violations_are_parsed() {
        let header = r#"[{"location":["request","body"],"severity":"Error","code":"required","message":"Request body must have required property 'to'"}]"#;
        let v = parse_violations(header);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].detail.as_deref(), Some("Request body must have required property 'to'"));
        assert_eq!(v[0].source_pointer.as_deref(), Some("/request/body"));
    }
}
