//! A company's state as its actor holds it, and the pure bookkeeping per event: the counters it
//! touches, the routing decision, the side effects that follow and the routing log line.
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::facts::{EventFacts, FactKind, Target};
use crate::config::RoutingSettings;
use crate::domain::{CompanyId, PhoneNumber};
use crate::ledger::entry::MessageStatusChange;
use crate::ledger::outbox_item::OutboxItem;
use crate::ledger::side_effects::ForwardedMessage;
use crate::ledger::{decision_codec, CountKey, LedgerEntry, OptChange, RouteLine};
use crate::routing::{
    decide, opt_out_keyword, CompanyRouting, Destination, EventKind, InboundEvent, OptOutAction, RoutingDecision,
};

mod calls;
mod chain;
mod chain_final;

pub use chain::{ChainEvent, LegOutcome, RingGroups};

#[derive(Debug, Clone)]
pub struct CompanyState {
    pub company_id: CompanyId,
    /// The company's live numbers, rules, defaults and assignments, as the database holds them.
    routing: CompanyRouting,
    /// The operator's call policy (caller ID and ring time of transfers).
    calls: RoutingSettings,
    /// Ring groups' failed legs (shared by the states an actor holds over time).
    ring_groups: RingGroups,
}

impl CompanyState {
    pub fn new(company_id: CompanyId, routing: CompanyRouting, calls: RoutingSettings) -> Self {
        Self { company_id, routing, calls, ring_groups: RingGroups::default() }
    }

    /// Keeps what `previous` remembers of live calls (on a reload of the rules).
    pub fn keep_live_calls(mut self, previous: &CompanyState) -> Self {
        self.ring_groups = previous.ring_groups.clone();
        self
    }

    /// Sets (`Some`) or removes one customer's assignment.
    pub fn assign(&mut self, customer: PhoneNumber, number: Option<PhoneNumber>) {
        match number {
            Some(number) => self.routing.assign(customer, number),
            None => self.routing.unassign(&customer),
        };
    }

    /// Whether `number` is one of the company's live numbers.
    pub fn owns(&self, number: &PhoneNumber) -> bool {
        self.routing.number(number).is_some()
    }

    /// The ledger entry for an event at `targets` (numbers the owner index gave this company).
    /// A target the company no longer owns is left out. Inbound events are routed at `now`.
    pub fn ingest(&self, facts: &EventFacts, targets: &[Target], now: DateTime<Utc>) -> LedgerEntry {
        self.ingest_observed(facts, targets, now).0
    }

    /// [`CompanyState::ingest`], and what the event did to a call chain (for the metrics).
    pub fn ingest_observed(
        &self,
        facts: &EventFacts,
        targets: &[Target],
        now: DateTime<Utc>,
    ) -> (LedgerEntry, Vec<ChainEvent>) {
        let mut events = Vec::new();
        let mut entry = LedgerEntry::new(facts.event_id.clone());
        entry.occurred_at = facts.occurred_at;
        for t in targets {
            let Some(phone_number_id) = self.routing.number(&t.number).map(|n| n.id) else { continue };
            let route = match facts.kind {
                FactKind::MessageReceived => Some(self.route_message(facts, &t.number, now, &mut entry)),
                FactKind::CallIncoming => Some(self.route_call(facts, &t.number, now, &mut entry)),
                FactKind::CallAnswered => {
                    self.transfer_answered(facts, &mut entry, &mut events);
                    None
                }
                FactKind::ChainLegEnded => {
                    self.chain_leg_ended(facts, &mut entry, &mut events);
                    None
                }
                FactKind::ChainMachine => {
                    self.chain_machine(facts, &mut entry, &mut events);
                    None
                }
                FactKind::ChainSpoken => {
                    self.chain_spoken(facts, &mut entry);
                    None
                }
                FactKind::ChainRecordingSaved => {
                    self.chain_recording_saved(facts, &mut entry, &mut events);
                    None
                }
                FactKind::MessageSent | FactKind::CallOutgoing | FactKind::MessageFinalized | FactKind::CallEnded => {
                    None
                }
            };
            entry.counts.push(CountKey {
                company_id: self.company_id,
                phone_number_id,
                phone_number: t.number.clone(),
                counter: t.counter,
                event_key: t.recipient.as_ref().map(|r| Arc::from(format!("{}/{r}", facts.event_id))),
                route,
            });
        }
        if let (Some(d), Some(key)) = (&facts.delivery, entry.counts.first()) {
            entry.message_statuses.push(MessageStatusChange {
                company_id: self.company_id,
                telnyx_id: d.telnyx_id.clone(),
                status: d.status,
                error_code: d.error_code.clone(),
                error_detail: d.error_detail.clone(),
                from: e164(&facts.from),
                to: match facts.to.as_slice() {
                    [one] => Some(e164(one)),
                    _ => None,
                },
                occurred_at_ms: facts.occurred_at.unwrap_or(now).timestamp_millis(),
                key: key.event_key.clone().unwrap_or_else(|| facts.event_id.clone()),
            });
        }
        (entry, events)
    }

