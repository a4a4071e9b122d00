//! E.164 phone numbers: `+` then 8 to 15 digits, the first not 0.
use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A phone number in E.164 form (`+18314280176`). The only constructor is [`PhoneNumber::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number must start with '+' and the country code (E.164), e.g. +18314280176")]
    MissingPlus,
    #[error("phone number may contain only digits after '+' (spaces, dashes, dots and parentheses are ignored)")]
    InvalidCharacter,
    #[error("phone number must have 8 to 15 digits after '+', got {0}")]
    BadLength(usize),
    #[error("country code cannot start with 0")]
    LeadingZero,
}

const MIN_DIGITS: usize = 8;
const MAX_DIGITS: usize = 15;

impl PhoneNumber {
    /// Parses an E.164 number. Common separators (space, `-`, `.`, `(`, `)`) are tolerated and
    /// dropped, so `+1 (831) 428-0176` parses to `+18314280176`; anything else is refused.
    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(PhoneNumberError::Empty);
        }
        let rest = s.strip_prefix('+').ok_or(PhoneNumberError::MissingPlus)?;
        // Fast path: already canonical (what Telnyx sends).
        if rest.len() <= MAX_DIGITS && rest.bytes().all(|b| b.is_ascii_digit()) {
            return Self::check_digits(rest).map(|()| PhoneNumber(s.to_owned()));
        }
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => {
                    if digits.len() == MAX_DIGITS {
                        return Err(PhoneNumberError::BadLength(MAX_DIGITS + 1));
                    }
                    digits.push(c)
                }
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneNumberError::InvalidCharacter),
            }
        }
        Self::check_digits(&digits)?;
        let mut out = String::with_capacity(digits.len() + 1);
        out.push('+');
        out.push_str(&digits);
        Ok(PhoneNumber(out))
    }

    fn check_digits(digits: &str) -> Result<(), PhoneNumberError> {
        let n = digits.len();
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&n) {
            return Err(PhoneNumberError::BadLength(n));
        }
        if digits.starts_with('0') {
            return Err(PhoneNumberError::LeadingZero);
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits without the leading `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// North American Numbering Plan number (+1 and ten digits)?
    pub fn is_nanp(&self) -> bool {
        self.0.len() == 12 && self.0.starts_with("+1")
    }

    /// The NANP area code (`831` for +18314280176); `None` outside +1.
    pub fn area_code(&self) -> Option<&str> {
        self.is_nanp().then(|| &self.0[2..5])
    }

    /// Human form: `+1 (831) 428-0176` for NANP numbers, the E.164 form otherwise.
    pub fn formatted(&self) -> String {
        if self.is_nanp() {
            let d = &self.0[2..];
            format!("+1 ({}) {}-{}", &d[0..3], &d[3..6], &d[6..10])
        } else {
            self.0.clone()
        }
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for PhoneNumber {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for PhoneNumber {
    type Error = PhoneNumberError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for PhoneNumber {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        PhoneNumber::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_e164_and_formats_nanp() {
        let n = PhoneNumber::parse("+18314280176").unwrap();
        assert_eq!(n.as_str(), "+18314280176");
        assert_eq!(n.formatted(), "+1 (831) 428-0176");
        assert_eq!(n.area_code(), Some("831"));
    }

    #[test]
    fn tolerates_separators() {
        let n = PhoneNumber::parse("+1 (831) 428-0176").unwrap();
        assert_eq!(n.as_str(), "+18314280176");
        assert_eq!(PhoneNumber::parse(" +44 20.7946.0958 ").unwrap().as_str(), "+442079460958");
    }

    #[test]
    fn rejects_invalid_input() {
        assert_eq!(PhoneNumber::parse("415-555"), Err(PhoneNumberError::MissingPlus));
        assert_eq!(PhoneNumber::parse("18314280176"), Err(PhoneNumberError::MissingPlus));
        assert_eq!(PhoneNumber::parse("+1831428O176"), Err(PhoneNumberError::InvalidCharacter));
        assert_eq!(PhoneNumber::parse("+abc"), Err(PhoneNumberError::InvalidCharacter));
        assert_eq!(PhoneNumber::parse(""), Err(PhoneNumberError::Empty));
        assert_eq!(PhoneNumber::parse("+"), Err(PhoneNumberError::BadLength(0)));
        assert_eq!(PhoneNumber::parse("+1234567"), Err(PhoneNumberError::BadLength(7)));
        assert!(matches!(PhoneNumber::parse("+1234567890123456"), Err(PhoneNumberError::BadLength(_))));
        assert!(matches!(PhoneNumber::parse(&format!("+{}", "1".repeat(10_000))), Err(PhoneNumberError::BadLength(_))));
        assert_eq!(PhoneNumber::parse("+0123456789"), Err(PhoneNumberError::LeadingZero));
        assert_eq!(PhoneNumber::parse("+1٣٣٣٣٣٣٣٣٣"), Err(PhoneNumberError::InvalidCharacter));
        assert!(PhoneNumber::parse("sip:alice@example.com").is_err());
    }

    #[test]
    fn non_nanp_has_no_area_code() {
        let n = PhoneNumber::parse("+442079460958").unwrap();
        assert_eq!(n.area_code(), None);
        assert_eq!(n.formatted(), "+442079460958");
    }

    #[test]
    fn serde_round_trip_validates() {
        let n: PhoneNumber = serde_json::from_str("\"+14155551234\"").unwrap();
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"+14155551234\"");
        assert!(serde_json::from_str::<PhoneNumber>("\"415\"").is_err());
    }
}
