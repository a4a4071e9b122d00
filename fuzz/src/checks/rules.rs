//! The admin JSON bodies that hold routing rules, business hours and destinations.
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use switchboard::json_object::Object;
use switchboard::routes::admin::defaults::PutRoutingDefaults;
use switchboard::routes::admin::rules::{DepartmentBody, LocationBody};
use switchboard::routing::hours::parse_time_zone;
use switchboard::routing::rules::check_area_code;
use switchboard::routing::{
    BusinessHours, BusinessHoursSpec, CallChain, ClockTime, Department, DepartmentSpec, Destinations, DestinationsSpec,
    Location, LocationSpec, MessageRoute, RuleError,
};

use super::destination::{check_call_destination, check_message_destination};

/// Instants `is_open` is asked about: the fuzz clock and both sides of 2026's daylight-saving
/// changes in the US and the EU.
const INSTANTS: [i64; 9] = [
    1_764_064_800,
    1_772_953_199,
    1_772_953_200,
    1_774_745_999,
    1_774_746_000,
    1_792_889_999,
    1_792_890_000,
    1_793_512_799,
    1_793_512_800,
];

/// Input layout: the first line is the rule's name (the path segment, lossy UTF-8), the rest a
/// JSON body. The body is read as each admin body holding rules, hours or destinations (a
/// department, a location, the routing defaults, and business hours and destinations on their
/// own) the way the handlers read it (`JsonBody`: a JSON object only) and validated as they do. A
/// refusal names the field; what is accepted is well-formed, reads back the same from the store
/// and from the API's JSON, and passes or fails the forward policy by its rules. Returns how many
/// readings were accepted.
pub fn admin_rules(data: &[u8]) -> usize {
    let (name, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let name = String::from_utf8_lossy(name).into_owned();
    let mut accepted = 0;
    if let Some(b) = read::<DepartmentBody>(body) {
        let spec = DepartmentSpec { name: name.clone(), destinations: b.destinations, hours: b.hours };
        if let Some(d) = judged(Department::try_from(spec)) {
            check_department(&d);
            accepted += 1;
        }
    }
    if let Some(b) = read::<LocationBody>(body) {
        let spec = LocationSpec { name, destinations: b.destinations, hours: b.hours, area_codes: b.area_codes };
        if let Some(l) = judged(Location::try_from(spec)) {
            check_location(&l);
            accepted += 1;
        }
    }
    if let Some(b) = read::<PutRoutingDefaults>(body) {
        if let Some(d) = judged(Destinations::try_from(b.destinations)) {
            check_destinations(&d);
            accepted += 1;
        }
    }
    if let Some(spec) = read::<DestinationsSpec>(body) {
        if let Some(d) = judged(Destinations::try_from(spec)) {
            check_destinations(&d);
            accepted += 1;
        }
    }
    if let Some(spec) = read::<BusinessHoursSpec>(body) {
        if let Some(h) = judged(BusinessHours::try_from(spec)) {
            check_hours(&h);
            accepted += 1;
        }
    }
    accepted
}

/// As `JsonBody<T>` reads a request body.
fn read<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice::<Object<T>>(body).ok().map(|o| o.0)
}

/// A refusal answers 400 naming the field (`hours.open[2].end`) with a reason.
fn judged<T>(result: Result<T, RuleError>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(!e.field().is_empty(), "a refusal that names no field: {e}");
            assert!(!e.kind().to_string().is_empty(), "a refusal without a reason at {}", e.field());
            None
        }
    }
}

fn check_department(d: &Department) {
    check_name(&d.name);
    check_destinations(&d.destinations);
    d.hours.iter().for_each(check_hours);
    // The store keeps the name, each destination's text and the hours as JSON, and reads them
    // back through the same constructors.
    let stored = Department::new(d.name.clone(), stored_destinations(&d.destinations), stored_hours(&d.hours));
    assert_eq!(stored.as_ref(), Ok(d), "a stored department reads back differently");
    let json = serde_json::to_string(d).expect("a department serializes");
    assert_eq!(serde_json::from_str::<Department>(&json).ok().as_ref(), Some(d), "the API's JSON reads back: {json}");
}

