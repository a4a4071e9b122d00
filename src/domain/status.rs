//! Number status.
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NumberStatus {
    Active,
    Suspended,
    Deleted,
}

impl NumberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberStatus::Active => "active",
            NumberStatus::Suspended => "suspended",
            NumberStatus::Deleted => "deleted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}: expected active, suspended or deleted")]
pub struct UnknownStatus(pub String);

impl FromStr for NumberStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(NumberStatus::Active),
            "suspended" => Ok(NumberStatus::Suspended),
            "deleted" => Ok(NumberStatus::Deleted),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}

impl fmt::Display for NumberStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_statuses_only() {
        for s in [NumberStatus::Active, NumberStatus::Suspended, NumberStatus::Deleted] {
            assert_eq!(s.as_str().parse::<NumberStatus>().unwrap(), s);
        }
        assert!("Active".parse::<NumberStatus>().is_err());
    }
}
