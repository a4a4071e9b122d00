//! The routing log's decision as stored: compact text that decodes to the JSON it was made from,
//! byte for byte. Every routed event writes one (a `RoutingDecision` as JSON, ~470-520 bytes,
//! most of it the same key names, trace phrases, the company number and the customer over and
//! over), in the hot table `webhook_events`: the compact form is ~20-115 bytes, so each routed key
//! costs PostgreSQL that much less heap and WAL (docs/BENCHMARKS.md, 2026-12-05 third session).
//!
//! Format: [`MARKER`], then the JSON with
//! 1. each phrase of [`PHRASES`] replaced by its token (one pass, leftmost-longest);
//! 2. then every occurrence of the row's company number replaced by [`NUMBER`];
//! 3. then every occurrence of the row's customer replaced by [`CUSTOMER`].
//!
//! Tokens are control characters, which no phrase holds; a decision, number or customer that holds
//! one is left as it is (serde_json escapes U+0000..U+001F, so only U+007F..U+009F can occur). So
//! no token is in the text before the step that puts it there, and undoing the steps in reverse
//! order gives back exactly the original text. The number and the
//! customer are the row's own `phone_number` and `customer` columns, which the reader has beside
//! the decision. Lines written before this format (and by anything else that writes plain JSON)
//! start with `{`: they are read as they are. The other way round does not hold: during a rolling
//! upgrade a node of an earlier release cannot parse a compact line, so its routing-log answers
//! that include one fail (an error, nothing lost) until it is replaced.
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

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

/// The tokens as strings, in phrase order (what [`PHRASE_FINDER`] replaces each phrase with).
static PHRASE_TOKENS: LazyLock<Vec<String>> =
    LazyLock::new(|| (0..PHRASES.len()).map(|i| token(i).to_string()).collect());

/// A value that can stand for itself in the text: not empty, no control character.
fn substitutable(value: &str) -> bool {
    !value.is_empty() && !value.chars().any(char::is_control)
}

/// The compact form of `json` (a decision as serde_json wrote it) for the row whose company number
/// is `number` and whose customer is `customer`.
pub fn encode(json: &str, number: &str, customer: &str) -> String {
    if json.chars().any(char::is_control) {
        // serde_json escapes U+0000..U+001F but writes U+007F..U+009F as they are (a customer's
        // text may hold them): such a line is kept as it is, and reads back unchanged.
        return json.to_owned();
    }
    let mut text = PHRASE_FINDER.replace_all(json, &PHRASE_TOKENS);
    if substitutable(number) {
        text = text.replace(number, NUMBER);
    }
    if substitutable(customer) {
        text = text.replace(customer, CUSTOMER);
    }
    let mut out = String::with_capacity(text.len() + 1);
    out.push(MARKER);
    out.push_str(&text);
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
