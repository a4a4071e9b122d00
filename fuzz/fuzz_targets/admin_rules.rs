//! The admin JSON bodies for departments, locations, routing defaults, hours and destinations.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    switchboard_fuzz::checks::admin_rules(data);
});
