//! The demo company from the product's own examples, loaded by `switchboard demo`.
use uuid::Uuid;

use crate::domain::{CompanyId, PhoneNumber};
use crate::store::{CompanySettings, NewNumber, Store, StoreError};

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
    settings.default_outbound_phone_number_id = Some(sales.id);
    store.put_settings(DEMO_COMPANY_ID, &CompanySettings { ..settings }).await?;
    Ok(format!(
        "demo company {DEMO_COMPANY_NAME} ({DEMO_COMPANY_ID}) {}: {} numbers ({added} added), default outbound {}",
        if created { "created" } else { "already present" },
        numbers.len(),
        sales.phone_number
    ))
}
