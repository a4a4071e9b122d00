//! Reading the filters of a list from its query: times (RFC 3339), numbers (E.164), short texts;
//! each bad value is a 400 naming its parameter.
use chrono::{DateTime, Utc};

use crate::domain::PhoneNumber;
use crate::routes::api_error::ApiError;

/// Longest text filter accepted (event types, reasons, kinds, URLs, call control ids).
pub const MAX_FILTER_CHARS: usize = 2048;

/// An RFC 3339 time.
pub fn time(field: &'static str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|r| {
        DateTime::parse_from_rfc3339(r.trim())
            .map(|t| t.to_utc())
            .map_err(|_| ApiError::invalid(field, "must be an RFC 3339 time, e.g. 2026-11-25T10:00:00Z"))
    })
    .transpose()
}

/// A time range of a list: `since` (inclusive) and `until` (exclusive), either open.
pub type TimeRange = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `since` and `until`, with `since` before `until` when both are given.
pub fn time_range(since: Option<&str>, until: Option<&str>) -> Result<TimeRange, ApiError> {
    let (since, until) = (time("since", since)?, time("until", until)?);
    if let (Some(s), Some(u)) = (since, until) {
        if s >= u {
            return Err(ApiError::invalid("until", "must be after since"));
        }
    }
    Ok((since, until))
}

/// An E.164 number, as stored.
pub fn number(field: &'static str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|r| PhoneNumber::parse(r.trim()).map(|n| n.as_str().to_owned()).map_err(|e| ApiError::invalid(field, e)))
        .transpose()
}

/// A text compared exactly: 1 to [`MAX_FILTER_CHARS`] characters.
pub fn text(field: &'static str, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    raw.map(|r| match r.chars().count() {
        0 => Err(ApiError::invalid(field, "must not be empty")),
        n if n > MAX_FILTER_CHARS => {
            Err(ApiError::invalid(field, format!("is longer than {MAX_FILTER_CHARS} characters")))
        }
        _ => Ok(r.to_owned()),
    })
    .transpose()
}

/// One of `allowed`.
pub fn one_of(field: &'static str, raw: Option<&str>, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    raw.map(|r| {
        if allowed.contains(&r) {
            Ok(r.to_owned())
        } else {
            Err(ApiError::invalid(field, format!("must be one of {}", allowed.join(", "))))
        }
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_name_their_parameter() {
        let field = |e: ApiError| match e {
            ApiError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(time_range(Some("yesterday"), None).unwrap_err()), "since");
        assert_eq!(field(time_range(Some("2026-01-02T00:00:00Z"), Some("2026-01-01T00:00:00Z")).unwrap_err()), "until");
        assert_eq!(field(number("number", Some("555")).unwrap_err()), "number");
        assert_eq!(field(text("kind", Some("")).unwrap_err()), "kind");
        assert_eq!(field(one_of("outcome", Some("lost"), &["forward"]).unwrap_err()), "outcome");
        assert!(time_range(Some("2026-01-01T00:00:00+01:00"), None).unwrap().0.is_some());
    }
}
