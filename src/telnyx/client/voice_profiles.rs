//! Outbound voice profiles (POST / GET /outbound_voice_profiles): what lets a Call Control
//! application dial out (destinations, billing). One shared profile can be configured
//! (`telnyx.outbound_voice_profile_id`); otherwise one is created per company.
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::lookup::{exactly_named, name_query, Created};
use super::{with_query, CountryCode, Endpoint, Retry, TelnyxClient, TelnyxError};

/// Body of POST /outbound_voice_profiles (spec schema `CreateOutboundVoiceProfileRequest`;
/// required: `name`, at least 3 characters). The spec's only traffic type, service plan and usage
/// payment method are sent explicitly, and the profile is enabled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewOutboundVoiceProfile {
    pub name: String,
    /// Countries calls may go to (Telnyx's default is US and CA).
    pub whitelisted_destinations: Vec<CountryCode>,
}

/// An outbound voice profile as listed (schema `OutboundVoiceProfile`, the fields read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OutboundVoiceProfile {
    /// Goes into a Call Control application's `outbound.outbound_voice_profile_id`.
    pub id: String,
    pub name: String,
}

#[derive(Serialize)]
struct ProfileBody<'a> {
    #[serde(flatten)]
    profile: &'a NewOutboundVoiceProfile,
    traffic_type: &'static str,
    service_plan: &'static str,
    usage_payment_method: &'static str,
    enabled: bool,
}

impl<'a> ProfileBody<'a> {
    fn new(profile: &'a NewOutboundVoiceProfile) -> Self {
        ProfileBody {
            profile,
            traffic_type: "conversational",
            service_plan: "global",
            usage_payment_method: "rate-deck",
            enabled: true,
        }
    }
}

impl TelnyxClient {
    /// POST /outbound_voice_profiles; returns the new profile's id. Retry policy
    /// [`Retry::IfNotSent`]: after [`TelnyxError::Ambiguous`], look it up with
    /// [`TelnyxClient::find_outbound_voice_profiles`] before creating again.
    pub async fn create_outbound_voice_profile(
        &self,
        profile: &NewOutboundVoiceProfile,
    ) -> Result<String, TelnyxError> {
        let url = self.url(&["outbound_voice_profiles"])?;
        let body = ProfileBody::new(profile);
        let endpoint = Endpoint::CreateOutboundVoiceProfile;
        let created: Created = self.request(endpoint, Method::POST, url, Some(&body), Retry::IfNotSent).await?;
        Ok(created.id)
    }

    /// GET /outbound_voice_profiles?filter[name][contains]=...: the profiles named exactly `name`
    /// (first page of 250). [`Retry::Safe`].
    pub async fn find_outbound_voice_profiles(&self, name: &str) -> Result<Vec<OutboundVoiceProfile>, TelnyxError> {
        let url = with_query(self.url(&["outbound_voice_profiles"])?, &name_query("filter[name][contains]", name));
        let endpoint = Endpoint::ListOutboundVoiceProfiles;
        let found: Vec<OutboundVoiceProfile> =
            self.request::<(), _>(endpoint, Method::GET, url, None, Retry::Safe).await?;
        Ok(exactly_named(found, name, |p| &p.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn telnyx_voice_profile_body_names_every_setting() {
        let profile = NewOutboundVoiceProfile {
            name: "switchboard acme".into(),
            whitelisted_destinations: vec![CountryCode::US, CountryCode::CA],
        };
        assert_eq!(
            serde_json::to_value(ProfileBody::new(&profile)).expect("json"),
            json!({
                "name": "switchboard acme", "whitelisted_destinations": ["US", "CA"],
                "traffic_type": "conversational", "service_plan": "global",
                "usage_payment_method": "rate-deck", "enabled": true
            })
        );
    }
}
