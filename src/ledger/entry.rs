//! What one event asks the ledger to commit.
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::{CompanyId, PhoneNumber, PhoneNumberId};
use crate::ledger::outbox_item::OutboxItem;

/// The usage counters of a number: the four of phone_numbers (and of its daily rollup), the
/// delivery outcomes of its messages per recipient (`message.finalized`) and the outcomes of its
/// calls (`call.hangup`), these two in the daily rollup only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Counter {
    IncomingCalls,
    OutgoingCalls,
    SmsSent,
    SmsReceived,
    /// A recipient got the message.
    Delivered,
    /// A recipient did not get it, for a cause other than the three below (or none given).
    Failed,
    /// ...because the carrier took it for spam or blocked it (40002, 40003, 40015).
    FailedSpam,
    /// ...because of throughput limits (40011, 40014).
    FailedThroughput,
    /// ...because the destination is invalid or unreachable (40001, 40012).
    FailedDestination,
    /// A call of the company's ended without having been answered.
    CallUnanswered,
    /// A call ended after it had been answered, lasting at least `number_health.short_call_secs`
    /// (or of unknown length).
    CallAnswered,
    /// A call ended after it had been answered, less than `number_health.short_call_secs` after it
    /// started.
    CallShort,
    /// No counter: the key only dedupes the event, so that its side effects are queued once
    /// (the `call.answered` of a call switchboard answered, already counted as incoming).
    Uncounted,
}

impl Counter {
    /// The value stored in webhook_events.counter.
    pub fn as_str(self) -> &'static str {
        match self {
            Counter::IncomingCalls => "incoming_calls",
            Counter::OutgoingCalls => "outgoing_calls",
            Counter::SmsSent => "sms_sent",
            Counter::SmsReceived => "sms_received",
            Counter::Delivered => "delivered",
            Counter::Failed => "failed",
            Counter::FailedSpam => "failed_spam",
            Counter::FailedThroughput => "failed_throughput",
            Counter::FailedDestination => "failed_destination",
            Counter::CallUnanswered => "call_unanswered",
            Counter::CallAnswered => "call_answered",
            Counter::CallShort => "call_short",
            Counter::Uncounted => "none",
        }
    }

    /// A failed delivery, whatever its cause.
    pub fn is_failure(self) -> bool {
        matches!(self, Counter::Failed | Counter::FailedSpam | Counter::FailedThroughput | Counter::FailedDestination)
    }

    /// The counter of an ended call: whether it had been answered, and whether it was short.
    pub fn of_call_end(answered: bool, short: bool) -> Counter {
        match (answered, short) {
            (false, _) => Counter::CallUnanswered,
            (true, false) => Counter::CallAnswered,
            (true, true) => Counter::CallShort,
        }
    }

    /// The counter of a `message.finalized` recipient: its status (and the message's Telnyx error
    /// codes for a failure). `None` for a status that is not an outcome (delivery_unconfirmed,
    /// anything still in flight, anything unknown).
    pub fn of_delivery<'a>(status: &str, mut error_codes: impl Iterator<Item = &'a str>) -> Option<Counter> {
        match status {
            "delivered" => Some(Counter::Delivered),
            "delivery_failed" | "sending_failed" | "expired" => Some(
                error_codes
                    .find_map(|code| match code.trim() {
                        "40002" | "40003" | "40015" => Some(Counter::FailedSpam),
                        "40011" | "40014" => Some(Counter::FailedThroughput),
                        "40001" | "40012" => Some(Counter::FailedDestination),
                        _ => None,
                    })
                    .unwrap_or(Counter::Failed),
            ),
            _ => None,
        }
    }
}

/// +1 on `counter` of one number, unless (company, event id, number) was counted before. The key
/// decides whether the event's side effects are new too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountKey {
    pub company_id: CompanyId,
    pub phone_number_id: PhoneNumberId,
    pub phone_number: PhoneNumber,
    pub counter: Counter,
    /// The dedupe id of this key when it is not the event id: a `message.finalized` counts once
    /// per recipient, so its keys are `<event id>/<recipient>`.
    pub event_key: Option<Arc<str>>,
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
    /// The first of its numbers that no company owns (what an operator looks it up by).
    pub phone_number: Option<String>,
}

/// What routing decided for an event at one number, for the admin's routing log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteLine {
    pub event_type: &'static str,
    /// RoutingDecision as JSON.
    pub decision: String,
    /// forward, transfer, hangup or unrouted.
    pub outcome: &'static str,
    /// The customer (caller or sender) as Telnyx gave it, so the log can be filtered by customer.
    pub customer: String,
}

