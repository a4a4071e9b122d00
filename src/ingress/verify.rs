//! How webhook signatures are checked: not at all (explicit config), single Ed25519 verifies in the
//! HTTP worker, or batched across concurrent requests on a verifier thread.
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;

use crate::telnyx::batch_verify::{BatchConfig, BatchVerifier};
use crate::telnyx::signature::{prepare, SignatureError, SignedHeaders, WebhookVerifier};

pub enum Verification {
    /// `webhooks.verify_signatures = false`.
    Disabled,
    /// No public key configured: every webhook is answered 503 so Telnyx retries.
    NoKey,
    Single(WebhookVerifier),
    Batch(BatchVerifier),
}

#[derive(Debug)]
pub enum VerifyError {
    NoKey,
    Signature(SignatureError),
}

impl Verification {
    pub fn from_settings(verify: bool, public_key: Option<[u8; 32]>, batch: bool) -> std::io::Result<Self> {
        if !verify {
            return Ok(Verification::Disabled);
        }
        let Some(key) = public_key else { return Ok(Verification::NoKey) };
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        let verifier = WebhookVerifier::new(&b64)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("telnyx.public_key: {e}")))?;
        if batch {
            Ok(Verification::Batch(BatchVerifier::start(verifier, BatchConfig::default())?))
        } else {
            Ok(Verification::Single(verifier))
        }
    }

    pub async fn check(
        &self,
        headers: SignedHeaders<'_>,
        body: &Bytes,
        tolerance_secs: i64,
    ) -> Result<(), VerifyError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        match self {
            Verification::Disabled => Ok(()),
            Verification::NoKey => Err(VerifyError::NoKey),
            Verification::Single(v) => v.verify(headers, body, now, tolerance_secs).map_err(VerifyError::Signature),
            Verification::Batch(b) => {
                let prepared = prepare(headers, now, tolerance_secs).map_err(VerifyError::Signature)?;
                b.verify(prepared, body.clone()).await.map_err(VerifyError::Signature)
            }
        }
    }
}
