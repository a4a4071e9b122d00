use super::{
    decode, encode, substitutable, token, CUSTOMER as CUSTOMER_TOKEN, MARKER, NUMBER as NUMBER_TOKEN, PHRASES,
    PHRASE_FINDER, REMEMBERED,
};

const NUMBER: &str = "+14155552000";
const CUSTOMER: &str = "+12062000000";

/// Decisions as the routing function writes them (taken from a production-shape run).
fn samples() -> Vec<String> {
    vec![
        r#"{"destination":null,"matched":{"rule":"unrouted"},"via_assignment":null,"effective_number":"+14155552000","trace":[{"rule":"assignment","outcome":"skipped","reason":"+12062000000 has no assignment"},{"rule":"department","outcome":"skipped","reason":"+14155552000 has no department"},{"rule":"location","outcome":"skipped","reason":"+14155552000 has no location"},{"rule":"company_default","outcome":"skipped","reason":"the company has no default message destination"}]}"#.to_owned(),
        r#"{"destination":{"kind":"call","address":{"steps":[{"targets":["+14155550199"],"timeout_secs":20},{"targets":["+14155550198"],"timeout_secs":20}],"final_action":{"action":"hangup"}}},"matched":{"rule":"department","name":"Support","after_hours":false},"via_assignment":null,"effective_number":"+14155552000","trace":[{"rule":"assignment","outcome":"skipped","reason":"+12062000000 has no assignment"},{"rule":"department","outcome":"matched","reason":"department \"Support\" has no business hours: its call destination"}]}"#.to_owned(),
        r#"{"destination":{"kind":"message","address":"http://127.0.0.1:46629/hooks/support"},"matched":{"rule":"department","name":"Support","after_hours":false},"via_assignment":null,"effective_number":"+14155552000","trace":[{"rule":"assignment","outcome":"skipped","reason":"+12062000000 has no assignment"},{"rule":"department","outcome":"matched","reason":"department \"Support\" has no business hours: its message destination"}]}"#.to_owned(),
        // An assignment redirected it: another number than the row's.
        r#"{"destination":{"kind":"message","address":"https://example.com/sales"},"matched":{"rule":"department","name":"Sales","after_hours":true},"via_assignment":"+14155550111","effective_number":"+14155550111","trace":[{"rule":"assignment","outcome":"matched","reason":"+12062000000 is assigned to +14155550111; routing as if the event reached it"},{"rule":"department","outcome":"matched","reason":"department \"Sales\" is closed (America/Los_Angeles): its after-hours message destination"}]}"#.to_owned(),
    ]
}

#[test]
fn decisions_read_back_byte_for_byte_and_are_compact() {
    for json in samples() {
        let stored = encode(&json, NUMBER, CUSTOMER);
        assert!(stored.starts_with(MARKER), "{stored:?}");
        assert_eq!(decode(&stored, NUMBER, Some(CUSTOMER)), json);
        assert!(stored.len() * 2 < json.len(), "{} of {} bytes: {stored:?}", stored.len(), json.len());
    }
}

#[test]
fn plain_json_lines_read_as_they_are() {
    // Written before this format, or by a writer that stores plain JSON (reassignment lines).
    let json = r#"{"matched":{"rule":"unrouted"}}"#;
    assert_eq!(decode(json, NUMBER, None), json);
}

#[test]
fn any_number_and_customer_round_trip() {
    // Customers as Telnyx may send them: empty, with quotes (escaped in the JSON, so not found),
    // with control characters (left as they are), equal to the number, or a piece of a phrase.
    let customers = ["", "sip:\"bob\"@example.com", "a\u{1}b", "\u{1f}", NUMBER, "rule", "\"", "has", "+1", "}"];
    let numbers = [NUMBER, "+1", "", "skipped"];
    for json in samples() {
        for customer in customers {
            for number in numbers {
                let json = json.replace(CUSTOMER, &customer.replace('"', "\\\""));
                let stored = encode(&json, number, customer);
                assert_eq!(decode(&stored, number, Some(customer)), json, "{customer:?} {number:?}");
            }
        }
    }
}

#[test]
fn text_with_control_characters_is_kept_as_it_is() {
    // serde_json writes U+007F..U+009F raw, and one of them is a token.
    for odd in ["{\"reason\":\"a\u{2}b\"}", "{\"reason\":\"+12062000000 \u{7f}\u{80}\"}"] {
        assert_eq!(encode(odd, NUMBER, CUSTOMER), odd);
        assert_eq!(decode(odd, NUMBER, Some(CUSTOMER)), odd);
    }
}

/// The encoder of earlier releases: phrases first, then the number, then the customer.
fn earlier_release_encode(json: &str, number: &str, customer: &str) -> String {
    let tokens: Vec<String> = (0..PHRASES.len()).map(|i| token(i).to_string()).collect();
    let mut text = PHRASE_FINDER.replace_all(json, &tokens);
    if substitutable(number) {
        text = text.replace(number, NUMBER_TOKEN);
    }
    if substitutable(customer) {
        text = text.replace(customer, CUSTOMER_TOKEN);
    }
    format!("{MARKER}{text}")
}

#[test]
fn lines_written_by_earlier_releases_read_back() {
    for json in samples() {
        for (number, customer) in [(NUMBER, CUSTOMER), ("+1", CUSTOMER), (NUMBER, "rule"), ("skipped", "}")] {
            let json = json.replace(CUSTOMER, customer);
            let stored = earlier_release_encode(&json, number, customer);
            assert_eq!(decode(&stored, number, Some(customer)), json, "{number:?} {customer:?}");
        }
    }
}

#[test]
fn decisions_of_one_kind_are_one_stored_text_for_every_number_and_customer() {
    for json in samples() {
        let first = encode(&json, NUMBER, CUSTOMER);
        let (number, customer) = ("+14155552007", "+12069999999");
        let other = json.replace(NUMBER, number).replace(CUSTOMER, customer);
        let stored = encode(&other, number, customer);
        assert_eq!(stored, first);
        assert_eq!(decode(&stored, number, Some(customer)), other);
        assert_eq!(decode(&first, NUMBER, Some(CUSTOMER)), json);
    }
}

#[test]
fn more_kinds_than_a_thread_remembers_all_read_back() {
    // Three times what a thread remembers, twice over: passes forgotten, made again, remembered.
    let json = &samples()[2];
    for _ in 0..2 {
        for i in 0..3 * REMEMBERED {
            let kind = json.replace("Support", &format!("Support {i}"));
            let stored = encode(&kind, NUMBER, CUSTOMER);
            assert!(stored.starts_with(MARKER) && stored.len() * 2 < kind.len(), "{stored:?}");
            assert_eq!(decode(&stored, NUMBER, Some(CUSTOMER)), kind);
        }
    }
}
