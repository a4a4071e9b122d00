//! Telnyx webhook signature check (Ed25519 over `timestamp|raw body`).
//!
//! The checks run in the order of the official SDKs (telnyx-node `webhooks.ts`,
//! telnyx-python `webhooks_ed25519.py`): headers present, then the timestamp
//! (ASCII digits, inside the tolerance window), then the signature encoding
//! (standard base64 with padding, exactly 64 bytes), then the Ed25519 check.
//!
//! The Ed25519 check uses [`VerifyingKey::verify`] (RFC 8032 cofactorless
//! equation, canonical `S` required), not `verify_strict`:
//! - it is what the Node SDK gets from WebCrypto/OpenSSL; PyNaCl/libsodium also
//!   refuses small-order `R`, which only the key holder could ever produce, so
//!   every signature Telnyx makes passes all three;
//! - it is the equation `ed25519_dalek::verify_batch` checks, which the batched
//!   path uses too ([`super::one_key_batch`]), so the single and batched paths
//!   agree (they can only differ on torsion-carrying signatures, which again
//!   only the key holder can make);
//! - it is a little cheaper (bench `primitive/*`: 3-12% faster across runs).
//!
//! Weak (small-order) public keys, which would make forgery trivial under
//! either equation, are refused when the verifier is built.

use std::cell::RefCell;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};

/// Header that carries the base64 Ed25519 signature.
pub const SIGNATURE_HEADER: &str = "telnyx-signature-ed25519";
/// Header that carries the Unix timestamp (seconds) that was signed.
pub const TIMESTAMP_HEADER: &str = "telnyx-timestamp";

/// Longest accepted timestamp text. Seconds need 10 digits until the year 2286;
/// 15 still lets a millisecond value through to fail the window as the SDKs do.
const MAX_TIMESTAMP_DIGITS: usize = 15;
/// Standard padded base64 of 64 bytes is always 88 characters.
const SIGNATURE_BASE64_LEN: usize = 88;
/// Signed-message buffers above this size are not kept for reuse.
const MAX_RETAINED_BUFFER: usize = 512 * 1024;

/// The configured public key could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("webhook public key is not standard base64: {0}")]
    Base64(String),
    #[error("webhook public key must decode to 32 bytes, got {0}")]
    Length(usize),
    #[error("webhook public key is not a valid Ed25519 point")]
    InvalidPoint,
    #[error("webhook public key is a weak (small-order) Ed25519 key")]
    WeakKey,
}

/// Why a webhook was refused. Every variant maps to a 4xx upstream,
/// except `Overloaded` (503, retry later).
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("missing telnyx-signature-ed25519 header")]
    MissingSignature,
    #[error("missing telnyx-timestamp header")]
    MissingTimestamp,
    #[error("telnyx-timestamp is not a Unix time in seconds")]
    BadTimestamp,
    #[error("telnyx-timestamp is older than the tolerance")]
    StaleTimestamp,
    #[error("telnyx-timestamp is further in the future than the tolerance")]
    FutureTimestamp,
    #[error("telnyx-signature-ed25519 is not base64 of 64 bytes")]
    BadSignatureEncoding,
    #[error("signature does not match the body")]
    Mismatch,
    #[error("signature verifier is overloaded")]
    Overloaded,
}

impl SignatureError {
    /// Short reason, suitable for a response body or a log field.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingSignature => "missing signature header",
            Self::MissingTimestamp => "missing timestamp header",
            Self::BadTimestamp => "malformed timestamp",
            Self::StaleTimestamp => "timestamp too old",
            Self::FutureTimestamp => "timestamp too far in the future",
            Self::BadSignatureEncoding => "malformed signature",
            Self::Mismatch => "signature mismatch",
            Self::Overloaded => "verifier overloaded",
        }
    }

    /// Metric label value; one of [`SignatureError::METRIC_LABELS`].
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::MissingSignature => "missing_signature",
            Self::MissingTimestamp => "missing_timestamp",
            Self::BadTimestamp => "bad_timestamp",
            Self::StaleTimestamp => "stale_timestamp",
            Self::FutureTimestamp => "future_timestamp",
            Self::BadSignatureEncoding => "bad_signature_encoding",
            Self::Mismatch => "mismatch",
            Self::Overloaded => "overloaded",
        }
    }

    /// Every value `metric_label` can return, for describing metrics at start-up.
    pub const METRIC_LABELS: [&'static str; 8] = [
        "missing_signature",
        "missing_timestamp",
        "bad_timestamp",
        "stale_timestamp",
        "future_timestamp",
        "bad_signature_encoding",
        "mismatch",
        "overloaded",
    ];
}

/// The two signing headers, as raw header bytes (`HeaderValue::as_bytes`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SignedHeaders<'a> {
    pub signature: Option<&'a [u8]>,
    pub timestamp: Option<&'a [u8]>,
}

impl<'a> SignedHeaders<'a> {
    /// Convenience for callers holding `&str` header values.
    pub fn from_strs(signature: Option<&'a str>, timestamp: Option<&'a str>) -> Self {
        Self { signature: signature.map(str::as_bytes), timestamp: timestamp.map(str::as_bytes) }
    }
}

/// A request whose cheap checks passed; only the Ed25519 check remains.
#[derive(Debug, Clone, Copy)]
pub struct PreparedSignature {
    ts: [u8; MAX_TIMESTAMP_DIGITS],
    ts_len: u8,
    signature: Signature,
}

