//! Rule validation: each error names the field that failed.
use super::*;

/// Does the error kind match what a case expects?
type KindCheck = fn(&RuleErrorKind) -> bool;

/// Parses a department body the way the HTTP layer would: spec first, then `TryFrom`.
fn department_error(body: serde_json::Value) -> RuleError {
    let spec: DepartmentSpec = serde_json::from_value(body.clone()).unwrap();
    let err = Department::try_from(spec).unwrap_err();
    // Deserializing straight into the rule fails the same way, with the field in the message.
    let direct = serde_json::from_value::<Department>(body).unwrap_err().to_string();
    assert!(direct.contains(&err.to_string()), "{direct} vs {err}");
    err
}

fn with_hours(open: serde_json::Value) -> serde_json::Value {
    json!({"name": "Support", "hours": {"time_zone": "America/Los_Angeles", "open": open}})
}

#[test]
fn hours_errors_name_the_field() {
    let cases: Vec<(serde_json::Value, &str, KindCheck)> = vec![
        (
            with_hours(json!([
                {"day": "monday", "start": "09:00", "end": "12:00"},
                {"day": "tuesday", "start": "10:00", "end": "11:00"},
                {"day": "monday", "start": "11:59", "end": "13:00"}
            ])),
            "hours.open[2]",
            |k| matches!(k, RuleErrorKind::Overlap { day, other } if day == "monday" && other == "open[0]"),
        ),
        (
            with_hours(json!([
                {"day": "friday", "start": "10:00", "end": "11:00"},
                {"day": "friday", "start": "09:00", "end": "17:00"}
            ])),
            "hours.open[1]",
            |k| matches!(k, RuleErrorKind::Overlap { other, .. } if other == "open[0]"),
        ),
        (
            json!({"name": "S", "hours": {"time_zone": "America/Los_Angles", "open": []}}),
            "hours.time_zone",
            |k| matches!(k, RuleErrorKind::UnknownTimeZone(z) if z == "America/Los_Angles"),
        ),
        (with_hours(json!([{"day": "monday", "start": "9:00", "end": "17:00"}])), "hours.open[0].start", |k| {
            matches!(k, RuleErrorKind::InvalidTime(_))
        }),
        (with_hours(json!([{"day": "monday", "start": "09:00", "end": "24:30"}])), "hours.open[0].end", |k| {
            matches!(k, RuleErrorKind::InvalidTime(_))
        }),
        (with_hours(json!([{"day": "monday", "start": "17:00", "end": "09:00"}])), "hours.open[0].end", |k| {
            matches!(k, RuleErrorKind::EmptyInterval { .. })
        }),
        (with_hours(json!([{"day": "monday", "start": "09:00", "end": "09:00"}])), "hours.open[0].end", |k| {
            matches!(k, RuleErrorKind::EmptyInterval { .. })
        }),
        (
            json!({"name": "S", "hours": {"time_zone": "UTC", "open": [], "after_hours": {"call": "sip:nobody"}}}),
            "hours.after_hours.call",
            |k| matches!(k, RuleErrorKind::InvalidSipUri(_)),
        ),
        (
            json!({"name": "S", "destinations": {"message": "https://user:pw@backend.example.com/in"}}),
            "destinations.message",
            |k| matches!(k, RuleErrorKind::UrlWithUserInfo),
        ),
        (json!({"name": "S", "destinations": {"call": "4155550100"}}), "destinations.call", |k| {
            matches!(k, RuleErrorKind::InvalidPhoneNumber(_))
        }),
        (json!({"name": "  "}), "name", |k| matches!(k, RuleErrorKind::Empty)),
    ];
    for (body, field, kind_ok) in cases {
        let err = department_error(body.clone());
        assert_eq!(err.field(), field, "{body}: {err}");
        assert!(kind_ok(err.kind()), "{body}: {err:?}");
    }
}

#[test]
fn touching_intervals_and_end_of_day_are_valid() {
    let body = with_hours(json!([
        {"day": "monday", "start": "09:00", "end": "12:00"},
        {"day": "monday", "start": "12:00", "end": "24:00"},
        {"day": "tuesday", "start": "09:00", "end": "12:00"}
    ]));
    let d: Department = serde_json::from_value(body).unwrap();
    assert_eq!(d.hours.map(|h| h.open().len()), Some(3));
}

