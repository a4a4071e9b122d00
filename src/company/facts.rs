//! The owned facts of one webhook event that company actors need (the parsed envelope borrows
//! from the request body, which stays with the HTTP worker).
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::PhoneNumber;
use crate::ledger::Counter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    MessageReceived,
    MessageSent,
    CallIncoming,
    CallOutgoing,
}

#[derive(Debug, Clone)]
pub struct EventFacts {
    pub event_id: Arc<str>,
    pub event_type: &'static str,
    pub kind: FactKind,
    pub occurred_at: Option<DateTime<Utc>>,
    /// The other party (the customer for inbound events), as Telnyx sent it.
    pub from: String,
    /// Every number the event reached (recipients of a message, the called number).
    pub to: Vec<String>,
    pub text: Option<String>,
    pub media_count: usize,
    pub media_urls: Vec<String>,
    pub call_control_id: Option<String>,
}

/// One of a company's numbers an event touches, and the counter it adds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub number: PhoneNumber,
    pub counter: Counter,
}
