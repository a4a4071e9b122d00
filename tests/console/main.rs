//! The web console in a real browser: Debian's chromium, headless, through chromium-driver
//! (WebDriver, fantoccini), against the real daemon binary on its embedded SQLite default, with
//! the Telnyx simulator as Telnyx. `cargo test --test console`; scripts/install-chromium.sh
//! installs chromium, chromium-driver and axe-core (scripts/test.sh runs it). Without chromium
//! the cases are skipped with a message saying so.
//!
//! The cases share nothing but the binary: each starts its own daemon and browser, one at a time
//! (a lock), so that two chromiums never compete for the CI machine's cores.
//! `SCREENSHOTS=1` also writes the screenshots of docs/console/ (CI never does).
#[path = "../common/telnyx_sim/mod.rs"]
#[allow(dead_code)]
mod telnyx_sim;

mod a11y;
mod browser;
mod cases;
mod daemon;
