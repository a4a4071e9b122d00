//! Validation errors for routing rules. Each names the field that failed (`hours.open[2].end`), so
//! the HTTP layer can put it in a problem+json body.
use crate::domain::PhoneNumberError;

/// A rule value that failed validation, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.field, .kind))]
pub struct RuleError {
    field: String,
    kind: RuleErrorKind,
}

/// What was wrong with the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleErrorKind {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain whitespace or control characters")]
    ForbiddenCharacter,
    #[error("must be an E.164 number or a sip:/sips: URI: {0}")]
    InvalidPhoneNumber(PhoneNumberError),
    #[error("invalid SIP URI: {0}")]
    InvalidSipUri(&'static str),
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    #[error("must be an https URL")]
    InsecureUrl,
    #[error("must not carry a user name or password")]
    UrlWithUserInfo,
    #[error("URL must have a host")]
    UrlWithoutHost,
    #[error("unknown time zone {0:?}: expected an IANA name such as America/Los_Angeles")]
    UnknownTimeZone(String),
    #[error("{0:?} is not a time of day: expected HH:MM from 00:00 to 24:00")]
    InvalidTime(String),
    #[error("start {start} must be before end {end}")]
    EmptyInterval { start: String, end: String },
    #[error("overlaps {other} on {day}")]
    Overlap { day: String, other: String },
    #[error("{0:?} is not a NANP area code: expected 3 digits, the first 2-9, not N11")]
    InvalidAreaCode(String),
    #[error("must hold from {min} to {max} items")]
    Count { min: usize, max: usize },
    #[error("must be from {min} to {max}")]
    OutOfRange { min: i64, max: i64 },
    #[error("is listed twice")]
    Duplicate,
    #[error("{0}")]
    Unsupported(&'static str),
}

fn describe(field: &str, kind: &RuleErrorKind) -> String {
    if field.is_empty() {
        kind.to_string()
    } else {
        format!("{field}: {kind}")
    }
}

impl RuleError {
    /// An error about the value itself; callers name the field with [`RuleError::within`].
    pub fn new(kind: RuleErrorKind) -> Self {
        RuleError { field: String::new(), kind }
    }

    /// The path of the field that failed, e.g. `hours.open[2].end` (empty for a bare value).
    pub fn field(&self) -> &str {
        &self.field
    }

    pub fn kind(&self) -> &RuleErrorKind {
        &self.kind
    }

    /// Puts `prefix` in front of the field path: `open[2]` + `end` -> `open[2].end`.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = match (self.field.is_empty(), self.field.starts_with('[')) {
            (true, _) => prefix.to_owned(),
            (false, true) => format!("{prefix}{}", self.field),
            (false, false) => format!("{prefix}.{}", self.field),
        };
        self
    }
}

impl From<RuleErrorKind> for RuleError {
    fn from(kind: RuleErrorKind) -> Self {
        RuleError::new(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_builds_a_dotted_path() {
        let e = RuleError::new(RuleErrorKind::Empty).within("end").within("open[2]").within("hours");
        assert_eq!(e.field(), "hours.open[2].end");
        assert_eq!(e.to_string(), "hours.open[2].end: must not be empty");
        assert_eq!(RuleError::new(RuleErrorKind::Empty).to_string(), "must not be empty");
    }
}
