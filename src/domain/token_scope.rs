//! What a company API token may do: `read` (GET), `send` (messages and calls), `admin` (the
//! company's numbers and routing rules), `tokens` (mint and revoke tokens).
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Read,
    Send,
    Admin,
    Tokens,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Send, Scope::Admin, Scope::Tokens];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Send => "send",
            Scope::Admin => "admin",
            Scope::Tokens => "tokens",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::str::FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, ScopeError> {
        Scope::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| ScopeError(s.chars().take(40).collect()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a scope: expected read, send, admin or tokens")]
pub struct ScopeError(String);

/// A set of scopes.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u8);

impl Scopes {
    /// What a token gets when none are asked for, and what tokens made before scopes existed
    /// have: everything but minting tokens.
    pub const DEFAULT: Scopes = Scopes(1 | 2 | 4);

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Every scope of `self` is in `other`.
    pub fn is_subset(self, other: Scopes) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The stored form: `read,send,admin`.
    pub fn parse_list(s: &str) -> Result<Scopes, ScopeError> {
        s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::parse::<Scope>).collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Scopes(iter.into_iter().fold(0, |acc, s| acc | s.bit()))
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Scope::as_str).collect();
        f.write_str(&names.join(","))
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({self})")
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Scope::as_str))
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names.iter().map(|n| n.parse::<Scope>()).collect::<Result<Scopes, _>>().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_print_and_compare() {
        let s = Scopes::parse_list("read, admin").unwrap();
        assert!(s.contains(Scope::Read) && s.contains(Scope::Admin) && !s.contains(Scope::Send));
        assert_eq!(s.to_string(), "read,admin");
        assert!(s.is_subset(Scopes::DEFAULT) && !Scopes::DEFAULT.is_subset(s));
        assert!(!Scopes::DEFAULT.contains(Scope::Tokens));
        assert!(Scopes::parse_list("read,root").is_err());
        assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(["read", "admin"]));
        let back: Scopes = serde_json::from_value(serde_json::json!(["tokens"])).unwrap();
        assert_eq!(back, [Scope::Tokens].into_iter().collect());
    }
}
