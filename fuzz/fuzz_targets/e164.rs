//! PhoneNumber::parse on arbitrary strings: never panics; accepted numbers round-trip.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    switchboard_fuzz::checks::e164(data);
});
