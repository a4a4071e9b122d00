//! Unit tests for the webhook signature checks.

use super::*;
use ed25519_dalek::{Signer, SigningKey};

const NOW: i64 = 1_700_000_000;
const BODY: &[u8] = br#"{"data":{"id":"e1","event_type":"message.received"}}"#;

fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn verifier_for(key: &SigningKey) -> WebhookVerifier {
    let encoded = STANDARD.encode(key.verifying_key().as_bytes());
    WebhookVerifier::new(&encoded).expect("valid key")
}

fn sign(key: &SigningKey, ts: &str, body: &[u8]) -> String {
    let mut msg = ts.as_bytes().to_vec();
    msg.push(b'|');
    msg.extend_from_slice(body);
    STANDARD.encode(key.sign(&msg).to_bytes())
}

fn check(v: &WebhookVerifier, sig: &str, ts: &str, body: &[u8]) -> Result<(), SignatureError> {
    v.verify(SignedHeaders::from_strs(Some(sig), Some(ts)), body, NOW, 300)
}

#[test]
fn valid_signature_passes() {
    let key = signing_key(1);
    let ts = NOW.to_string();
    assert_eq!(check(&verifier_for(&key), &sign(&key, &ts, BODY), &ts, BODY), Ok(()));
}

#[test]
fn tampered_body_fails() {
    let key = signing_key(1);
    let ts = NOW.to_string();
    let sig = sign(&key, &ts, BODY);
    let mut body = BODY.to_vec();
    body[10] ^= 1;
    assert_eq!(check(&verifier_for(&key), &sig, &ts, &body), Err(SignatureError::Mismatch));
}

#[test]
fn signature_without_pipe_or_over_body_only_fails() {
    let key = signing_key(1);
    let ts = NOW.to_string();
    let body_only = STANDARD.encode(key.sign(BODY).to_bytes());
    let v = verifier_for(&key);
    assert_eq!(check(&v, &body_only, &ts, BODY), Err(SignatureError::Mismatch));
    let mut no_pipe = ts.as_bytes().to_vec();
    no_pipe.extend_from_slice(BODY);
    let no_pipe = STANDARD.encode(key.sign(&no_pipe).to_bytes());
    assert_eq!(check(&v, &no_pipe, &ts, BODY), Err(SignatureError::Mismatch));
}

#[test]
fn wrong_key_fails() {
    let ts = NOW.to_string();
    let sig = sign(&signing_key(2), &ts, BODY);
    let v = verifier_for(&signing_key(1));
    assert_eq!(check(&v, &sig, &ts, BODY), Err(SignatureError::Mismatch));
}

#[test]
fn timestamp_window_is_300_seconds_both_ways() {
    let key = signing_key(1);
    let v = verifier_for(&key);
    for (offset, expected) in [
        (-300, Ok(())),
        (300, Ok(())),
        (-301, Err(SignatureError::StaleTimestamp)),
        (301, Err(SignatureError::FutureTimestamp)),
    ] {
        let ts = (NOW + offset).to_string();
        let got = check(&v, &sign(&key, &ts, BODY), &ts, BODY);
        assert_eq!(got, expected, "offset {offset}");
    }
}

#[test]
fn missing_headers_are_named() {
    let v = verifier_for(&signing_key(1));
    let ts = NOW.to_string();
    let none = SignedHeaders::from_strs(None, None);
    assert_eq!(v.verify(none, BODY, NOW, 300), Err(SignatureError::MissingSignature));
    let no_ts = SignedHeaders::from_strs(Some("x"), None);
    assert_eq!(v.verify(no_ts, BODY, NOW, 300), Err(SignatureError::MissingTimestamp));
    let no_sig = SignedHeaders::from_strs(None, Some(&ts));
    assert_eq!(v.verify(no_sig, BODY, NOW, 300), Err(SignatureError::MissingSignature));
}

