//! The signature headers against a model of the SDKs' checks; real signatures verify, others not.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    switchboard_fuzz::checks::signature_headers(data);
});
