//! The logic of the fuzz targets as plain functions, shared by cargo-fuzz (fuzz/fuzz_targets/) and
//! the stable mutation test (tests/api/hostile/fuzz_checks.rs). Each must never panic; a broken
//! invariant panics on purpose so the fuzzer (or the test) reports it.
use switchboard::domain::PhoneNumber;
use switchboard::telnyx::events::parse_envelope;
use switchboard::telnyx::signature::{prepare, SignedHeaders, WebhookVerifier};

const NOW: i64 = 1_764_064_800;

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
    let verifier = fixed_verifier();
    let headers = SignedHeaders { signature, timestamp };
    // Random bytes never carry a valid signature; the point is that checking them cannot panic.
    let _ = prepare(SignedHeaders { signature, timestamp }, NOW, 300);
    let _ = verifier.verify(headers, body, NOW, 300);
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

/// The public key of the test suite's signing key ([7; 32]).
fn fixed_verifier() -> WebhookVerifier {
    use base64::Engine;
    let public = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key().to_bytes();
    WebhookVerifier::new(&base64::engine::general_purpose::STANDARD.encode(public)).expect("fixed key is valid")
}

/// Parses arbitrary bytes (lossily as UTF-8) as a phone number; when it parses, the canonical form
/// and the human form parse back to the same number. Returns whether it parsed.
pub fn e164(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let Ok(number) = PhoneNumber::parse(&text) else { return false };
    let canonical = number.as_str();
    assert!(canonical.starts_with('+') && canonical[1..].bytes().all(|b| b.is_ascii_digit()), "{canonical:?}");
    assert!((9..=16).contains(&canonical.len()), "{canonical:?}");
    assert_eq!(PhoneNumber::parse(canonical).as_ref(), Ok(&number), "as_str round trip of {text:?}");
    assert_eq!(PhoneNumber::parse(&number.formatted()).as_ref(), Ok(&number), "formatted round trip of {text:?}");
    true
}
