//! A message destination with ordered alternates: where a forward goes first, and where it goes
//! next when that receiver's attempts are exhausted or it answers 410 Gone (the outbox walks the
//! list, `outbox::failover`).
//!
//! JSON (what `destinations.message` accepts, [`MessageRouteSpec`]):
//! - `"https://crm.example.com/hooks/sms"`: one URL (what a destination was before alternates; it
//!   stays valid and is written back as the same string);
//! - `{"url": "https://...", "alternates": ["https://...", "https://..."]}`: the primary, then up
//!   to 10 alternates in order, each validated like the primary, none listed twice.
use serde::{Deserialize, Serialize, Serializer};

use super::destinations::MessageDestination;
use super::error::{RuleError, RuleErrorKind};

pub const MAX_ALTERNATES: usize = 10;

/// The primary forward URL and its ordered alternates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "MessageRouteSpec")]
pub struct MessageRoute {
    url: MessageDestination,
    alternates: Vec<MessageDestination>,
}

impl MessageRoute {
    /// A route without alternates (the form before alternates).
    pub fn single(url: MessageDestination) -> Self {
        MessageRoute { url, alternates: Vec::new() }
    }

    /// The primary URL.
    pub fn url(&self) -> &MessageDestination {
        &self.url
    }

    pub fn alternates(&self) -> &[MessageDestination] {
        &self.alternates
    }

    /// The primary's text (what a one-URL destination always was).
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The text stored in a rule's message destination column: the URL alone without alternates,
    /// else the route as JSON (which starts with `{`, never a URL).
    pub fn to_stored(&self) -> String {
        if self.alternates.is_empty() {
            self.url.as_str().to_owned()
        } else {
            serde_json::to_string(self).expect("a message route serializes")
        }
    }

    /// Reads [`MessageRoute::to_stored`] back.
    pub fn from_stored(text: &str) -> Result<Self, RuleError> {
        if text.starts_with('{') {
            let spec: MessageRouteSpec = serde_json::from_str(text)
                .map_err(|_| RuleError::new(RuleErrorKind::Unsupported("not a message destination")))?;
            MessageRoute::try_from(spec)
        } else {
            MessageDestination::parse(text).map(MessageRoute::single)
        }
    }
}

/// The primary URL, then the alternates in order (`url (then a, b)`), for people to read.
impl std::fmt::Display for MessageRoute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.url.as_str())?;
        if !self.alternates.is_empty() {
            let rest: Vec<&str> = self.alternates.iter().map(MessageDestination::as_str).collect();
            write!(f, " (then {})", rest.join(", "))?;
        }
        Ok(())
    }
}

impl From<MessageDestination> for MessageRoute {
    fn from(url: MessageDestination) -> Self {
        MessageRoute::single(url)
    }
}

impl From<&MessageDestination> for MessageRoute {
    fn from(url: &MessageDestination) -> Self {
        MessageRoute::single(url.clone())
    }
}

impl From<&MessageRoute> for MessageRoute {
    fn from(route: &MessageRoute) -> Self {
        route.clone()
    }
}

impl Serialize for MessageRoute {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Full<'a> {
            url: &'a MessageDestination,
            alternates: &'a [MessageDestination],
        }
        if self.alternates.is_empty() {
            s.serialize_str(self.url.as_str())
        } else {
            Full { url: &self.url, alternates: &self.alternates }.serialize(s)
        }
    }
}

/// A message destination as it arrives: one URL, or a URL and its alternates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = MessageRoute)]
pub enum MessageRouteSpec {
    /// An https URL that receives forwarded messages: a public address, no user info (plain http
    /// and private addresses only where the operator's forwards.insecure_hosts / allowed_cidrs allow).
    #[schema(example = "https://backend.example.com/inbound/sms")]
    Url(String),
    /// The primary URL and up to 10 alternates, tried in order when a receiver's attempts are
    /// exhausted or it answers 410 Gone.
    WithAlternates(MessageRouteObject),
}

/// The object form of a message destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRouteObject {
    /// The primary receiver (an https URL, as the one-string form).
    #[schema(example = "https://backend.example.com/inbound/sms")]
    pub url: String,
    /// 0 to 10 alternate receivers in order, each an https URL like `url`, none listed twice.
    #[serde(default)]
    #[schema(max_items = 10, example = json!(["https://standby.example.com/inbound/sms"]))]
    pub alternates: Vec<String>,
}