    fn route_message(
        &self,
        facts: &EventFacts,
        to: &PhoneNumber,
        now: DateTime<Utc>,
        entry: &mut LedgerEntry,
    ) -> RouteLine {
        if let (Some((action, keyword)), Ok(customer)) =
            (facts.text.as_deref().and_then(opt_out_keyword), PhoneNumber::parse(&facts.from))
        {
            // Written in the event's commit. Inbound routing does not read opt-outs; outbound
            // sends read them from the database.
            if !entry.opt_changes.iter().any(|c| c.customer == customer) {
                entry.opt_changes.push(OptChange {
                    company_id: self.company_id,
                    customer,
                    opted_out: action == OptOutAction::OptOut,
                    keyword,
                    occurred_at: facts.occurred_at.unwrap_or(now),
                });
            }
        }
        let event = InboundEvent { kind: EventKind::Message, from: facts.from.clone(), to: to.clone() };
        let decision = decide(&event, &self.routing, now);
        let outcome = match &decision.destination {
            Some(Destination::Message(dest)) => {
                let message = ForwardedMessage {
                    from: facts.from.clone(),
                    to: to.to_string(),
                    text: facts.text.clone().unwrap_or_default(),
                    media_urls: facts.media_urls.clone(),
                    message_type: if facts.media_urls.is_empty() && facts.media_count == 0 { "SMS" } else { "MMS" }
                        .into(),
                };
                let item = OutboxItem::forward_message(
                    self.company_id,
                    &facts.event_id,
                    facts.event_type,
                    facts.occurred_at.unwrap_or(now),
                    &message,
                    &decision,
                    dest,
                )
                .in_time_order(facts.occurred_at);
                // Two of the company's numbers among the recipients that route to one
                // destination: it gets the message once (its id is the event's).
                if !entry.outbox.iter().any(|i| i.id == item.id) {
                    entry.outbox.push(item);
                }
                "forward"
            }
            _ => "unrouted",
        };
        line(facts, to, &decision, outcome)
    }
}

/// A number as the queue stores it (E.164), or as Telnyx wrote it when it is not one.
fn e164(raw: &str) -> String {
    PhoneNumber::parse(raw).map_or_else(|_| raw.to_owned(), |p| p.as_str().to_owned())
}

/// The routing log line of a decision at company number `to` (the line's key), its decision in
/// the compact stored form (`ledger::decision_codec`).
fn line(facts: &EventFacts, to: &PhoneNumber, decision: &RoutingDecision, outcome: &'static str) -> RouteLine {
    let json = serde_json::to_string(decision).unwrap_or_else(|_| "{}".into());
    RouteLine {
        event_type: facts.event_type,
        decision: decision_codec::encode(&json, to.as_str(), &facts.from),
        outcome,
        customer: facts.from.clone(),
    }
}

#[cfg(test)]
mod tests;
