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

    /// Makes the whole index agree with `numbers` (every live number) without emptying it first:
    /// a lookup meanwhile finds the old owner or the new one, never none.
    pub fn replace_all(&self, numbers: &[NumberRecord]) {
        let live: std::collections::HashMap<&PhoneNumber, &NumberRecord> =
            numbers.iter().filter(|n| n.status != NumberStatus::Deleted).map(|n| (&n.phone_number, n)).collect();
        self.owners.retain(|number, _| live.contains_key(number));
        for (number, n) in live {
            self.owners.insert(number.clone(), owner_of(n));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Features;

    fn record(company: CompanyId, number: &str, status: NumberStatus) -> NumberRecord {
        NumberRecord {
            id: PhoneNumberId::new(),
            company_id: company,
            phone_number: PhoneNumber::parse(number).expect("e164"),
            formatted_number: number.to_owned(),
            telnyx_phone_number_id: None,
            telnyx_messaging_profile_id: None,
            telnyx_connection_id: None,
            features: Features::default(),
            status,
            department: None,
            location: None,
            number_type: Default::default(),
            campaign_id: None,
            brand_id: None,
            usage: Default::default(),
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn replace_all_adds_moves_and_drops_numbers() {
        let (a, b) = (CompanyId::new(), CompanyId::new());
        let index = NumberIndex::new();
        index.load(&[record(a, "+14155550001", NumberStatus::Active), record(a, "+14155550002", NumberStatus::Active)]);
        index.replace_all(&[
            record(b, "+14155550002", NumberStatus::Active),
            record(a, "+14155550003", NumberStatus::Suspended),
            record(a, "+14155550004", NumberStatus::Deleted),
        ]);
        assert_eq!(index.owner("+14155550001"), None);
        assert_eq!(index.owner("+14155550002").map(|o| o.company_id), Some(b));
        assert_eq!(index.owner("+14155550003").map(|o| o.status), Some(NumberStatus::Suspended));
        assert_eq!(index.owner("+14155550004"), None);
        assert_eq!(index.len(), 2);
    }
}
