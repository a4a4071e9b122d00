//! Message destination URLs and the forward policy, SIP URIs and numbers as call destinations.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    switchboard_fuzz::checks::destination_url(data);
});
