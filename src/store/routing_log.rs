//! What a page of the routing log is narrowed to (the SQL is in `rules_sql.rs`, with the rest of
//! the company's routing reads).
use chrono::{DateTime, Utc};

use super::conditions::{Arg, Conditions};
use super::page::RoutingLogKey;

/// Every field is optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoutingLogFilter {
    /// The company number the event reached.
    pub phone_number: Option<String>,
    /// The caller or sender.
    pub customer: Option<String>,
    /// forward, transfer, hangup or unrouted.
    pub outcome: Option<String>,
    /// Received at or after.
    pub since: Option<DateTime<Utc>>,
    /// Received before.
    pub until: Option<DateTime<Utc>>,
}

impl RoutingLogFilter {
    /// The filter and the keyset position as conditions after `$1` (company) and `$2` (limit).
    pub(crate) fn conditions(&self, after: Option<&RoutingLogKey>) -> Conditions {
        let mut c = Conditions::starting_at(3);
        c.add_opt("phone_number = ?", self.phone_number.clone().map(Arg::Text))
            .add_opt("customer = ?", self.customer.clone().map(Arg::Text))
            .add_opt("outcome = ?", self.outcome.clone().map(Arg::Text))
            .add_opt("received_at >= ?", self.since.map(Arg::Time))
            .add_opt("received_at < ?", self.until.map(Arg::Time));
        if let Some((at, event, number)) = after {
            c.add(
                "(received_at, event_id, phone_number) < (?, ?, ?)",
                [Arg::Time(*at), Arg::Text(event.clone()), Arg::Text(number.clone())],
            );
        }
        c
    }
}
