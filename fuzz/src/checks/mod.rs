//! The logic of the fuzz targets as plain functions, shared by cargo-fuzz (fuzz/fuzz_targets/) and
//! the stable replay test (tests/api/hostile/fuzz_checks.rs), which includes this module by path.
//! Each must never panic; a broken invariant panics on purpose so the fuzzer (or the test)
//! reports it. One submodule per concept: webhooks (envelope, signature headers), rules (the admin
//! JSON bodies), destination (message URLs, SIP URIs and the forward policy).
mod destination;
mod rules;
mod webhook;

pub use destination::destination_url;
pub use rules::admin_rules;
pub use webhook::{signature_headers, webhook_envelope};

use switchboard::domain::PhoneNumber;

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
