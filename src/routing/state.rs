//! A company's routing state: its numbers with their tags, departments, locations, default
//! destinations, customer assignments and opt-outs. Plain data that mirrors the database; the
//! decision functions treat stale references (an assignment to a number since deleted, a number
//! tagged with a department since removed) as "skip this rule", never as an error.
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::destinations::Destinations;
use super::rules::{Department, Location};
use crate::domain::{Feature, Features, NumberStatus, PhoneNumber, PhoneNumberId};

/// One of the company's numbers, as routing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRecord {
    pub id: PhoneNumberId,
    pub number: PhoneNumber,
    pub department: Option<String>,
    pub location: Option<String>,
    pub features: Features,
    pub status: NumberStatus,
}

impl NumberRecord {
    /// An active number with no department or location.
    pub fn new(id: PhoneNumberId, number: PhoneNumber, features: Features) -> Self {
        NumberRecord { id, number, department: None, location: None, features, status: NumberStatus::Active }
    }

    pub fn with_department(mut self, name: impl Into<String>) -> Self {
        self.department = Some(name.into());
        self
    }

    pub fn with_location(mut self, name: impl Into<String>) -> Self {
        self.location = Some(name.into());
        self
    }

    pub fn with_status(mut self, status: NumberStatus) -> Self {
        self.status = status;
        self
    }

    pub fn is_active(&self) -> bool {
        self.status == NumberStatus::Active
    }

    /// Active and able to do `feature`: may send or receive with it now.
    pub fn can(&self, feature: Feature) -> bool {
        self.is_active() && self.features.contains(feature)
    }
}

/// What happens to an inbound call that no rule routes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnroutedPolicy {
    /// Do nothing: Telnyx's own defaults for the number apply.
    #[default]
    Ignore,
    /// Hang the call up.
    Hangup,
}

/// Everything the routing functions need to know about one company.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompanyRouting {
    numbers: BTreeMap<PhoneNumber, NumberRecord>,
    departments: BTreeMap<String, Department>,
    locations: BTreeMap<String, Location>,
    default_destinations: Destinations,
    assignments: BTreeMap<PhoneNumber, PhoneNumber>,
    opt_outs: BTreeSet<PhoneNumber>,
    unrouted_policy: UnroutedPolicy,
    /// Numbers whose health is under the thresholds (see `routing::health`): automatic sender
    /// choice skips them.
    unhealthy: BTreeMap<PhoneNumber, String>,
}

impl CompanyRouting {
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `number` unhealthy, with the reason (a sender choice shows it).
    pub fn set_unhealthy(&mut self, number: PhoneNumber, reason: String) {
        self.unhealthy.insert(number, reason);
    }

    /// Why `number` is unhealthy; `None` when it is not.
    pub fn unhealthy_reason(&self, number: &PhoneNumber) -> Option<&str> {
        self.unhealthy.get(number).map(String::as_str)
    }

    /// Adds or replaces a number (keyed by its E.164 form).
    pub fn upsert_number(&mut self, record: NumberRecord) -> Option<NumberRecord> {
        self.numbers.insert(record.number.clone(), record)
    }

    pub fn remove_number(&mut self, number: &PhoneNumber) -> Option<NumberRecord> {
        self.numbers.remove(number)
    }

    /// The company's record for `number`, whatever its status.
    pub fn number(&self, number: &PhoneNumber) -> Option<&NumberRecord> {
        self.numbers.get(number)
    }

    /// Sets a number's department and location tags; `false` if it is not the company's.
    pub fn set_number_tags(
        &mut self,
        number: &PhoneNumber,
        department: Option<String>,
        location: Option<String>,
    ) -> bool {
        self.numbers.get_mut(number).map(|r| (r.department, r.location) = (department, location)).is_some()
    }

    /// Sets a number's status; `false` if it is not the company's.
    pub fn set_number_status(&mut self, number: &PhoneNumber, status: NumberStatus) -> bool {
        self.numbers.get_mut(number).map(|r| r.status = status).is_some()
    }

    /// All numbers in E.164 order.
    pub fn numbers(&self) -> impl Iterator<Item = &NumberRecord> {
        self.numbers.values()
    }

    /// Adds or replaces a department (keyed by name).
    pub fn upsert_department(&mut self, department: Department) -> Option<Department> {
        self.departments.insert(department.name.clone(), department)
    }

    pub fn remove_department(&mut self, name: &str) -> Option<Department> {
        self.departments.remove(name)
    }

    pub fn department(&self, name: &str) -> Option<&Department> {
        self.departments.get(name)
    }

    pub fn departments(&self) -> impl Iterator<Item = &Department> {
        self.departments.values()
    }

    /// Adds or replaces a location (keyed by name).
    pub fn upsert_location(&mut self, location: Location) -> Option<Location> {
        self.locations.insert(location.name.clone(), location)
    }

    pub fn remove_location(&mut self, name: &str) -> Option<Location> {
        self.locations.remove(name)
    }

    pub fn location(&self, name: &str) -> Option<&Location> {
        self.locations.get(name)
    }

    pub fn locations(&self) -> impl Iterator<Item = &Location> {
        self.locations.values()
    }

    pub fn set_default_destinations(&mut self, destinations: Destinations) {
        self.default_destinations = destinations;
    }

    pub fn default_destinations(&self) -> &Destinations {
        &self.default_destinations
    }

    /// Assigns `customer` to `number`, replacing any earlier assignment (which is returned).
    /// Not checked against the numbers: callers validate admin input; routing skips stale ones.
    pub fn assign(&mut self, customer: PhoneNumber, number: PhoneNumber) -> Option<PhoneNumber> {
        self.assignments.insert(customer, number)
    }

    pub fn unassign(&mut self, customer: &PhoneNumber) -> Option<PhoneNumber> {
        self.assignments.remove(customer)
    }

    /// The company number `customer` is assigned to, if any (possibly stale).
    pub fn assignment(&self, customer: &PhoneNumber) -> Option<&PhoneNumber> {
        self.assignments.get(customer)
    }

    pub fn assignments(&self) -> impl Iterator<Item = (&PhoneNumber, &PhoneNumber)> {
        self.assignments.iter()
    }

    /// Records that `customer` opted out; `true` if they had not already.
    pub fn opt_out(&mut self, customer: PhoneNumber) -> bool {
        self.opt_outs.insert(customer)
    }

    /// Clears an opt-out; `true` if there was one.
    pub fn opt_in(&mut self, customer: &PhoneNumber) -> bool {
        self.opt_outs.remove(customer)
    }

    pub fn is_opted_out(&self, customer: &PhoneNumber) -> bool {
        self.opt_outs.contains(customer)
    }

    pub fn opt_outs(&self) -> impl Iterator<Item = &PhoneNumber> {
        self.opt_outs.iter()
    }

    pub fn set_unrouted_policy(&mut self, policy: UnroutedPolicy) {
        self.unrouted_policy = policy;
    }

    pub fn unrouted_policy(&self) -> UnroutedPolicy {
        self.unrouted_policy
    }
}
