//! The owner index: which company owns each live phone number, in memory, kept in step with the
//! database (loaded at start-up, refreshed on every change of a company's numbers).
use dashmap::DashMap;

use crate::domain::{CompanyId, NumberStatus, PhoneNumber, PhoneNumberId};
use crate::metrics::NUMBER_INDEX_SIZE;
use crate::store::{NumberRecord, StoreResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub company_id: CompanyId,
    pub phone_number_id: PhoneNumberId,
    pub status: NumberStatus,
}

#[derive(Default)]
pub struct NumberIndex {
    owners: DashMap<PhoneNumber, Owner>,
}

impl NumberIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// The owner of an E.164 number (no allocation).
    pub fn owner(&self, number: &str) -> Option<Owner> {
        self.owners.get(number).map(|o| *o)
    }

    /// Replaces the whole index with `numbers` (start-up).
    pub fn load(&self, numbers: &[NumberRecord]) {
        self.owners.clear();
        for n in numbers.iter().filter(|n| n.status != NumberStatus::Deleted) {
            self.owners.insert(n.phone_number.clone(), owner_of(n));
        }
        metrics::gauge!(NUMBER_INDEX_SIZE).set(self.owners.len() as f64);
    }

    /// Makes the index agree with `numbers`, the company's current numbers.
    pub fn replace_company(&self, company: CompanyId, numbers: &[NumberRecord]) {
        self.owners.retain(|number, o| o.company_id != company || numbers.iter().any(|n| &n.phone_number == number));
        for n in numbers {
            if n.status == NumberStatus::Deleted {
                self.owners.remove_if(&n.phone_number, |_, o| o.phone_number_id == n.id);
            } else {
                self.owners.insert(n.phone_number.clone(), owner_of(n));
            }
        }
        metrics::gauge!(NUMBER_INDEX_SIZE).set(self.owners.len() as f64);
    }

    pub fn len(&self) -> usize {
        self.owners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }
}

fn owner_of(n: &NumberRecord) -> Owner {
    Owner { company_id: n.company_id, phone_number_id: n.id, status: n.status }
}

/// Loads the index from the store.
pub async fn load_index(index: &NumberIndex, store: &dyn crate::store::Store) -> StoreResult<()> {
    let numbers = store.live_numbers().await?;
    index.load(&numbers);
    Ok(())
}