/// A STOP/START keyword from a customer, written to the company's opt-outs in the commit of the
/// event that carries it (only when the event's keys are new). Telnyx delivers out of order: the
/// change with the latest `occurred_at` per customer wins (on a tie, the later arrival).
#[derive(Debug, Clone, PartialEq)]
pub struct OptChange {
    pub company_id: CompanyId,
    pub customer: PhoneNumber,
    /// true: STOP (opted out); false: START (opted in again).
    pub opted_out: bool,
    /// The keyword's canonical spelling.
    pub keyword: &'static str,
    pub occurred_at: DateTime<Utc>,
}

/// What a status webhook (`message.sent`, `message.finalized`) says of a message the send queue
/// sent: written to its row in the event's commit when `key` (the count key carrying it) was new,
/// so a redelivery changes nothing. A final status is never taken back by a late `sent`. With no
/// message of that Telnyx id, the commit attaches it to the one message a stopped worker left
/// `unknown` from `from` to `to` (reconciliation), else keeps it for the worker that will record
/// the id (docs/SENDING.md). Each change is forwarded to the company's status URL, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatusChange {
    pub company_id: CompanyId,
    /// Telnyx's message id (`payload.id`).
    pub telnyx_id: String,
    /// sent, delivered, sending_failed, delivery_failed, delivery_unconfirmed or expired.
    pub status: &'static str,
    pub error_code: Option<String>,
    /// Telnyx's words for the error (`detail`, else `title`).
    pub error_detail: Option<String>,
    /// The sending number, E.164.
    pub from: String,
    /// The recipient, when the message has exactly one (reconciliation needs it).
    pub to: Option<String>,
    /// When Telnyx says the event happened (Unix ms): only messages queued before it reconcile.
    pub occurred_at_ms: i64,
    /// The dedupe id of the count key that carries the event.
    pub key: Arc<str>,
}

/// The queue's name of a Telnyx recipient status, when it is one the queue records.
pub fn queue_status(telnyx_status: &str) -> Option<&'static str> {
    Some(match telnyx_status {
        "sent" => "sent",
        "delivered" => "delivered",
        "sending_failed" => "sending_failed",
        "delivery_failed" => "delivery_failed",
        "delivery_unconfirmed" => "delivery_unconfirmed",
        "expired" => "expired",
        _ => return None,
    })
}

#[derive(Debug, Clone, Default)]
pub struct LedgerEntry {
    pub event_id: Arc<str>,
    /// When the event occurred (Telnyx's `data.occurred_at`; `None` when it has none): the same on
    /// every redelivery. On PostgreSQL its dedupe keys are stored in the partition of its UTC day
    /// ([`LedgerEntry::occurred_day`]), keyed in this order (migration 0028).
    pub occurred_at: Option<DateTime<Utc>>,
    pub counts: Vec<CountKey>,
    pub dead_letter: Option<DeadLetter>,
    pub outbox: Vec<OutboxItem>,
    pub opt_changes: Vec<OptChange>,
    pub message_statuses: Vec<MessageStatusChange>,
}

impl LedgerEntry {
    pub fn new(event_id: Arc<str>) -> Self {
        Self { event_id, ..Default::default() }
    }

    /// The UTC day the event occurred: its dedupe keys' partition on PostgreSQL.
    pub fn occurred_day(&self) -> Option<NaiveDate> {
        self.occurred_at.map(|t| t.date_naive())
    }
}

/// What a committed batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitStats {
    /// Count keys that were new and applied.
    pub counted: u64,
    /// Count keys that were already there (redeliveries).
    pub duplicates: u64,
    /// Per entry of the batch, in order: whether it was applied (see [`Committed`]).
    pub applied: Vec<bool>,
    /// Status webhooks that found their message by reconciliation (a Telnyx id a stopped worker
    /// never recorded, attached to the one `unknown` message it can belong to).
    pub reconciled: u64,
    /// Ids of the outbox items this commit inserted (an item already there is not among them).
    pub queued: Vec<uuid::Uuid>,
    /// Status changes this commit forwarded to a company's status URL (outbox items due now, not
    /// among `queued`: the worker's claim takes them).
    pub status_forwards: u64,
}

impl CommitStats {
    /// What the commit did with entry `i` of the batch.
    pub fn entry(&self, i: usize) -> Committed {
        if self.applied.get(i).copied().unwrap_or(true) {
            Committed::Applied
        } else {
            Committed::Duplicate
        }
    }
}

/// What the commit did with one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    /// One of its count keys was new (or it had none, as a dead letter): its counts, side effects
    /// and opt-out changes were applied.
    Applied,
    /// Every count key was there before (a redelivery): nothing changed.
    Duplicate,
}

/// Whether each entry of a batch was applied, given which count keys were new: an entry with no
/// count key is applied; one whose keys are all old, or whose keys another entry of the batch
/// carried first (the same event twice in a batch), is a duplicate.
pub fn applied_entries(entries: &[&LedgerEntry], new_entries: &std::collections::HashSet<usize>) -> Vec<bool> {
    entries.iter().enumerate().map(|(i, e)| e.counts.is_empty() || new_entries.contains(&i)).collect()
}
