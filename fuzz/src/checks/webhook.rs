//! Webhook input: the envelope parser and the signature headers.
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey};
use switchboard::telnyx::events::parse_envelope;
use switchboard::telnyx::signature::{prepare, SignatureError, SignedHeaders, WebhookVerifier};

/// The fuzz runs' clock (2025-11-25T10:00:00Z) and the default tolerance.
const NOW: i64 = 1_764_064_800;
const TOLERANCE: i64 = 300;

/// Input layout: an optional header block `signature\ntimestamp\n\n`, then the body; without the
/// blank line the whole input is the body and the headers are made up. Returns whether the
/// envelope parsed.
pub fn webhook_envelope(data: &[u8]) -> bool {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (&b"AAAA\n1764064800"[..], data),
    };
    let mut lines = head.splitn(2, |b| *b == b'\n');
    let signature = lines.next();
    let timestamp = lines.next();
    let headers = SignedHeaders { signature, timestamp };
    // Random bytes never carry a valid signature; the point is that checking them cannot panic.
    let _ = prepare(SignedHeaders { signature, timestamp }, NOW, TOLERANCE);
    let _ = keys().1.verify(headers, body, NOW, TOLERANCE);
    // Then parse as if the signature had passed (or checks were off).
    match parse_envelope(body) {
        Ok(env) => {
            assert!(!env.id.is_empty() && env.id.chars().count() <= 128, "accepted a bad id {:?}", env.id);
            let _ = env.payload.metric_label();
            true
        }
        Err(e) => {
            let reason = e.to_string();
            assert!(!reason.is_empty() && reason.len() < 1024, "unhelpful reason {reason:?}");
            false
        }
    }
}

/// The tolerances and clocks the control byte picks from: the configured default, then the edges
/// of the window arithmetic (zero, negative, the extremes of i64).
const TOLERANCES: [i64; 8] = [TOLERANCE, 0, 1, -1, 86_400, i64::MAX, i64::MIN, 1_000_000_000_000_000];
const CLOCKS: [i64; 4] = [NOW, 0, i64::MAX, i64::MIN];

/// Input layout: a control byte, then `signature\ntimestamp\nbody`. Control bits: 0 the signature
/// header is present, 1 the timestamp header is present, 2 the signature is replaced by the fixed
/// key's real one over `timestamp|body`, 3-5 pick the tolerance and 6-7 the clock (tables above).
/// `prepare` and `verify` must answer what a model of the SDKs' order of checks answers, and a
/// signature verifies exactly when it is the fixed key's over `timestamp|body`. Returns whether
/// the request verified.
pub fn signature_headers(data: &[u8]) -> bool {
    let Some((&control, rest)) = data.split_first() else { return false };
    let mut parts = rest.splitn(3, |b| *b == b'\n');
    let sig_line = parts.next().unwrap_or_default();
    let ts_line = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let tolerance = TOLERANCES[usize::from((control >> 3) & 7)];
    let now = CLOCKS[usize::from(control >> 6)];
    let (key, verifier) = keys();
    let message = signed_message(ts_line, body);
    let resigned;
    let signature = match (control & 1 != 0, control & 4 != 0) {
        (false, _) => None,
        (true, false) => Some(sig_line),
        (true, true) => {
            resigned = STANDARD.encode(key.sign(&message).to_bytes());
            Some(resigned.as_bytes())
        }
    };
    let timestamp = (control & 2 != 0).then_some(ts_line);
    let headers = SignedHeaders { signature, timestamp };
    let expected = model_prepare(headers, now, tolerance);

    match (prepare(headers, now, tolerance), &expected) {
        (Ok(prepared), Ok(decoded)) => {
            assert_eq!(prepared.timestamp_text(), ts_line, "prepare kept another timestamp");
            assert_eq!(&prepared.signature().to_bytes(), decoded, "prepare decoded another signature");
            let mut written = Vec::new();
            prepared.write_message(body, &mut written);
            assert_eq!(written, message, "the signed message is timestamp|body");
            // One more byte of body: the same signature cannot match.
            written.push(b'x');
            let tampered = verifier.verify_message(&written, prepared.signature());
            assert_eq!(tampered, Err(SignatureError::Mismatch), "a signature matched a tampered body");
        }
        (Err(got), Err(want)) => {
            assert_eq!(got, *want, "prepare refused for another reason");
            check_refusal(&got);
        }
        (got, want) => panic!("prepare answered {got:?}, the model {want:?}"),
    }

    let verified = verifier.verify(headers, body, now, tolerance);
    let want = match expected {
        Err(e) => Err(e),
        // Ed25519 signatures are deterministic: only the fixed key's own one can verify.
        Ok(decoded) if decoded == key.sign(&message).to_bytes() => Ok(()),
        Ok(_) => Err(SignatureError::Mismatch),
    };
    assert_eq!(verified, want, "verify disagrees with the model");
    if let Err(e) = verified {
        check_refusal(&e);
    }
    verified.is_ok()
}

/// The checks in the SDKs' order, written out independently of `prepare`: headers present, the
/// timestamp (1-15 ASCII digits, inside the window), the signature (standard base64 with padding
/// of exactly 64 bytes). On success, the decoded signature.
fn model_prepare(headers: SignedHeaders<'_>, now: i64, tolerance: i64) -> Result<[u8; 64], SignatureError> {
    let signature = headers.signature.ok_or(SignatureError::MissingSignature)?;
    let timestamp = headers.timestamp.ok_or(SignatureError::MissingTimestamp)?;
    if timestamp.is_empty() || timestamp.len() > 15 || !timestamp.iter().all(u8::is_ascii_digit) {
        return Err(SignatureError::BadTimestamp);
    }
    let ts = timestamp.iter().fold(0i128, |acc, b| acc * 10 + i128::from(b - b'0'));
    let age = i128::from(now) - ts;
    let window = i128::from(tolerance.max(0));
    if age > window {
        return Err(SignatureError::StaleTimestamp);
    }
    if -age > window {
        return Err(SignatureError::FutureTimestamp);
    }
    STANDARD
        .decode(signature)
        .ok()
        .and_then(|raw| <[u8; 64]>::try_from(raw).ok())
        .ok_or(SignatureError::BadSignatureEncoding)
}

/// A refusal is explained (a short reason) and counted under a known label.
fn check_refusal(e: &SignatureError) {
    assert!(!e.reason().is_empty() && e.reason().len() < 64, "{e:?}");
    assert!(SignatureError::METRIC_LABELS.contains(&e.metric_label()), "{e:?}");
}

fn signed_message(timestamp: &[u8], body: &[u8]) -> Vec<u8> {
    [timestamp, b"|", body].concat()
}

/// The test suite's signing key ([7; 32]) and a verifier for its public key, built once.
fn keys() -> &'static (SigningKey, WebhookVerifier) {
    static KEYS: OnceLock<(SigningKey, WebhookVerifier)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let verifier =
            WebhookVerifier::new(&STANDARD.encode(key.verifying_key().to_bytes())).expect("fixed key is valid");
        (key, verifier)
    })
}
