//! What the far end of a leg does by itself, scripted per target by the test: answer as a person
//! or as an answering machine, or never answer and end with a cause (`timeout`, `user_busy`,
//! `no_answer`, `call_rejected`, ...). The script runs as soon as the leg exists, so its events
//! follow the leg's `call.initiated` in the answer to the command that created it; legs to
//! targets without a script ring until the test acts ([`super::TelnyxSim::answer_leg`],
//! [`super::TelnyxSim::hangup`]).
use std::collections::HashMap;

use super::calls::HangupCause;
use super::webhooks::Outgoing;
use super::World;

/// What a target does when a leg rings it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetScript {
    /// A person answers.
    Human,
    /// An answering machine answers (what detection reports, when the command asked for it).
    Machine,
    /// Nobody answers: the leg ends with this cause.
    End(HangupCause),
}

/// Scripts by target (E.164 number or SIP URI, as the command's `to` names it).
#[derive(Debug, Default)]
pub struct Scripts(HashMap<String, TargetScript>);

impl Scripts {
    pub fn set(&mut self, target: &str, script: TargetScript) {
        self.0.insert(target.to_owned(), script);
    }

    fn get(&self, target: &str) -> Option<TargetScript> {
        self.0.get(target).copied()
    }
}

impl World {
    /// Runs the scripts of the targets of `legs` (just created, in order): the events that follow.
    /// A leg no longer ringing (a sibling answered first) does nothing.
    pub(super) fn run_scripts(&mut self, legs: &[String]) -> Vec<Outgoing> {
        let mut events = Vec::new();
        for ccid in legs {
            let Some(to) = self.calls.get(ccid).map(|l| l.to.clone()) else { continue };
            match self.scripts.get(&to) {
                None => {}
                Some(TargetScript::End(cause)) => events.extend(self.end(ccid, cause, "callee")),
                Some(answer) => {
                    if let Some(l) = self.calls.get_mut(ccid) {
                        l.answered_by_machine = answer == TargetScript::Machine;
                    }
                    events.extend(self.remote_answer(ccid).unwrap_or_default());
                }
            }
        }
        events
    }
}
