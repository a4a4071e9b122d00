//! Routing data for the demo company (`switchboard demo` calls [`load_demo_routing`] after
//! [`demo::load`](crate::demo::load)): destinations per department and location, Support's
//! business hours, San Francisco / Los Angeles / New York area codes and one customer assignment.
use anyhow::Context;

use crate::domain::{CompanyId, PhoneNumber};
use crate::routing::{
    BusinessHours, CallDestination, ClockTime, Department, Destinations, Location, MessageDestination, Weekday,
    WeeklyInterval,
};
use crate::store::{NumberFilter, Store};

/// The customer assigned to the Sales number in the demo.
pub const DEMO_ASSIGNED_CUSTOMER: &str = "+14155550100";

fn destinations(slug: &str) -> anyhow::Result<Destinations> {
    Ok(Destinations {
        call: Some(CallDestination::parse(&format!("sip:{slug}@pbx.example.com"))?),
        message: Some(MessageDestination::parse(&format!("https://crm.example.com/hooks/{slug}"))?),
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
