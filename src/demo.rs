//! The demo company from the product's own examples, loaded by `switchboard demo`: its numbers
//! ([`load`]), then its routing data ([`load_demo_routing`]): destinations per department and
//! location, Support's business hours, San Francisco / Los Angeles / New York area codes and one
//! customer assignment.
use anyhow::Context;
use uuid::Uuid;

use crate::domain::{CompanyId, PhoneNumber};
use crate::routing::{
    BusinessHours, CallChain, CallDestination, ClockTime, Department, Destinations, Location, MessageDestination,
    Weekday, WeeklyInterval,
};
use crate::store::{CompanySettings, NewNumber, NumberFilter, Store, StoreError};

/// Fixed so that loading the demo twice finds the same company.
pub const DEMO_COMPANY_ID: CompanyId = CompanyId::from_uuid(Uuid::from_u128(0x5752_a705_de30_4000_8000_0000_0000_0001));
pub const DEMO_COMPANY_NAME: &str = "Stratos Demo";

/// (number, department, location)
pub const DEMO_NUMBERS: [(&str, Option<&str>, Option<&str>); 6] = [
    ("+18314280176", Some("Sales"), None),
    ("+14155551234", Some("Support"), None),
    ("+16505555678", Some("Emergency"), None),
    ("+14155550001", None, Some("San Francisco")),
    ("+12135550002", None, Some("Los Angeles")),
    ("+12125550003", None, Some("New York")),
];

/// Creates what is missing of the demo company; returns a one-line summary.
pub async fn load(store: &dyn Store) -> anyhow::Result<String> {
    let created = match store.create_company(DEMO_COMPANY_ID, DEMO_COMPANY_NAME).await {
        Ok(_) => true,
        Err(StoreError::Conflict(_)) => false,
        Err(e) => return Err(e.into()),
    };
    let existing = store.list_numbers(DEMO_COMPANY_ID, Default::default()).await?;
    let mut added = 0;
    for (number, department, location) in DEMO_NUMBERS {
        let phone = PhoneNumber::parse(number)?;
        if existing.iter().any(|n| n.phone_number == phone) {
            continue;
        }
        let mut new = NewNumber::new(DEMO_COMPANY_ID, phone);
        new.department = department.map(str::to_owned);
        new.location = location.map(str::to_owned);
        store.insert_number(&new).await?;
        added += 1;
    }
    let numbers = store.list_numbers(DEMO_COMPANY_ID, Default::default()).await?;
    let sales = numbers
        .iter()
        .find(|n| n.department.as_deref() == Some("Sales"))
        .ok_or_else(|| anyhow::anyhow!("demo Sales number missing"))?;
    let mut settings = store.get_settings(DEMO_COMPANY_ID).await?;
    settings.default_outbound_number = Some(sales.phone_number.clone());
    settings.default_outbound_number_id = Some(sales.id);
    settings.default_outbound_phone_number_id = sales.telnyx_phone_number_id.clone();
    store.put_settings(DEMO_COMPANY_ID, &CompanySettings { ..settings }).await?;
    Ok(format!(
        "demo company {DEMO_COMPANY_NAME} ({DEMO_COMPANY_ID}) {}: {} numbers ({added} added), default outbound {}",
        if created { "created" } else { "already present" },
        numbers.len(),
        sales.phone_number
    ))
}

/// The customer assigned to the Sales number in the demo.
pub const DEMO_ASSIGNED_CUSTOMER: &str = "+14155550100";

fn destinations(slug: &str) -> anyhow::Result<Destinations> {
    Ok(Destinations {
        call: Some(CallChain::single(CallDestination::parse(&format!("sip:{slug}@pbx.example.com"))?)),
        message: Some(MessageDestination::parse(&format!("https://crm.example.com/hooks/{slug}"))?.into()),
    })
}

fn support_hours() -> anyhow::Result<BusinessHours> {
    let (open, close) = (ClockTime::parse("09:00")?, ClockTime::parse("17:00")?);
    let days = [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday];
    let intervals = days.into_iter().map(|d| WeeklyInterval::new(d, open, close)).collect::<Result<Vec<_>, _>>()?;
    Ok(BusinessHours::new(chrono_tz::America::Los_Angeles, intervals, destinations("emergency")?)?)
}

/// Writes the demo routing data (idempotent: every write is an upsert). Returns a summary line.
pub async fn load_demo_routing(store: &dyn Store, company: CompanyId) -> anyhow::Result<String> {
    for (name, slug) in [("Sales", "sales"), ("Support", "support"), ("Emergency", "emergency")] {
        let hours = if name == "Support" { Some(support_hours()?) } else { None };
        store.upsert_department(company, &Department::new(name.into(), destinations(slug)?, hours)?).await?;
    }
    let locations = [
        ("San Francisco", "san-francisco", ["415", "628"]),
        ("Los Angeles", "los-angeles", ["213", "323"]),
        ("New York", "new-york", ["212", "646"]),
    ];
    for (name, slug, codes) in locations {
        let codes = codes.iter().map(|c| c.to_string()).collect();
        store.upsert_location(company, &Location::new(name.into(), destinations(slug)?, None, codes)?).await?;
    }
    let numbers = store.list_numbers(company, NumberFilter::default()).await?;
    let sales = numbers
        .iter()
        .find(|n| n.department.as_deref() == Some("Sales"))
        .context("the demo company has no Sales number; load the demo company first")?;
    let customer = PhoneNumber::parse(DEMO_ASSIGNED_CUSTOMER)?;
    store.set_assignment(company, &customer, sales.id, &sales.phone_number).await?;
    store.get_routing_defaults(company).await?;
    Ok(format!(
        "demo routing: 3 departments (Support open Mon-Fri 09:00-17:00 America/Los_Angeles), 3 locations, \
         {customer} assigned to {}",
        sales.phone_number
    ))
}
