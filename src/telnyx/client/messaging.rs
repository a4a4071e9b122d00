//! Messaging: send a message (POST /messages), create a messaging profile (POST
//! /messaging_profiles) and find profiles by name (GET /messaging_profiles).
use reqwest::Method;
use serde::{Deserialize, Serialize};
use url::Url;

use super::lookup::{exactly_named, Created, PAGE_SIZE};
use super::{with_query, CountryCode, Endpoint, Retry, TelnyxClient, TelnyxError};
use crate::domain::PhoneNumber;

/// Body of POST /messages (spec schema `CreateMessageRequest`). Give `text` (SMS), `media_urls`
/// (MMS) or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SendMessageRequest {
    pub from: PhoneNumber,
    /// One recipient: the spec's `to` is a single string; an array is rejected.
    pub to: PhoneNumber,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub media_urls: Vec<Url>,
    pub messaging_profile_id: String,
    /// Overrides the profile's webhook URL for this message's events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<Url>,
}

/// What Telnyx accepted (`data` of the 200, schema `OutboundMessagePayload`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SentMessage {
    /// The message id; later `message.sent` / `message.finalized` events carry it as `payload.id`.
    pub id: String,
}

/// Body of POST /messaging_profiles (spec schema `CreateMessagingProfileRequest`);
/// `webhook_api_version` is always sent as `"2"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewMessagingProfile {
    pub name: String,
    /// Countries the profile may send to (required by the spec; `*` is not representable).
    pub whitelisted_destinations: Vec<CountryCode>,
    pub webhook_url: Url,
    /// Where Telnyx delivers when `webhook_url` fails (`telnyx.failover_base_url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_failover_url: Option<Url>,
}

/// A messaging profile as listed (schema `MessagingProfile`, the fields read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MessagingProfile {
    pub id: String,
    pub name: String,
}

#[derive(Serialize)]
struct MessagingProfileBody<'a> {
    #[serde(flatten)]
    profile: &'a NewMessagingProfile,
    webhook_api_version: &'static str,
}

impl TelnyxClient {
    /// POST /messages. Retry policy [`Retry::IfNotSent`]: a timeout after sending gives
    /// [`TelnyxError::Ambiguous`] (the message may have gone out).
    pub async fn send_message(&self, req: &SendMessageRequest) -> Result<SentMessage, TelnyxError> {
        let url = self.url(&["messages"])?;
        self.request(Endpoint::SendMessage, Method::POST, url, Some(req), Retry::IfNotSent).await
    }

    /// POST /messages for the send queue. Retry policy [`Retry::Queued`]: a 429 comes back at
    /// once as [`TelnyxError::RateLimited`] (the queue slows that sender); a timeout after sending
    /// gives [`TelnyxError::Ambiguous`].
    pub async fn send_queued_message(&self, req: &SendMessageRequest) -> Result<SentMessage, TelnyxError> {
        let url = self.url(&["messages"])?;
        self.request(Endpoint::SendMessage, Method::POST, url, Some(req), Retry::Queued).await
    }

    /// POST /messaging_profiles; returns the new profile's id. Retry policy [`Retry::IfNotSent`]:
    /// after [`TelnyxError::Ambiguous`], look it up with [`TelnyxClient::find_messaging_profiles`]
    /// before creating again.
    pub async fn create_messaging_profile(&self, profile: &NewMessagingProfile) -> Result<String, TelnyxError> {
        let url = self.url(&["messaging_profiles"])?;
        let body = MessagingProfileBody { profile, webhook_api_version: "2" };
        let created: Created =
            self.request(Endpoint::CreateMessagingProfile, Method::POST, url, Some(&body), Retry::IfNotSent).await?;
        Ok(created.id)
    }

    /// GET /messaging_profiles?filter[name][eq]=...: the profiles named exactly `name` (first page
    /// of 250). [`Retry::Safe`].
    pub async fn find_messaging_profiles(&self, name: &str) -> Result<Vec<MessagingProfile>, TelnyxError> {
        let query = [("filter[name][eq]", name.to_owned()), ("page[size]", PAGE_SIZE.to_string())];
        let url = with_query(self.url(&["messaging_profiles"])?, &query);
        let endpoint = Endpoint::ListMessagingProfiles;
        let found: Vec<MessagingProfile> = self.request::<(), _>(endpoint, Method::GET, url, None, Retry::Safe).await?;
        Ok(exactly_named(found, name, |p| &p.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("valid url")
    }

    #[test]
    fn telnyx_send_message_body_matches_spec_shape() {
        let req = SendMessageRequest {
            from: PhoneNumber::parse("+14155550100").expect("e164"),
            to: PhoneNumber::parse("+12125550199").expect("e164"),
            text: Some("hi".into()),
            media_urls: vec![],
            messaging_profile_id: "prof-1".into(),
            webhook_url: None,
        };
        assert_eq!(
            serde_json::to_value(&req).expect("json"),
            json!({"from": "+14155550100", "to": "+12125550199", "text": "hi", "messaging_profile_id": "prof-1"})
        );
    }

    #[test]
    fn telnyx_messaging_profile_body_forces_api_v2() {
        let profile = NewMessagingProfile {
            name: "acme".into(),
            whitelisted_destinations: vec![CountryCode::US, CountryCode::CA],
            webhook_url: url("https://sb.example.com/webhooks/telnyx?company=1"),
            webhook_failover_url: None,
        };
        let body = MessagingProfileBody { profile: &profile, webhook_api_version: "2" };
        assert_eq!(
            serde_json::to_value(&body).expect("json"),
            json!({
                "name": "acme",
                "whitelisted_destinations": ["US", "CA"],
                "webhook_url": "https://sb.example.com/webhooks/telnyx?company=1",
                "webhook_api_version": "2"
            })
        );
    }
}
