//! Business hours: local wall-clock intervals across daylight-saving changes.
use super::*;

fn hours(zone: &str, open: serde_json::Value) -> BusinessHours {
    let spec = BusinessHoursSpec {
        time_zone: zone.to_owned(),
        open: serde_json::from_value(open).unwrap(),
        after_hours: DestinationsSpec::default(),
    };
    BusinessHours::try_from(spec).unwrap()
}

/// Open 09:00-17:00 every weekend day in Los Angeles; DST starts Sun 2026-03-08 and ends Sun 2026-11-01.
fn weekend_la() -> BusinessHours {
    hours(
        "America/Los_Angeles",
        json!([
            {"day": "saturday", "start": "09:00", "end": "17:00"},
            {"day": "sunday", "start": "09:00", "end": "17:00"}
        ]),
    )
}

#[test]
fn is_open_follows_local_time_across_dst() {
    let h = weekend_la();
    let cases = [
        // Saturday 2026-03-07, still PST (UTC-8): 09:00 local = 17:00 UTC.
        (utc(2026, 3, 7, 16, 59), false),
        (utc(2026, 3, 7, 17, 0), true),
        // Sunday 2026-03-08, PDT from 02:00 (UTC-7): 09:00 local = 16:00 UTC.
        (utc(2026, 3, 8, 15, 59), false),
        (utc(2026, 3, 8, 16, 0), true),
        (utc(2026, 3, 8, 23, 59), true),
        (utc(2026, 3, 9, 0, 0), false),
        // Saturday 2026-10-31, PDT: 09:00 local = 16:00 UTC.
        (utc(2026, 10, 31, 15, 59), false),
        (utc(2026, 10, 31, 16, 0), true),
        // Sunday 2026-11-01, PST from 02:00 (UTC-8): 09:00 local = 17:00 UTC.
        (utc(2026, 11, 1, 16, 0), false),
        (utc(2026, 11, 1, 16, 59), false),
        (utc(2026, 11, 1, 17, 0), true),
        (utc(2026, 11, 2, 0, 59), true),
        (utc(2026, 11, 2, 1, 0), false),
    ];
    for (at, open) in cases {
        assert_eq!(h.is_open(at), open, "at {at}");
    }
}

#[test]
fn end_of_day_and_touching_intervals() {
    let h = hours(
        "UTC",
        json!([
            {"day": "monday", "start": "00:00", "end": "12:00"},
            {"day": "monday", "start": "12:00", "end": "24:00"},
            {"day": "wednesday", "start": "22:00", "end": "24:00"}
        ]),
    );
    // Monday 2026-03-09.
    assert!(h.is_open(utc(2026, 3, 9, 0, 0)));
    assert!(h.is_open(utc(2026, 3, 9, 12, 0)));
    assert!(h.is_open(utc(2026, 3, 9, 23, 59)));
    assert!(!h.is_open(utc(2026, 3, 10, 0, 0)), "Tuesday is closed");
    assert!(h.is_open(utc(2026, 3, 11, 23, 59)));
    assert!(!h.is_open(utc(2026, 3, 11, 21, 59)));
}

#[test]
fn no_intervals_means_always_closed() {
    let h = hours("Europe/Berlin", json!([]));
    assert!(!h.is_open(utc(2026, 3, 9, 12, 0)));
}

#[test]
fn serializes_zone_name_and_clock_times() {
    let h = weekend_la();
    let json = serde_json::to_value(&h).unwrap();
    assert_eq!(json["time_zone"], "America/Los_Angeles");
    assert_eq!(json["open"][1], json!({"day": "sunday", "start": "09:00", "end": "17:00"}));
    let back: BusinessHours = serde_json::from_value(json).unwrap();
    assert_eq!(back, h);
}

#[test]
fn clock_time_parses_strictly() {
    assert_eq!(ClockTime::parse("00:00").unwrap().minutes(), 0);
    assert_eq!(ClockTime::parse("09:30").unwrap().minutes(), 570);
    assert_eq!(ClockTime::parse("24:00").unwrap(), ClockTime::END_OF_DAY);
    assert_eq!(ClockTime::from_hm(17, 5).unwrap().to_string(), "17:05");
    assert_eq!(ClockTime::from_hm(24, 1), None);
    for bad in ["9:00", "09:0", "0900", "24:01", "25:00", "12:60", "-1:00", "09:00 ", "ab:cd", ""] {
        assert!(
            matches!(ClockTime::parse(bad).unwrap_err().kind(), RuleErrorKind::InvalidTime(s) if s == bad),
            "{bad:?}"
        );
    }
}
