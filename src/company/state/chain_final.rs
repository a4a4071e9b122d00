//! The end of a call chain: a machine that answered a step, and the final action after the last
//! step. Each command is queued in the commit that acknowledges the event that causes it, keyed by
//! (chain, move) with a command id from (chain, move), like the steps ([`super::chain`]):
//!
//! - `call.machine.detection.ended` `machine` on a step's leg (detection on): hang that leg up and
//!   ring the next step (or run the final action), once however often the result arrives.
//! - Final action `hangup`: speak the announcement with the caller's leg at
//!   [`FinalPhase::Announcement`]; its `call.speak.ended` hangs up (no announcement: hang up now).
//! - Final action `voicemail`: speak the greeting ([`FinalPhase::Greeting`]); its
//!   `call.speak.ended` starts the recording ([`FinalPhase::Recording`]; no greeting: record now);
//!   its `call.recording.saved` forwards the recording URL to the voicemail URL as a signed
//!   forward, one per call.
//!
//! A speech that ended because the caller hung up (`status` `call_hangup`) moves nothing.
use super::chain::{ChainEvent, LegOutcome};
use super::CompanyState;
use crate::company::facts::EventFacts;
use crate::ledger::chain_items::{ChainCall, ChainMove, Voicemail, VoicemailBody};
use crate::ledger::outbox_item::OutboxItem;
use crate::ledger::LedgerEntry;
use crate::routing::{CallChain, FinalAction};
use crate::telnyx::client_state::{ChainAt, ChainLeg, FinalPhase, LegState};

impl CompanyState {
    /// The first command of `action` for the caller's leg.
    pub(super) fn final_action(
        &self,
        leg: &ChainLeg,
        action: &FinalAction,
        caller_leg: &str,
        facts: &EventFacts,
    ) -> OutboxItem {
        let call = self.chain_call(leg, facts, caller_leg, ChainMove::Final);
        let state = |phase| LegState::Chain(leg.at_final(phase, caller_leg));
        match action {
            FinalAction::Hangup { announcement: None } => OutboxItem::chain_hangup(&call, caller_leg),
            FinalAction::Hangup { announcement: Some(text) } => {
                OutboxItem::chain_speak(&call, text, &state(FinalPhase::Announcement))
            }
            FinalAction::Voicemail { greeting: Some(text), .. } => {
                OutboxItem::chain_speak(&call, text, &state(FinalPhase::Greeting))
            }
            FinalAction::Voicemail { greeting: None, .. } => {
                OutboxItem::chain_record(&call, &state(FinalPhase::Recording))
            }
        }
    }

    /// A step's leg was answered by a machine: hang it up, ring the next step.
    pub(super) fn chain_machine(&self, facts: &EventFacts, entry: &mut LedgerEntry, events: &mut Vec<ChainEvent>) {
        let (Some(leg), Some(machine_leg)) = (self.own_chain_leg(facts), facts.call_control_id.as_deref()) else {
            return;
        };
        let ChainAt::Step { step, caller_leg } = &leg.at else { return };
        let call = self.chain_call(leg, facts, caller_leg, ChainMove::MachineHangup(*step));
        entry.outbox.push(OutboxItem::chain_hangup(&call, machine_leg));
        events.push(ChainEvent::LegEnded(LegOutcome::Machine));
        self.move_to(leg, step + 1, caller_leg, facts, entry, events);
    }

    /// The announcement or the greeting was spoken: hang up, or record.
    pub(super) fn chain_spoken(&self, facts: &EventFacts, entry: &mut LedgerEntry) {
        let Some(leg) = self.own_chain_leg(facts) else { return };
        let ChainAt::Final { phase, caller_leg } = &leg.at else { return };
        match phase {
            FinalPhase::Announcement => {
                let call = self.chain_call(leg, facts, caller_leg, ChainMove::FinalHangup);
                entry.outbox.push(OutboxItem::chain_hangup(&call, caller_leg));
            }
            FinalPhase::Greeting => {
                let call = self.chain_call(leg, facts, caller_leg, ChainMove::Record);
                let state = LegState::Chain(leg.at_final(FinalPhase::Recording, caller_leg));
                entry.outbox.push(OutboxItem::chain_record(&call, &state));
            }
            FinalPhase::Recording => {}
        }
    }

    /// The voicemail was saved: forward its URL (facts' `media_urls`) to the chain's voicemail URL.
    pub(super) fn chain_recording_saved(
        &self,
        facts: &EventFacts,
        entry: &mut LedgerEntry,
        events: &mut Vec<ChainEvent>,
    ) {
        let Some(leg) = self.own_chain_leg(facts) else { return };
        let ChainAt::Final { phase: FinalPhase::Recording, caller_leg } = &leg.at else { return };
        let Some(recording_url) = facts.media_urls.first() else { return };
        let Some(FinalAction::Voicemail { url, .. }) = self.chain_of(leg).map(CallChain::final_action) else {
            // The rule lost its voicemail since the call came in: nowhere to send it.
            tracing::warn!(company = %self.company_id, "chain: a voicemail was saved but its rule has no voicemail URL now");
            events.push(ChainEvent::Voicemail("no_destination"));
            return;
        };
        let body = VoicemailBody {
            event_id: &facts.event_id,
            event_type: "call.voicemail",
            company_id: self.company_id,
            occurred_at: facts.occurred_at.unwrap_or_else(chrono::Utc::now),
            voicemail: Voicemail {
                recording_url,
                caller_id: leg.from.as_str(),
                number: leg.number.as_str(),
                call_id: &leg.event_id,
            },
        };
        let call = self.chain_call(leg, facts, caller_leg, ChainMove::Voicemail);
        entry.outbox.push(OutboxItem::chain_voicemail(&call, url, &body));
        events.push(ChainEvent::Voicemail("forwarded"));
    }

    /// The event's chain leg, when it is this company's.
    fn own_chain_leg<'a>(&self, facts: &'a EventFacts) -> Option<&'a ChainLeg> {
        match &facts.leg_state {
            Some(LegState::Chain(leg)) if leg.company == self.company_id => Some(leg),
            _ => None,
        }
    }

    fn chain_call<'a>(
        &self,
        leg: &'a ChainLeg,
        facts: &'a EventFacts,
        caller_leg: &'a str,
        to: ChainMove,
    ) -> ChainCall<'a> {
        ChainCall { company: self.company_id, event_id: &facts.event_id, chain_id: &leg.event_id, caller_leg, to }
    }
}