impl TryFrom<MessageRouteSpec> for MessageRoute {
    type Error = RuleError;
    fn try_from(spec: MessageRouteSpec) -> Result<Self, Self::Error> {
        let spec = match spec {
            MessageRouteSpec::Url(u) => return MessageDestination::parse(&u).map(MessageRoute::single),
            MessageRouteSpec::WithAlternates(o) => o,
        };
        let url = MessageDestination::parse(&spec.url).map_err(|e| e.within("url"))?;
        if spec.alternates.len() > MAX_ALTERNATES {
            return Err(RuleError::new(RuleErrorKind::Count { min: 0, max: MAX_ALTERNATES }).within("alternates"));
        }
        let mut alternates: Vec<MessageDestination> = Vec::with_capacity(spec.alternates.len());
        for (i, a) in spec.alternates.iter().enumerate() {
            let field = format!("alternates[{i}]");
            let alternate = MessageDestination::parse(a).map_err(|e| e.within(&field))?;
            if alternate == url || alternates.contains(&alternate) {
                return Err(RuleError::new(RuleErrorKind::Duplicate).within(&field));
            }
            alternates.push(alternate);
        }
        Ok(MessageRoute { url, alternates })
    }
}

impl utoipa::PartialSchema for MessageRoute {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <MessageRouteSpec as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for MessageRoute {
    fn name() -> std::borrow::Cow<'static, str> {
        "MessageRoute".into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <MessageRouteSpec as utoipa::ToSchema>::schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: serde_json::Value) -> Result<MessageRoute, RuleError> {
        MessageRoute::try_from(serde_json::from_value::<MessageRouteSpec>(v).unwrap())
    }

    #[test]
    fn a_plain_url_stays_a_plain_url() {
        let r = parse(serde_json::json!("https://crm.example.com/a")).unwrap();
        assert!(r.alternates().is_empty());
        assert_eq!(serde_json::to_value(&r).unwrap(), "https://crm.example.com/a");
        assert_eq!(r.to_stored(), "https://crm.example.com/a");
        assert_eq!(MessageRoute::from_stored(&r.to_stored()).unwrap(), r);
    }

    #[test]
    fn alternates_keep_their_order_and_round_trip() {
        let v = serde_json::json!({"url": "https://a.example.com/", "alternates": ["https://b.example.com/", "https://c.example.com/"]});
        let r = parse(v.clone()).unwrap();
        let alts: Vec<&str> = r.alternates().iter().map(MessageDestination::as_str).collect();
        assert_eq!(alts, ["https://b.example.com/", "https://c.example.com/"]);
        assert_eq!(serde_json::to_value(&r).unwrap(), v);
        assert_eq!(MessageRoute::from_stored(&r.to_stored()).unwrap(), r);
        // Without alternates the object form is the plain form.
        let bare = parse(serde_json::json!({"url": "https://a.example.com/"})).unwrap();
        assert_eq!(bare.to_stored(), "https://a.example.com/");
    }

    #[test]
    fn each_bad_alternate_is_named() {
        let err = |v| parse(v).unwrap_err().field().to_owned();
        assert_eq!(err(serde_json::json!({"url": "ftp://a.example.com/"})), "url");
        assert_eq!(
            err(serde_json::json!({"url": "https://a.example.com/", "alternates": ["https://b.example.com/", "nope"]})),
            "alternates[1]"
        );
        assert_eq!(
            err(serde_json::json!({"url": "https://a.example.com/", "alternates": ["https://a.example.com/"]})),
            "alternates[0]",
            "the primary again"
        );
        let eleven: Vec<String> = (0..11).map(|i| format!("https://h{i}.example.com/")).collect();
        assert_eq!(err(serde_json::json!({"url": "https://a.example.com/", "alternates": eleven})), "alternates");
        let ten: Vec<String> = (0..10).map(|i| format!("https://h{i}.example.com/")).collect();
        assert!(parse(serde_json::json!({"url": "https://a.example.com/", "alternates": ten})).is_ok());
    }
}
