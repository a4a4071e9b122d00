//! Where a routed event goes: a call destination (E.164 number or SIP URI) and a message
//! destination (an https URL of the product's backend).
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use url::Url;

use super::chain::{CallChain, CallChainSpec};
use super::decision::EventKind;
use super::error::{RuleError, RuleErrorKind};
use super::message_route::{MessageRoute, MessageRouteSpec};
use super::schema::string_schema;
use crate::domain::PhoneNumber;

const SIP_MAX_LEN: usize = 256;
const URL_MAX_LEN: usize = 2048;

/// Where a call is transferred: an E.164 number or a `sip:`/`sips:` URI (`sip:user@host[:port]`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub enum CallDestination {
    Number(PhoneNumber),
    Sip(String),
}

impl CallDestination {
    /// `sip:`/`sips:` (any case) parses as a SIP URI, anything else as an E.164 number.
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = input.trim();
        match split_sip_scheme(s) {
            Some((scheme, rest)) => parse_sip(scheme, rest).map(CallDestination::Sip),
            None => PhoneNumber::parse(s)
                .map(CallDestination::Number)
                .map_err(|e| RuleErrorKind::InvalidPhoneNumber(e).into()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            CallDestination::Number(n) => n.as_str(),
            CallDestination::Sip(uri) => uri,
        }
    }
}

fn split_sip_scheme(s: &str) -> Option<(&'static str, &str)> {
    let (scheme, rest) = s.split_once(':')?;
    if scheme.eq_ignore_ascii_case("sip") {
        Some(("sip", rest))
    } else if scheme.eq_ignore_ascii_case("sips") {
        Some(("sips", rest))
    } else {
        None
    }
}

/// Checks `user@host[:port][;params][?headers]`; returns the URI with a lowercase scheme.
fn parse_sip(scheme: &str, rest: &str) -> Result<String, RuleError> {
    let invalid = |why| RuleError::new(RuleErrorKind::InvalidSipUri(why));
    if scheme.len() + 1 + rest.len() > SIP_MAX_LEN {
        return Err(RuleErrorKind::TooLong { max: SIP_MAX_LEN }.into());
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RuleErrorKind::ForbiddenCharacter.into());
    }
    let (user, after) = rest.split_once('@').ok_or_else(|| invalid("expected user@host"))?;
    if user.is_empty() {
        return Err(invalid("the user part before '@' is empty"));
    }
    if !user.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"')) {
        return Err(invalid("the user part may contain only printable ASCII other than <, > and \""));
    }
    let hostport = after.split([';', '?']).next().unwrap_or_default();
    if after.contains('@') {
        return Err(invalid("more than one '@'"));
    }
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (addr, tail) = v6.split_once(']').ok_or_else(|| invalid("unclosed '[' in the host"))?;
            if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
                return Err(invalid("bad IPv6 host"));
            }
            match tail {
                "" => (addr, None),
                t => (addr, Some(t.strip_prefix(':').ok_or_else(|| invalid("junk after the IPv6 host"))?)),
            }
        }
        None => match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        },
    };
    let host_ok = !host.is_empty()
        && (hostport.starts_with('[')
            || (host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                && !host.starts_with(['.', '-'])
                && !host.ends_with('-')));
    if !host_ok {
        return Err(invalid("the host must be a domain name or an IP address"));
    }
    if let Some(p) = port {
        if !p.bytes().all(|b| b.is_ascii_digit()) || !matches!(p.parse::<u16>(), Ok(1..)) {
            return Err(invalid("the port must be a number from 1 to 65535"));
        }
    }
    Ok(format!("{scheme}:{rest}"))
}

impl TryFrom<String> for CallDestination {
    type Error = RuleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl fmt::Display for CallDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CallDestination {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

string_schema!(
    CallDestination,
    "An E.164 number or a sip:/sips: URI (user@host), at most 256 characters.",
    "sip:support@pbx.example.com"
);

/// Where a message is forwarded: an http(s) URL with a host and no user info. Whether the daemon
/// may reach it (https only, no private addresses, unless the operator's config allows) is the
/// forward policy's call (`outbox::guard`), checked when it is set and at every connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "String")]
pub struct MessageDestination(Url);

impl MessageDestination {
    pub fn parse(input: &str) -> Result<Self, RuleError> {
        let s = input.trim();
        if s.len() > URL_MAX_LEN {
            return Err(RuleErrorKind::TooLong { max: URL_MAX_LEN }.into());
        }
        let url = Url::parse(s).map_err(|e| RuleErrorKind::InvalidUrl(e.to_string()))?;
        // Percent-encoding can make the URL longer than what was typed (`é` becomes `%C3%A9`); the
        // store keeps `as_str()` and parses it again, so the encoded form is what must fit.
        if url.as_str().len() > URL_MAX_LEN {
            return Err(RuleErrorKind::TooLong { max: URL_MAX_LEN }.into());
        }
        if url.host().is_none() {
            return Err(RuleErrorKind::UrlWithoutHost.into());
        }
        if !matches!(url.scheme(), "https" | "http") {
            return Err(RuleErrorKind::InsecureUrl.into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RuleErrorKind::UrlWithUserInfo.into());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(RuleErrorKind::UrlWithoutHost.into());
        }
        Ok(MessageDestination(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn url(&self) -> &Url {
        &self.0
    }
}

impl TryFrom<String> for MessageDestination {
    type Error = RuleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl fmt::Display for MessageDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MessageDestination {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

string_schema!(
    MessageDestination,
    "An https URL that receives forwarded messages: a public address, no user info (plain http and private addresses only where the operator's forwards.insecure_hosts / allowed_cidrs allow).",
    "https://backend.example.com/inbound/sms"
);

/// A call destination (a chain) and a message destination; either may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "DestinationsSpec")]
pub struct Destinations {
    pub call: Option<CallChain>,
    pub message: Option<MessageRoute>,
}

impl Destinations {
    /// The destination for this kind of event, if one is set.
    pub fn get(&self, kind: EventKind) -> Option<Destination> {
        match kind {
            EventKind::Call => self.call.clone().map(Destination::Call),
            EventKind::Message => self.message.clone().map(Destination::Message),
        }
    }
}

/// [`Destinations`] as it arrives (plain strings); `TryFrom` validates it and names the field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct DestinationsSpec {
    pub call: Option<CallChainSpec>,
    pub message: Option<MessageRouteSpec>,
}

impl TryFrom<DestinationsSpec> for Destinations {
    type Error = RuleError;
    fn try_from(spec: DestinationsSpec) -> Result<Self, Self::Error> {
        Ok(Destinations {
            call: spec.call.map(CallChain::try_from).transpose().map_err(|e| e.within("call"))?,
            message: spec.message.map(MessageRoute::try_from).transpose().map_err(|e| e.within("message"))?,
        })
    }
}

/// The one destination a decision chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "address", rename_all = "snake_case")]
pub enum Destination {
    Call(CallChain),
    Message(MessageRoute),
}
