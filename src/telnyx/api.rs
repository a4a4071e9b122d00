//! The Telnyx client as shared app data: absent until `telnyx.api_key` is configured.
use std::time::Duration;

use super::client::{TelnyxClient, TelnyxClientConfig, TelnyxError};
use crate::config::TelnyxSettings;

#[derive(Clone)]
pub struct TelnyxApi(pub Option<TelnyxClient>);

impl TelnyxApi {
    pub fn from_settings(s: &TelnyxSettings) -> Result<Self, TelnyxError> {
        let Some(api_key) = s.api_key.clone() else { return Ok(TelnyxApi(None)) };
        TelnyxClient::new(TelnyxClientConfig {
            base_url: s.base_url.clone(),
            api_key,
            connect_timeout: s.connect_timeout,
            request_timeout: s.request_timeout,
            max_retries: s.max_retries,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
        })
        .map(|c| TelnyxApi(Some(c)))
    }

    /// The client, or an explanation fit for a 503 answer.
    pub fn client(&self) -> Result<&TelnyxClient, &'static str> {
        self.0.as_ref().ok_or("telnyx.api_key is not configured (SWITCHBOARD__TELNYX__API_KEY)")
    }
}
