//! Shared fixtures for the routing tests: a company shaped like the demo one.
mod chain;
mod decide;
mod hours;
mod schema;
mod sender;
mod validation;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::*;
use crate::domain::{Feature, Features, NumberStatus, PhoneNumber, PhoneNumberId};

pub(super) const SALES: &str = "+14155550001";
pub(super) const SUPPORT: &str = "+14155550002";
pub(super) const SF: &str = "+14155550003";
pub(super) const NY: &str = "+12125550004";
pub(super) const PLAIN: &str = "+16505550005";
pub(super) const SUSPENDED: &str = "+14155550006";
pub(super) const GHOST_DEPT: &str = "+14155550007";
pub(super) const MARKETING: &str = "+14155550008";
pub(super) const FOREIGN: &str = "+13125550000";

/// Customers: A is assigned to Sales, B to a suspended number, C to a number the company lost.
pub(super) const CUSTOMER_A: &str = "+14155550100";
pub(super) const CUSTOMER_B: &str = "+14155550101";
pub(super) const CUSTOMER_C: &str = "+14155550102";
pub(super) const STRANGER: &str = "+14085550199";

pub(super) fn pn(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).unwrap()
}

pub(super) fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// A stable id per number, so choices can be compared by id.
pub(super) fn id_of(number: &str) -> PhoneNumberId {
    PhoneNumberId::from_uuid(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, number.as_bytes()))
}

fn department(value: serde_json::Value) -> Department {
    let spec: DepartmentSpec = serde_json::from_value(value).unwrap();
    Department::try_from(spec).unwrap()
}

fn location(value: serde_json::Value) -> Location {
    let spec: LocationSpec = serde_json::from_value(value).unwrap();
    Location::try_from(spec).unwrap()
}

fn weekdays(start: &str, end: &str) -> serde_json::Value {
    let days = ["monday", "tuesday", "wednesday", "thursday", "friday"];
    days.iter().map(|d| json!({"day": d, "start": start, "end": end})).collect()
}

/// Sales (no hours), Support (Los Angeles, Mon-Fri 09:00-17:00, after hours: a call destination
/// only), Marketing (message destination only); San Francisco (415, 628) and New York (212, 646,
/// New York hours 08:00-18:00, after hours: call only); company defaults for both kinds.
pub(super) fn company() -> CompanyRouting {
    let mut c = CompanyRouting::new();
    let sms_voice: Features = [Feature::Sms, Feature::Voice].into_iter().collect();
    let records = [
        NumberRecord::new(id_of(SALES), pn(SALES), sms_voice).with_department("Sales").with_location("San Francisco"),
        NumberRecord::new(id_of(SUPPORT), pn(SUPPORT), Features::ALL)
            .with_department("Support")
            .with_location("San Francisco"),
        NumberRecord::new(id_of(SF), pn(SF), Features::ALL).with_location("San Francisco"),
        NumberRecord::new(id_of(NY), pn(NY), Features::ALL).with_location("New York"),
        NumberRecord::new(id_of(PLAIN), pn(PLAIN), Features::ALL),
        NumberRecord::new(id_of(SUSPENDED), pn(SUSPENDED), Features::ALL)
            .with_department("Sales")
            .with_status(NumberStatus::Suspended),
        NumberRecord::new(id_of(GHOST_DEPT), pn(GHOST_DEPT), Features::ALL).with_department("Billing"),
        NumberRecord::new(id_of(MARKETING), pn(MARKETING), Features::ALL)
            .with_department("Marketing")
            .with_location("San Francisco"),
    ];
    for r in records {
        c.upsert_number(r);
    }
    c.upsert_department(department(json!({
        "name": "Sales",
        "destinations": {"call": "sip:sales@pbx.example.com", "message": "https://backend.example.com/sales"}
    })));
    c.upsert_department(department(json!({
        "name": "Support",
        "destinations": {"call": "sip:support@pbx.example.com", "message": "https://backend.example.com/support"},
        "hours": {
            "time_zone": "America/Los_Angeles",
            "open": weekdays("09:00", "17:00"),
            "after_hours": {"call": "+14155559999"}
        }
    })));
    c.upsert_department(department(json!({
        "name": "Marketing",
        "destinations": {"message": "https://backend.example.com/marketing"}
    })));
    c.upsert_location(location(json!({
        "name": "San Francisco",
        "destinations": {"call": "sip:sf@pbx.example.com", "message": "https://backend.example.com/sf"},
        "area_codes": ["415", "628"]
    })));
    c.upsert_location(location(json!({
        "name": "New York",
        "destinations": {"call": "sip:ny@pbx.example.com", "message": "https://backend.example.com/ny"},
        "hours": {
            "time_zone": "America/New_York",
            "open": weekdays("08:00", "18:00"),
            "after_hours": {"call": "sip:ny-after@pbx.example.com"}
        },
        "area_codes": ["212", "646"]
    })));
    c.set_default_destinations(Destinations {
        call: Some(CallChain::single(CallDestination::parse("sip:reception@pbx.example.com").unwrap())),
        message: Some(MessageDestination::parse("https://backend.example.com/default").unwrap().into()),
    });
    c.assign(pn(CUSTOMER_A), pn(SALES));
    c.assign(pn(CUSTOMER_B), pn(SUSPENDED));
    c.assign(pn(CUSTOMER_C), pn(FOREIGN));
    c
}