impl PreparedSignature {
    /// The timestamp header text exactly as signed.
    pub fn timestamp_text(&self) -> &[u8] {
        &self.ts[..usize::from(self.ts_len)]
    }

    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Writes `timestamp|body` into `out` (cleared first).
    pub fn write_message(&self, body: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.reserve(self.timestamp_text().len() + 1 + body.len());
        out.extend_from_slice(self.timestamp_text());
        out.push(b'|');
        out.extend_from_slice(body);
    }
}

/// Checks Telnyx webhook signatures with the account's public key.
#[derive(Debug, Clone)]
pub struct WebhookVerifier {
    key: VerifyingKey,
}

thread_local! {
    static MESSAGE_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl WebhookVerifier {
    /// Builds a verifier from the key as the Telnyx portal shows it:
    /// the raw 32-byte Ed25519 public key in standard base64.
    pub fn new(public_key_base64: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(public_key_base64.trim()).map_err(|e| KeyError::Base64(e.to_string()))?;
        let raw: [u8; 32] = bytes.as_slice().try_into().map_err(|_| KeyError::Length(bytes.len()))?;
        let key = VerifyingKey::from_bytes(&raw).map_err(|_| KeyError::InvalidPoint)?;
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        Ok(Self { key })
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// All checks, including the Ed25519 verification, on this thread.
    pub fn verify(
        &self,
        headers: SignedHeaders<'_>,
        body: &[u8],
        now_unix: i64,
        tolerance_secs: i64,
    ) -> Result<(), SignatureError> {
        let prepared = prepare(headers, now_unix, tolerance_secs)?;
        self.verify_prepared(&prepared, body)
    }

    /// The expensive part only: Ed25519 over `timestamp|body`.
    /// Builds the signed message in a reused thread-local buffer.
    pub fn verify_prepared(&self, prepared: &PreparedSignature, body: &[u8]) -> Result<(), SignatureError> {
        MESSAGE_BUF.with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => {
                prepared.write_message(body, &mut buf);
                let result = self.verify_message(&buf, prepared.signature());
                if buf.capacity() > MAX_RETAINED_BUFFER {
                    *buf = Vec::new();
                }
                result
            }
            // Re-entrant use cannot happen today; stay correct if it ever does.
            Err(_) => {
                let mut buf = Vec::new();
                prepared.write_message(body, &mut buf);
                self.verify_message(&buf, prepared.signature())
            }
        })
    }

    /// Ed25519 check of an already concatenated `timestamp|body` message.
    pub fn verify_message(&self, message: &[u8], sig: &Signature) -> Result<(), SignatureError> {
        self.key.verify(message, sig).map_err(|_| SignatureError::Mismatch)
    }
}

/// The cheap checks, in SDK order, without the Ed25519 verification.
/// The body is not needed until [`WebhookVerifier::verify_prepared`].
pub fn prepare(
    headers: SignedHeaders<'_>,
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<PreparedSignature, SignatureError> {
    let sig_text = headers.signature.ok_or(SignatureError::MissingSignature)?;
    let ts_text = headers.timestamp.ok_or(SignatureError::MissingTimestamp)?;
    let ts = parse_timestamp(ts_text)?;
    check_window(ts, now_unix, tolerance_secs)?;
    let signature = decode_signature(sig_text)?;
    let mut ts_buf = [0u8; MAX_TIMESTAMP_DIGITS];
    ts_buf[..ts_text.len()].copy_from_slice(ts_text);
    Ok(PreparedSignature {
        ts: ts_buf,
        // Bounded by MAX_TIMESTAMP_DIGITS in parse_timestamp.
        ts_len: ts_text.len() as u8,
        signature,
    })
}

fn parse_timestamp(text: &[u8]) -> Result<i64, SignatureError> {
    if text.is_empty() || text.len() > MAX_TIMESTAMP_DIGITS {
        return Err(SignatureError::BadTimestamp);
    }
    text.iter().try_fold(0i64, |acc, &b| {
        if b.is_ascii_digit() {
            Ok(acc * 10 + i64::from(b - b'0'))
        } else {
            Err(SignatureError::BadTimestamp)
        }
    })
}

fn check_window(ts: i64, now: i64, tolerance: i64) -> Result<(), SignatureError> {
    let age = i128::from(now) - i128::from(ts);
    let tolerance = i128::from(tolerance.max(0));
    if age > tolerance {
        Err(SignatureError::StaleTimestamp)
    } else if -age > tolerance {
        Err(SignatureError::FutureTimestamp)
    } else {
        Ok(())
    }
}

fn decode_signature(text: &[u8]) -> Result<Signature, SignatureError> {
    if text.len() != SIGNATURE_BASE64_LEN {
        return Err(SignatureError::BadSignatureEncoding);
    }
    // The padded estimate for 88 characters is 66 bytes.
    let mut out = [0u8; 66];
    let n = STANDARD.decode_slice(text, &mut out).map_err(|_| SignatureError::BadSignatureEncoding)?;
    let raw: [u8; 64] = out.get(..n).and_then(|s| s.try_into().ok()).ok_or(SignatureError::BadSignatureEncoding)?;
    Ok(Signature::from_bytes(&raw))
}

#[cfg(test)]
mod tests;
