//! The `[telnyx]` section: webhook key, API access, and what provisioning asks Telnyx for.
use std::time::Duration;

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use super::parse_http_url;
use crate::domain::CountryCode;

#[derive(Deserialize)]
pub(super) struct RawTelnyx {
    public_key: String,
    api_key: SecretString,
    base_url: String,
    connect_timeout_ms: u64,
    request_timeout_ms: u64,
    max_retries: u32,
    whitelisted_destinations: Vec<String>,
    number_country: String,
    outbound_voice_profile_id: String,
    failover_base_url: String,
}

impl std::fmt::Debug for RawTelnyx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawTelnyx").finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct TelnyxSettings {
    /// Raw 32-byte Ed25519 key; `None` until configured (webhooks then answer 503).
    pub public_key: Option<[u8; 32]>,
    pub api_key: Option<SecretString>,
    pub base_url: Url,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_retries: u32,
    pub whitelisted_destinations: Vec<String>,
    /// Country of number searches.
    pub number_country: CountryCode,
    /// A shared outbound voice profile for every company's Call Control application; `None`:
    /// provisioning creates one per company.
    pub outbound_voice_profile_id: Option<String>,
    /// Base of the failover webhook URLs given to Telnyx (`webhook_failover_url`,
    /// `webhook_event_failover_url`); `None`: no failover URL.
    pub failover_base_url: Option<Url>,
}

impl std::fmt::Debug for TelnyxSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelnyxSettings")
            .field("public_key_set", &self.public_key.is_some())
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("base_url", &self.base_url.as_str())
            .field("number_country", &self.number_country)
            .field("outbound_voice_profile_id", &self.outbound_voice_profile_id)
            .field("failover_base_url", &self.failover_base_url.as_ref().map(Url::as_str))
            .finish_non_exhaustive()
    }
}

impl RawTelnyx {
    /// The validated section; every problem goes to `bad(field, message)`.
    pub(super) fn validate(self, bad: &mut impl FnMut(&str, String)) -> TelnyxSettings {
        let public_key = match self.public_key.trim() {
            "" => None,
            s => match decode_public_key(s) {
                Ok(k) => Some(k),
                Err(e) => {
                    bad("telnyx.public_key", e);
                    None
                }
            },
        };
        let api_key = (!self.api_key.expose_secret().trim().is_empty()).then_some(self.api_key);
        let base_url = parse_http_url(&self.base_url).unwrap_or_else(|e| {
            bad("telnyx.base_url", e);
            Url::parse("https://api.telnyx.com/v2").expect("constant URL")
        });
        for c in &self.whitelisted_destinations {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                bad("telnyx.whitelisted_destinations", format!("{c:?} is not an ISO 3166 alpha-2 code like US"));
            }
        }
        let number_country = CountryCode::parse(&self.number_country).unwrap_or_else(|e| {
            bad("telnyx.number_country", e.to_string());
            CountryCode::US
        });
        let outbound_voice_profile_id = match self.outbound_voice_profile_id.trim() {
            "" => None,
            id => match check_resource_id(id) {
                Ok(()) => Some(id.to_owned()),
                Err(e) => {
                    bad("telnyx.outbound_voice_profile_id", e);
                    None
                }
            },
        };
        let failover_base_url = match self.failover_base_url.trim() {
            "" => None,
            s => match parse_http_url(s) {
                Ok(u) => Some(u),
                Err(e) => {
                    bad("telnyx.failover_base_url", e);
                    None
                }
            },
        };
        TelnyxSettings {
            public_key,
            api_key,
            base_url,
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            max_retries: self.max_retries,
            whitelisted_destinations: self.whitelisted_destinations,
            number_country,
            outbound_voice_profile_id,
            failover_base_url,
        }
    }
}

fn decode_public_key(s: &str) -> Result<[u8; 32], String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| "is not base64 (expected the 32-byte Ed25519 key as the Telnyx portal shows it)".to_string())?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| format!("decodes to {} bytes; an Ed25519 public key is 32 bytes", bytes.len()))
}

/// A Telnyx resource id given in the configuration (numeric in practice, like
/// `1293384261075731499`): letters, digits, `-` and `_`, at most 64.
fn check_resource_id(id: &str) -> Result<(), String> {
    if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(format!("{id:?} is not a Telnyx id (letters, digits, - and _, at most 64)"));
    }
    Ok(())
}
