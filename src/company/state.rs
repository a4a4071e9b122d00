//! A company's state as its actor holds it, and the pure bookkeeping per event.
use std::collections::HashMap;

use crate::domain::{CompanyId, NumberStatus, PhoneNumber, PhoneNumberId};
use crate::ledger::{CountKey, LedgerEntry};
use crate::store::NumberRecord;

use super::facts::{EventFacts, Target};

#[derive(Debug, Clone)]
pub struct CompanyState {
    pub company_id: CompanyId,
    numbers: HashMap<PhoneNumber, (PhoneNumberId, NumberStatus)>,
}

impl CompanyState {
    pub fn new(company_id: CompanyId, numbers: &[NumberRecord]) -> Self {
        let numbers = numbers
            .iter()
            .filter(|n| n.company_id == company_id && n.status != NumberStatus::Deleted)
            .map(|n| (n.phone_number.clone(), (n.id, n.status)))
            .collect();
        Self { company_id, numbers }
    }

    pub fn owns(&self, number: &PhoneNumber) -> bool {
        self.numbers.contains_key(number)
    }

    /// The ledger entry for an event at `targets` (numbers the owner index gave this company).
    /// A target the company no longer owns is left out.
    pub fn ingest(&self, facts: &EventFacts, targets: &[Target]) -> LedgerEntry {
        let mut entry = LedgerEntry::new(facts.event_id.clone());
        for t in targets {
            if let Some((id, _status)) = self.numbers.get(&t.number) {
                entry.counts.push(CountKey {
                    company_id: self.company_id,
                    phone_number_id: *id,
                    phone_number: t.number.clone(),
                    counter: t.counter,
                });
            }
        }
        entry
    }
}
