//! Signature preparation + verification with a fixed key, then envelope parsing, on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    switchboard_fuzz::checks::webhook_envelope(data);
});
