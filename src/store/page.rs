//! Keyset windows: how every list is read a page at a time. A window holds the sort key of the last
//! row already seen (none for the first page) and how many rows to read; each list's query reads
//! `WHERE <its filter, company first> AND key > $after ORDER BY key LIMIT $limit`, so every page
//! costs an index range scan, however deep it is. The key of each list is unique (the last row of a
//! page names one position) and is the order of an index.
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Companies: by id.
pub type CompanyKey = Uuid;
/// A company's numbers: by phone number, then id (a deleted number's row keeps its phone number).
pub type NumberKey = (String, Uuid);
/// Departments and locations: by name.
pub type RuleKey = String;
/// Assignments and opt-outs: by customer number.
pub type CustomerKey = String;
/// Tokens: in the order they were made.
pub type TokenKey = (DateTime<Utc>, Uuid);
/// The routing log, newest first: received_at, event id, phone number (an event logs a line per
/// company number it reached), all descending.
pub type RoutingLogKey = (DateTime<Utc>, String, String);
/// The outbox, newest first: created_at, id, both descending.
pub type OutboxKey = (DateTime<Utc>, Uuid);
/// Provisioning jobs, newest first: created_at, id, both descending.
pub type JobKey = (DateTime<Utc>, Uuid);
/// Dead letters, newest first: by id, descending (ids grow with each one stored).
pub type DeadLetterKey = i64;

/// Rows strictly after `after` in a list's order, at most `limit` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<K> {
    pub after: Option<K>,
    pub limit: i64,
}

impl<K> Window<K> {
    /// The first `limit` rows.
    pub fn first(limit: i64) -> Self {
        Window { after: None, limit }
    }

    /// Every row (what the daemon's own readers use: they need the whole company).
    pub fn all() -> Self {
        Window::first(i64::MAX)
    }

    /// The keyset condition `clause` when there is a position to start after, else nothing: the
    /// first page reads from the start of the index rather than through an `OR $n IS NULL` that a
    /// generic plan cannot turn into an index bound. Placeholders of the key come last, after the
    /// limit, so that a query binds them only when the clause is there.
    pub fn after_clause(&self, clause: &'static str) -> &'static str {
        if self.after.is_some() {
            clause
        } else {
            ""
        }
    }
}
