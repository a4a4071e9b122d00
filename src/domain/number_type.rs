//! A number's sending class: which carrier limits its messages pass (docs/SENDING.md).
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How carriers throttle a sending number. A number without one stored is a `long_code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberType {
    /// A plain long code (no 10DLC campaign): the slowest class.
    #[default]
    LongCode,
    /// A US long code registered under a 10DLC campaign: throttled per campaign (or per number
    /// when no campaign is stored), and per brand per day.
    TenDlc,
    TollFree,
    ShortCode,
}

impl NumberType {
    pub const ALL: [NumberType; 4] =
        [NumberType::LongCode, NumberType::TenDlc, NumberType::TollFree, NumberType::ShortCode];

    /// The stored name, also the `sender_type` metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            NumberType::LongCode => "long_code",
            NumberType::TenDlc => "ten_dlc",
            NumberType::TollFree => "toll_free",
            NumberType::ShortCode => "short_code",
        }
    }
}

impl fmt::Display for NumberType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown number type {0:?}: expected long_code, ten_dlc, toll_free or short_code")]
pub struct UnknownNumberType(pub String);

impl FromStr for NumberType {
    type Err = UnknownNumberType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NumberType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| UnknownNumberType(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in NumberType::ALL {
            assert_eq!(t.as_str().parse::<NumberType>(), Ok(t));
        }
        assert!("landline".parse::<NumberType>().is_err());
    }
}