#[test]
fn malformed_timestamps_are_rejected() {
    let key = signing_key(1);
    let v = verifier_for(&key);
    let ms = (NOW * 1000).to_string();
    assert_eq!(check(&v, &sign(&key, &ms, BODY), &ms, BODY), Err(SignatureError::FutureTimestamp));
    let plus = format!("+{NOW}");
    let too_long = "1".repeat(40);
    for bad in ["", "-1700000000", "1700000000.5", " 1700000000", "17e8", &plus, &too_long] {
        let got = check(&v, &sign(&key, bad, BODY), bad, BODY);
        assert_eq!(got, Err(SignatureError::BadTimestamp), "{bad:?}");
    }
    let non_utf8 = SignedHeaders { signature: Some(b"x"), timestamp: Some(&[0xff, b'1']) };
    assert_eq!(v.verify(non_utf8, BODY, NOW, 300), Err(SignatureError::BadTimestamp));
}

#[test]
fn bad_signature_encodings_are_rejected() {
    let key = signing_key(1);
    let v = verifier_for(&key);
    let ts = NOW.to_string();
    // A body whose signature contains '+' or '/', so base64url differs.
    let (body, good) = (0u8..=255)
        .map(|i| {
            let body = [BODY, &[b' '; 8][..usize::from(i % 8)], &[i]].concat();
            let sig = sign(&key, &ts, &body);
            (body, sig)
        })
        .find(|(_, sig)| sig.contains(['+', '/']))
        .expect("some signature contains + or /");
    assert_eq!(check(&v, &good, &ts, &body), Ok(()));
    let url_safe = good.replace('+', "-").replace('/', "_");
    let unpadded = good.trim_end_matches('=').to_string();
    let short = STANDARD.encode([0u8; 63]);
    let long = STANDARD.encode([0u8; 65]);
    let prefixed = format!("v1a,{good}");
    let spaced = format!(" {}", &good[1..]);
    for bad in [url_safe, unpadded, short, long, prefixed, spaced] {
        let got = check(&v, &bad, &ts, &body);
        assert_eq!(got, Err(SignatureError::BadSignatureEncoding), "{bad:?}");
    }
}

#[test]
fn stale_timestamp_is_reported_before_bad_signature() {
    let v = verifier_for(&signing_key(1));
    let ts = (NOW - 1000).to_string();
    assert_eq!(check(&v, "!!", &ts, BODY), Err(SignatureError::StaleTimestamp));
}

#[test]
fn prepare_then_verify_matches_verify() {
    let key = signing_key(3);
    let v = verifier_for(&key);
    let ts = NOW.to_string();
    let sig = sign(&key, &ts, BODY);
    let p = prepare(SignedHeaders::from_strs(Some(&sig), Some(&ts)), NOW, 300).expect("ok");
    assert_eq!(p.timestamp_text(), ts.as_bytes());
    assert_eq!(v.verify_prepared(&p, BODY), Ok(()));
    assert_eq!(v.verify_prepared(&p, b"other"), Err(SignatureError::Mismatch));
}

#[test]
fn key_errors_are_clear() {
    assert!(matches!(WebhookVerifier::new("not base64!"), Err(KeyError::Base64(_))));
    let short = STANDARD.encode([1u8; 31]);
    assert_eq!(WebhookVerifier::new(&short).err(), Some(KeyError::Length(31)));
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signing_key(1).verifying_key().as_bytes());
    assert!(WebhookVerifier::new(&url_safe).is_err());
    // The identity point is a small-order (weak) key.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = STANDARD.encode(identity);
    assert_eq!(WebhookVerifier::new(&weak).err(), Some(KeyError::WeakKey));
}

#[test]
fn metric_labels_come_from_the_fixed_set() {
    use SignatureError::*;
    let all = [
        MissingSignature,
        MissingTimestamp,
        BadTimestamp,
        StaleTimestamp,
        FutureTimestamp,
        BadSignatureEncoding,
        Mismatch,
        Overloaded,
    ];
    for e in all {
        assert!(SignatureError::METRIC_LABELS.contains(&e.metric_label()));
        assert!(!e.reason().is_empty());
    }
}
