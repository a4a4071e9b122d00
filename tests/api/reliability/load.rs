//! What the reliability cases send: one company with ten numbers, and events that each touch
//! exactly one counter (so the counters must sum to the distinct events sent).
use std::sync::Arc;

use switchboard::domain::{CompanyId, PhoneNumber};
use switchboard::store::{self, DynStore, NewNumber};

use super::sender::EventFn;
use crate::helpers::test_settings;
use crate::telnyx_events::{call_initiated, message_received, message_sent};

pub const CUSTOMER: &str = "+12065550100";

pub struct Tenant {
    pub store: DynStore,
    pub company: CompanyId,
    pub numbers: Vec<String>,
}

/// Migrates the database at `url` and creates the company and its numbers.
pub async fn tenant(url: &str) -> Tenant {
    let store = store::connect(&test_settings(url).database).await.expect("connect");
    store.migrate().await.expect("migrate");
    let company = CompanyId::new();
    store.create_company(company, "Reliability Co").await.expect("company");
    let numbers: Vec<String> = (0..10).map(|i| format!("+1415555{:04}", 2000 + i)).collect();
    for n in &numbers {
        store.insert_number(&NewNumber::new(company, PhoneNumber::parse(n).expect("e164"))).await.expect("number");
    }
    Tenant { store, company, numbers }
}

/// Event `i` of `case`: a message received, a message sent, an incoming or an outgoing call, on
/// one of the numbers in turn.
pub fn events(case: &str, numbers: &[String]) -> EventFn {
    let (case, numbers) = (case.to_owned(), numbers.to_vec());
    Arc::new(move |i| {
        let id = format!("{case}-{i}");
        let n = numbers[i % numbers.len()].as_str();
        match i % 4 {
            0 => message_received(&id, CUSTOMER, &[n], &[], "hi"),
            1 => message_sent(&id, n, CUSTOMER),
            2 => call_initiated(&id, CUSTOMER, n, "incoming"),
            _ => call_initiated(&id, n, CUSTOMER, "outgoing"),
        }
    })
}