#[test]
fn call_destinations() {
    let valid = [
        ("sip:alice@example.com", "sip:alice@example.com"),
        ("SIP:alice@example.com", "sip:alice@example.com"),
        ("sips:alice@10.0.0.1:5061;transport=tls", "sips:alice@10.0.0.1:5061;transport=tls"),
        ("sip:+14155550100@sip.telnyx.com", "sip:+14155550100@sip.telnyx.com"),
        ("sip:bob@[2001:db8::1]:5060", "sip:bob@[2001:db8::1]:5060"),
        ("+14155550100", "+14155550100"),
        (" +1 (415) 555-0100 ", "+14155550100"),
    ];
    for (input, canonical) in valid {
        let d = CallDestination::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(d.as_str(), canonical);
        assert_eq!(serde_json::to_value(&d).unwrap(), canonical);
    }
    assert!(matches!(CallDestination::parse("+14155550100"), Ok(CallDestination::Number(_))));
    let long = format!("sip:{}@example.com", "a".repeat(250));
    let invalid = [
        "sip:",
        "sip:alice",
        "sip:@example.com",
        "sip:alice@",
        "sip:al ice@example.com",
        "sip:alice@exa\u{7}mple.com",
        "sip:alice@example.com:99999",
        "sip:alice@example.com:0",
        "sip:alice@example.com:http",
        "sip:a@b@example.com",
        "sip:alice@exam_ple.com",
        "sip:alice@[::1",
        "sip:<alice>@example.com",
        long.as_str(),
        "tel:+14155550100",
        "4155550100",
        "",
    ];
    for input in invalid {
        assert!(CallDestination::parse(input).is_err(), "{input:?} should be refused");
    }
    assert_eq!(CallDestination::parse(&long).unwrap_err().kind(), &RuleErrorKind::TooLong { max: 256 });
    assert!(serde_json::from_str::<CallDestination>("\"sip:alice\"").is_err());
}

#[test]
fn message_destinations() {
    let valid = [
        "https://backend.example.com/inbound",
        "https://backend.example.com:8443/inbound?company=1",
        "http://127.0.0.1:9000/hook",
        "http://localhost:9000/hook",
        "http://[::1]:9000/hook",
    ];
    for input in valid {
        let d = MessageDestination::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(serde_json::to_value(&d).unwrap(), d.as_str());
    }
    let invalid: [(&str, KindCheck); 7] = [
        ("https://ops:secret@backend.example.com/in", |k| matches!(k, RuleErrorKind::UrlWithUserInfo)),
        ("https://ops@backend.example.com/in", |k| matches!(k, RuleErrorKind::UrlWithUserInfo)),
        ("gopher://backend.example.com/in", |k| matches!(k, RuleErrorKind::InsecureUrl)),
        ("ftp://backend.example.com/in", |k| matches!(k, RuleErrorKind::InsecureUrl)),
        ("mailto:ops@example.com", |k| matches!(k, RuleErrorKind::UrlWithoutHost)),
        ("https://", |k| matches!(k, RuleErrorKind::InvalidUrl(_))),
        ("backend.example.com/in", |k| matches!(k, RuleErrorKind::InvalidUrl(_))),
    ];
    for (input, kind_ok) in invalid {
        let err = MessageDestination::parse(input).unwrap_err();
        assert!(kind_ok(err.kind()), "{input}: {err:?}");
    }
    // Found by the destination_url fuzz target: 1,000 typed bytes that percent-encode to 3,000 were
    // accepted, then the store could not read the rule back (it parses `as_str()` again).
    let grows = format!("https://backend.example.com/in?q={}", "é".repeat(500));
    assert!(grows.len() <= 2048);
    let err = MessageDestination::parse(&grows).unwrap_err();
    assert!(matches!(err.kind(), RuleErrorKind::TooLong { max: 2048 }), "{err:?}");
}

#[test]
fn location_area_codes() {
    let ok = json!({"name": "SF", "area_codes": ["415", "628"]});
    let l: Location = serde_json::from_value(ok).unwrap();
    assert!(l.serves_area_code("628") && !l.serves_area_code("212"));
    for bad in ["41", "4155", "015", "115", "911", "41a", ""] {
        let spec: LocationSpec = serde_json::from_value(json!({"name": "SF", "area_codes": ["415", bad]})).unwrap();
        let err = Location::try_from(spec).unwrap_err();
        assert_eq!(err.field(), "area_codes[1]", "{bad}");
        assert_eq!(err.kind(), &RuleErrorKind::InvalidAreaCode(bad.to_owned()));
    }
}

#[test]
fn rules_round_trip_through_json() {
    let company = company();
    for d in company.departments() {
        let back: Department = serde_json::from_value(serde_json::to_value(d).unwrap()).unwrap();
        assert_eq!(&back, d);
    }
    for l in company.locations() {
        let back: Location = serde_json::from_value(serde_json::to_value(l).unwrap()).unwrap();
        assert_eq!(&back, l);
    }
}
