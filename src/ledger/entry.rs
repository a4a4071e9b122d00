//! What one event asks the ledger to commit.
use std::sync::Arc;

use crate::domain::{CompanyId, PhoneNumber, PhoneNumberId};
use crate::ledger::outbox_item::OutboxItem;

/// The usage counters of a number (columns of phone_numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    IncomingCalls,
    OutgoingCalls,
    SmsSent,
    SmsReceived,
}

impl Counter {
    pub const ALL: [Counter; 4] =
        [Counter::IncomingCalls, Counter::OutgoingCalls, Counter::SmsSent, Counter::SmsReceived];

    /// The value stored in webhook_events.counter.
    pub fn as_str(self) -> &'static str {
        match self {
            Counter::IncomingCalls => "incoming_calls",
            Counter::OutgoingCalls => "outgoing_calls",
            Counter::SmsSent => "sms_sent",
            Counter::SmsReceived => "sms_received",
        }
    }

    /// The phone_numbers column it adds to.
    pub fn column(self) -> &'static str {
        match self {
            Counter::IncomingCalls => "incoming_calls_count",
            Counter::OutgoingCalls => "outgoing_calls_count",
            Counter::SmsSent => "sms_sent_count",
            Counter::SmsReceived => "sms_received_count",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// +1 on `counter` of one number, unless (company, event id, number) was counted before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountKey {
    pub company_id: CompanyId,
    pub phone_number_id: PhoneNumberId,
    pub phone_number: PhoneNumber,
    pub counter: Counter,
    /// What routing decided for an inbound event at this number. It is stored on the key's own
    /// row, so a redelivery that counts nothing logs nothing either, and the line costs no
    /// second insert.
    pub route: Option<RouteLine>,
}

/// An event nobody can take (unknown number...), kept for an operator.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub event_type: String,
    pub reason: &'static str,
    pub payload: String,
}

/// What routing decided for an event at one number, for the admin's routing log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteLine {
    pub event_type: &'static str,
    /// RoutingDecision as JSON.
    pub decision: String,
    /// forward, transfer, hangup or unrouted.
    pub outcome: &'static str,
}

/// A STOP/START keyword from a customer: applied to the company's opt-outs after the commit.
#[derive(Debug, Clone, PartialEq)]
pub struct OptChange {
    pub company_id: CompanyId,
    pub customer: PhoneNumber,
    pub action: crate::routing::OptOutAction,
    pub keyword: String,
}

#[derive(Debug, Clone, Default)]
pub struct LedgerEntry {
    pub event_id: Arc<str>,
    pub counts: Vec<CountKey>,
    pub dead_letter: Option<DeadLetter>,
    pub outbox: Vec<OutboxItem>,
    pub opt_changes: Vec<OptChange>,
}

impl LedgerEntry {
    pub fn new(event_id: Arc<str>) -> Self {
        Self { event_id, ..Default::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.dead_letter.is_none() && self.outbox.is_empty()
    }

    pub fn merge(&mut self, other: LedgerEntry) {
        self.counts.extend(other.counts);
        if self.dead_letter.is_none() {
            self.dead_letter = other.dead_letter;
        }
        self.outbox.extend(other.outbox);
        self.opt_changes.extend(other.opt_changes);
    }
}

/// What a committed batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Count keys that were new and applied.
    pub counted: u64,
    /// Count keys that were already there (redeliveries).
    pub duplicates: u64,
}