fn check_location(l: &Location) {
    check_name(&l.name);
    check_destinations(&l.destinations);
    l.hours.iter().for_each(check_hours);
    for code in l.area_codes() {
        let b = code.as_bytes();
        let nanp = b.len() == 3 && b.iter().all(u8::is_ascii_digit) && b[0] >= b'2' && &b[1..] != b"11";
        assert!(nanp, "accepted area code {code:?}");
        assert!(l.serves_area_code(code));
        assert_eq!(check_area_code(code), Ok(()));
    }
    // The store keeps the area codes comma-separated.
    let codes = l.area_codes().join(",");
    let codes = codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect();
    let stored = Location::new(l.name.clone(), stored_destinations(&l.destinations), stored_hours(&l.hours), codes);
    assert_eq!(stored.as_ref(), Ok(l), "a stored location reads back differently");
    let json = serde_json::to_string(l).expect("a location serializes");
    assert_eq!(serde_json::from_str::<Location>(&json).ok().as_ref(), Some(l), "the API's JSON reads back: {json}");
}

/// Trimmed, 1 to 100 characters, no control characters.
fn check_name(name: &str) {
    assert_eq!(name, name.trim(), "an untrimmed name");
    assert!((1..=100).contains(&name.chars().count()), "name of {} characters", name.chars().count());
    assert!(!name.chars().any(char::is_control), "a control character in {name:?}");
}

fn check_destinations(d: &Destinations) {
    d.call.iter().flat_map(|c| c.targets()).for_each(|(_, _, t)| check_call_destination(t));
    if let Some(route) = &d.message {
        std::iter::once(route.url()).chain(route.alternates()).for_each(check_message_destination);
    }
    assert_eq!(&stored_destinations(d), d);
}

fn stored_destinations(d: &Destinations) -> Destinations {
    Destinations {
        call: d
            .call
            .as_ref()
            .map(|c| CallChain::from_stored(&c.to_stored()).expect("a stored call destination reads back")),
        message: d.message.as_ref().map(|m| {
            let stored = m.to_stored();
            MessageRoute::from_stored(&stored)
                .unwrap_or_else(|e| panic!("stored message destination {stored} does not read back: {e}"))
        }),
    }
}

fn stored_hours(h: &Option<BusinessHours>) -> Option<BusinessHours> {
    h.as_ref().map(|h| {
        let json = serde_json::to_string(h).expect("hours serialize");
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("stored hours {json} do not read back: {e}"))
    })
}

/// Intervals inside one day, start before end, not overlapping on a day; the time zone by its
/// IANA name; `is_open` answers for any instant.
fn check_hours(h: &BusinessHours) {
    for (i, a) in h.open().iter().enumerate() {
        assert!(a.start() < a.end() && a.end() <= ClockTime::END_OF_DAY, "interval {i}: {a:?}");
        for t in [a.start(), a.end()] {
            assert_eq!(ClockTime::parse(&t.to_string()), Ok(t), "time {t} reads back");
        }
        for (j, b) in h.open()[..i].iter().enumerate() {
            let overlap = a.day == b.day && a.start() < b.end() && b.start() < a.end();
            assert!(!overlap, "intervals {j} and {i} overlap: {b:?} {a:?}");
        }
    }
    assert_eq!(parse_time_zone(h.time_zone().name()), Ok(h.time_zone()));
    check_destinations(h.after_hours());
    for secs in INSTANTS {
        let now = DateTime::<Utc>::from_timestamp(secs, 0).expect("a valid instant");
        let open = h.is_open(now);
        assert!(!open || !h.open().is_empty(), "open at {now} without an interval");
    }
}
