//! What a simulated operation answers: status, JSON body, extra headers and the webhooks it
//! causes; plus Telnyx's error body shape and the error codes the simulator uses.
use serde_json::{json, Value};

use super::webhooks::Outgoing;

/// The answer to one request, and the webhooks to send after it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
    pub webhooks: Vec<Outgoing>,
}

impl Reply {
    /// `200 {"data": data}`.
    pub fn data(data: Value) -> Reply {
        Reply { status: 200, body: json!({ "data": data }), headers: Vec::new(), webhooks: Vec::new() }
    }

    /// `201 {"data": data}` (POST /call_control_applications answers 201).
    pub fn created(data: Value) -> Reply {
        Reply { status: 201, ..Reply::data(data) }
    }

    /// `200 {"data": {"result": "ok"}}`, the answer to an accepted call command.
    pub fn command_ok() -> Reply {
        Reply::data(json!({ "result": "ok" }))
    }

    /// Telnyx's error body: `{"errors": [{"code", "title", "detail"}]}`.
    pub fn error(status: u16, e: &TelnyxError) -> Reply {
        let mut err = json!({ "code": e.code, "title": e.title, "detail": e.detail });
        if let Some(pointer) = e.pointer {
            err["source"] = json!({ "pointer": pointer });
        }
        Reply { status, body: json!({ "errors": [err] }), headers: Vec::new(), webhooks: Vec::new() }
    }

    /// An error with a detail of our own (e.g. the spec violations found in a request).
    pub fn error_detail(status: u16, e: &TelnyxError, detail: &str) -> Reply {
        let mut reply = Reply::error(status, e);
        reply.body["errors"][0]["detail"] = Value::String(detail.to_owned());
        reply
    }

    pub fn with_webhooks(mut self, webhooks: Vec<Outgoing>) -> Reply {
        self.webhooks.extend(webhooks);
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// One entry of Telnyx's error catalogue.
#[derive(Debug, Clone, Copy)]
pub struct TelnyxError {
    pub code: &'static str,
    pub title: &'static str,
    pub detail: &'static str,
    /// JSON pointer to the offending field, when the error names one.
    pub pointer: Option<&'static str>,
}

const fn err(code: &'static str, title: &'static str, detail: &'static str) -> TelnyxError {
    TelnyxError { code, title, detail, pointer: None }
}

// Call control (examples of the spec's `UnprocessableEntityResponse`).
pub const CALL_NOT_ANSWERED: TelnyxError =
    err("90034", "Call not answered yet", "This call can't receive this command because it has not been answered yet.");
pub const CALL_ENDED: TelnyxError =
    err("90018", "Call has already ended", "This call is no longer active and can't receive commands.");
pub const INVALID_CALL_CONTROL_ID: TelnyxError = TelnyxError {
    pointer: Some("/call_control_id"),
    ..err("90015", "Invalid Call Control ID", "The call_control_id provided was not valid.")
};
pub const INVALID_CONNECTION_ID: TelnyxError = TelnyxError {
    pointer: Some("/connection_id"),
    ..err(
        "10015",
        "Invalid value for connection_id (Call Control App ID)",
        "The requested connection_id (Call Control App ID) is either invalid or does not exist. Only Call Control Apps with valid webhook URL are accepted.",
    )
};

// General API errors (Telnyx's API error code list).
pub const NOT_FOUND: TelnyxError =
    err("10005", "Resource not found", "The requested resource or URL could not be found.");
pub const UNEXPECTED: TelnyxError = err("10007", "Unexpected error", "An unexpected error occured.");
pub const AUTH_FAILED: TelnyxError = err(
    "10009",
    "Authentication failed",
    "The required authentication headers were either invalid or not included in the request.",
);
pub const TOO_MANY_REQUESTS: TelnyxError =
    err("10011", "Too many requests", "You have exceeded the maximum number of allowed requests.");
pub const BAD_REQUEST: TelnyxError = err("10015", "Bad Request", "The request failed because it was not well-formed.");
pub const MISSING_PARAMETER: TelnyxError =
    err("10004", "Missing required parameter", "A required parameter was missing.");
