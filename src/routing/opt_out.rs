//! Opt-out keywords in inbound messages (STOP / START and friends).
use serde::{Deserialize, Serialize};

/// What an inbound keyword asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptOutAction {
    OptOut,
    OptIn,
}

const OPT_OUT: [&str; 6] = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"];
const OPT_IN: [&str; 2] = ["START", "UNSTOP"];

/// Classifies a message whose whole text is a keyword, ignoring case and surrounding whitespace and
/// punctuation: `"Stop!"` opts out, `"please don't stop calling"` does not.
pub fn classify(text: &str) -> Option<OptOutAction> {
    keyword(text).map(|(action, _)| action)
}

/// The keyword a message's whole text is, as [`classify`] reads it, in its canonical spelling
/// (`" stop!\u{0}"` is `STOP`): what is stored is one of a fixed few words, never the raw text.
pub fn keyword(text: &str) -> Option<(OptOutAction, &'static str)> {
    let word = text.trim_matches(|c: char| !c.is_alphanumeric());
    // The longest keyword is 11 characters; anything longer cannot match (and is not uppercased).
    if word.len() > 11 {
        return None;
    }
    let word = word.to_ascii_uppercase();
    if let Some(k) = OPT_OUT.iter().find(|k| **k == word) {
        Some((OptOutAction::OptOut, k))
    } else {
        OPT_IN.iter().find(|k| **k == word).map(|k| (OptOutAction::OptIn, *k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptOutAction::{OptIn, OptOut};

    #[test]
    fn keywords_are_stored_in_their_canonical_spelling() {
        assert_eq!(keyword("  Stop!\u{0}"), Some((OptOut, "STOP")));
        assert_eq!(keyword("unstop."), Some((OptIn, "UNSTOP")));
        assert_eq!(keyword("stop it"), None);
    }

    #[test]
    fn classifies_whole_message_keywords_only() {
        let cases: &[(&str, Option<OptOutAction>)] = &[
            ("STOP", Some(OptOut)),
            ("stop", Some(OptOut)),
            ("  Stop!  ", Some(OptOut)),
            ("\"stop.\"", Some(OptOut)),
            ("StopAll", Some(OptOut)),
            ("unsubscribe", Some(OptOut)),
            ("Cancel", Some(OptOut)),
            ("end", Some(OptOut)),
            ("QUIT\n", Some(OptOut)),
            ("START", Some(OptIn)),
            ("start.", Some(OptIn)),
            ("Unstop", Some(OptIn)),
            ("please don't stop calling", None),
            ("stop it", None),
            ("STOP ALL", None),
            ("stopp", None),
            ("s t o p", None),
            ("", None),
            ("!!!", None),
            ("hello", None),
            ("ｓｔｏｐ", None),
            ("unsubscribe-me-please-now", None),
        ];
        for (text, want) in cases {
            assert_eq!(classify(text), *want, "text {text:?}");
        }
    }
}
