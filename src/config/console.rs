//! The `[console]` section: how long a console sign-in lasts.
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ConsoleSettings {
    /// A session unused for this long ends (seconds).
    pub session_idle_secs: u64,
    /// A session ends this long after sign-in, however busy (seconds).
    pub session_max_secs: u64,
}

impl Default for ConsoleSettings {
    /// As config/default.toml has them.
    fn default() -> Self {
        ConsoleSettings { session_idle_secs: 12 * 3600, session_max_secs: 12 * 3600 }
    }
}

impl ConsoleSettings {
    pub(super) fn validate(&self, bad: &mut impl FnMut(&str, String)) {
        const WEEK: u64 = 7 * 24 * 3600;
        if !(60..=WEEK).contains(&self.session_idle_secs) {
            bad("console.session_idle_secs", format!("must be between 60 and {WEEK} (a week)"));
        }
        if !(60..=WEEK).contains(&self.session_max_secs) {
            bad("console.session_max_secs", format!("must be between 60 and {WEEK} (a week)"));
        }
    }
}
