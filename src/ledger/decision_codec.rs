//! The routing log's decision as stored: compact text that decodes to the JSON it was made from,
//! byte for byte. Every routed event writes one (a `RoutingDecision` as JSON, ~470-520 bytes,
//! most of it the same key names, trace phrases, the company number and the customer over and
//! over), in the hot table `webhook_events`: the compact form is ~20-115 bytes, so each routed key
//! costs PostgreSQL that much less heap and WAL (docs/BENCHMARKS.md, 2026-12-05 third session).
//!
//! Format: [`MARKER`], then the JSON with occurrences of the row's company number replaced by
//! [`NUMBER`], of the row's customer by [`CUSTOMER`], and of each phrase of [`PHRASES`] by its
//! token, none overlapping another. The encoder replaces the number, then the customer, then the
//! phrases (one pass, leftmost-longest); lines written by earlier releases replaced the phrases
//! first, which reads back the same way.
//!
//! Tokens are control characters, which no phrase, number or customer holds; a decision, number or
//! customer that holds one is left as it is (serde_json escapes U+0000..U+001F, so only
//! U+007F..U+009F can occur). So every token in a line was put there by the encoder for one known
//! text, and expanding each token gives back exactly the original text, whatever the order of the
//! replacements was. The number and the
//! customer are the row's own `phone_number` and `customer` columns, which the reader has beside
//! the decision. Lines written before this format (and by anything else that writes plain JSON)
//! start with `{`: they are read as they are. The other way round does not hold: during a rolling
//! upgrade a node of an earlier release cannot parse a compact line, so its routing-log answers
//! that include one fail (an error, nothing lost) until it is replaced.
//!
//! Once the number and the customer are tokens, the decisions of one kind are the same text for
//! every event (the production shape's hot company writes a handful of kinds), so each thread
//! remembers the last [`REMEMBERED`] phrase passes it made. A line of a kind seen before costs
//! ~1.3 us instead of ~4-5 us (`cargo bench --bench routing_log`; docs/BENCHMARKS.md, 2026-12-06
//! twelfth session).
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use rustc_hash::FxBuildHasher;

/// First character of a compact decision (JSON starts with `{`).
const MARKER: char = '\u{1}';
/// Stands for the row's company number.
const NUMBER: &str = "\u{1e}";
/// Stands for the row's customer.
const CUSTOMER: &str = "\u{1f}";

/// What routing decisions repeat: key names, fixed trace phrases, common values. The token of
/// phrase `i` is [`token`]`(i)`. Appending is safe; changing or removing a phrase breaks reading
/// the lines already written with it.
const PHRASES: [&str; 30] = [
    r#"{"destination":null,"matched":{"rule":"unrouted"},"via_assignment":null,"effective_number":""#,
    r#"{"destination":{"kind":"message","address":""#,
    r#"{"destination":{"kind":"call","address":{"steps":[{"targets":[""#,
    r#"{"destination":{"kind":"call","address":""#,
    r#""matched":{"rule":"department","name":""#,
    r#""matched":{"rule":"location","name":""#,
    r#""matched":{"rule":"company_default"},"via_assignment":null,"effective_number":""#,
    r#"","after_hours":false},"via_assignment":null,"effective_number":""#,
    r#"","after_hours":true},"via_assignment":null,"effective_number":""#,
    r#"","trace":[{"rule":"assignment","outcome":""#,
    r#"","trace":[{"rule":"assignment","outcome":"skipped","reason":""#,
    r#" has no assignment"},{"rule":"department","outcome":""#,
    r#""},{"rule":"department","outcome":""#,
    r#""},{"rule":"location","outcome":""#,
    r#""},{"rule":"company_default","outcome":""#,
    r#"skipped","reason":""#,
    r#"matched","reason":""#,
    r#" has no department"#,
    r#" has no location"#,
    r#"the company has no default "#,
    r#" destination"}]}"#,
    r#"\" has no business hours: its "#,
    r#""],"timeout_secs":"#,
    r#"},{"targets":[""#,
    r#"","after_hours":false},"via_assignment":""#,
    r#"","after_hours":true},"via_assignment":""#,
    r#"","effective_number":""#,
    r#" is assigned to "#,
    r#"; routing as if the event reached it"#,
    r#"): its after-hours "#,
];

/// The token of phrase `i`: U+0002..U+001D without tab, line feed and carriage return (so a
/// compact line stays readable in psql), then U+007F..U+0083 (control characters too).
fn token(i: usize) -> char {
    const TOKENS: [char; 30] = [
        '\u{2}', '\u{3}', '\u{4}', '\u{5}', '\u{6}', '\u{7}', '\u{8}', '\u{b}', '\u{c}', '\u{e}', '\u{f}', '\u{10}',
        '\u{11}', '\u{12}', '\u{13}', '\u{14}', '\u{15}', '\u{16}', '\u{17}', '\u{18}', '\u{19}', '\u{1a}', '\u{1b}',
        '\u{1c}', '\u{1d}', '\u{7f}', '\u{80}', '\u{81}', '\u{82}', '\u{83}',
    ];
    TOKENS[i]
}

static PHRASE_FINDER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(PHRASES).expect("fixed phrases build")
});

/// A value that can stand for itself in the text: not empty, no control character.
fn substitutable(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(char::is_control)
}

/// How many phrase passes each thread remembers (by the text they were made from); when it is
/// full it forgets them all. ~512 x ~0.6 KB per thread.
const REMEMBERED: usize = 512;

thread_local! {
    /// Text with the number and customer already tokens -> its stored form (marker included).
    static PHRASE_PASSES: RefCell<HashMap<String, String, FxBuildHasher>> = RefCell::default();
}

/// The compact form of `json` (a decision as serde_json wrote it) for the row whose company number
/// is `number` and whose customer is `customer`.
pub fn encode(json: &str, number: &str, customer: &str) -> String {
    if json.chars().any(char::is_control) {
        // serde_json escapes U+0000..U+001F but writes U+007F..U+009F as they are (a customer's
        // text may hold them): such a line is kept as it is, and reads back unchanged.
        return json.to_owned();
    }
    let mut text = Cow::Borrowed(json);
    for (value, token) in [(number, NUMBER), (customer, CUSTOMER)] {
        if substitutable(value) && text.contains(value) {
            text = Cow::Owned(text.replace(value, token));
        }
    }
    PHRASE_PASSES.with_borrow_mut(|passes| {
        if let Some(stored) = passes.get(text.as_ref()) {
            return stored.clone();
        }
        let stored = phrase_pass(&text);
        if passes.len() >= REMEMBERED {
            passes.clear();
        }
        passes.insert(text.into_owned(), stored.clone());
        stored
    })
}

/// The marker, then `text` with each phrase replaced by its token.
fn phrase_pass(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    out.push(MARKER);
    PHRASE_FINDER.replace_all_with(text, &mut out, |m, _, out| {
        out.push(token(m.pattern().as_usize()));
        true
    });
    out
}

/// The JSON `stored` was made from (`stored` itself when it is plain JSON); `number` and
/// `customer` are the row's.
pub fn decode(stored: &str, number: &str, customer: Option<&str>) -> String {
    let Some(text) = stored.strip_prefix(MARKER) else { return stored.to_owned() };
    let text = text.replace(CUSTOMER, customer.unwrap_or_default()).replace(NUMBER, number);
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        match (0..PHRASES.len()).find(|&i| token(i) == c) {
            Some(i) => out.push_str(PHRASES[i]),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
