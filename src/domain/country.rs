//! ISO 3166-1 alpha-2 country codes (`^[A-Z]{2}$`, as Telnyx expects them): number searches,
//! messaging and voice profile destinations, `telnyx.number_country`.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Two upper-case ASCII letters (`US`, `CA`). Lower case input is upper-cased; the wildcard `*`
/// that Telnyx documents for messaging profiles is refused because the spec's pattern (and a
/// validating mock) rejects it — list the countries instead.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("country code must be two ISO 3166-1 alpha-2 letters such as US, got {0:?}")]
pub struct CountryCodeError(pub String);

impl CountryCode {
    pub const US: CountryCode = CountryCode(*b"US");
    pub const CA: CountryCode = CountryCode(*b"CA");

    pub fn parse(input: &str) -> Result<Self, CountryCodeError> {
        match input.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(CountryCode([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(CountryCodeError(input.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl FromStr for CountryCode {
    type Err = CountryCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

impl Serialize for CountryCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_are_two_letters() {
        assert_eq!(CountryCode::parse("us").map(|c| c.to_string()), Ok("US".into()));
        assert_eq!(CountryCode::parse("CA"), Ok(CountryCode::CA));
        for bad in ["*", "USA", "", "U1", "ÜS"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(serde_json::to_string(&[CountryCode::US]).ok(), Some(r#"["US"]"#.into()));
    }
}
