//! [`ChainLeg`]: what the legs of an inbound call walking its destination chain carry in their
//! `client_state`, so that each leg's webhooks say which call, which chain and which step they
//! belong to, across restarts and nodes (Telnyx holds it, not switchboard's memory).
use std::fmt;

use crate::domain::{CompanyId, PhoneNumber};

/// An inbound call routed to a chain, and where in the chain the leg carrying this stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLeg {
    pub company: CompanyId,
    /// The id of the inbound `call.initiated` that started the chain (the chain's id).
    pub event_id: String,
    /// The company number the customer called.
    pub number: PhoneNumber,
    /// The caller ID the chain's targets see.
    pub from: PhoneNumber,
    /// The rule whose chain the call walks (looked up at each step).
    pub rule: RuleRef,
    pub at: ChainAt,
}

/// Where the leg stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainAt {
    /// The caller's leg, answered so that the first step can ring (its `call.answered` starts it).
    Answered,
    /// A leg of step `step` (from 0): a target's leg (or the caller's leg `caller_leg` itself,
    /// which a transfer marks too). Commands for the next step go to `caller_leg`.
    Step { step: u32, caller_leg: String },
    /// The caller's leg `caller_leg` in the chain's final action (every step failed).
    Final { phase: FinalPhase, caller_leg: String },
}

/// Where the caller's leg is in the final action; set by the command that started the phase, so
/// that its events (`call.speak.ended`, `call.recording.saved`) say what comes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalPhase {
    /// Hearing the announcement: hang up when it ends.
    Announcement,
    /// Hearing the voicemail greeting: record when it ends.
    Greeting,
    /// Being recorded: forward the recording when it is saved.
    Recording,
}

impl FinalPhase {
    fn code(self) -> &'static str {
        match self {
            FinalPhase::Announcement => "h",
            FinalPhase::Greeting => "g",
            FinalPhase::Recording => "r",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "h" => Some(FinalPhase::Announcement),
            "g" => Some(FinalPhase::Greeting),
            "r" => Some(FinalPhase::Recording),
            _ => None,
        }
    }
}

impl ChainAt {
    /// The caller's leg (that commands go to), once the chain started.
    pub fn caller_leg(&self) -> Option<&str> {
        match self {
            ChainAt::Answered => None,
            ChainAt::Step { caller_leg, .. } | ChainAt::Final { caller_leg, .. } => Some(caller_leg),
        }
    }
}

/// Which rule's chain: a department's or location's (in hours or after hours), or the company
/// default's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRef {
    pub kind: RuleKind,
    /// Empty for the company default.
    pub name: String,
    pub after_hours: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Department,
    Location,
    CompanyDefault,
}

impl RuleKind {
    fn code(self) -> char {
        match self {
            RuleKind::Department => 'd',
            RuleKind::Location => 'l',
            RuleKind::CompanyDefault => 'c',
        }
    }

    fn from_code(c: char) -> Option<Self> {
        match c {
            'd' => Some(RuleKind::Department),
            'l' => Some(RuleKind::Location),
            'c' => Some(RuleKind::CompanyDefault),
            _ => None,
        }
    }
}

/// `<company>|<a, s<step>, or h/g/r (final phase)>|<number>|<from>|<rule kind><0|1>|<name len>|<name>|<leg len>|<leg>|<event id>`
/// (after `sb1|chain|`): the name and the caller's leg are length-prefixed, the event id last.
impl fmt::Display for ChainLeg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (at, leg) = match &self.at {
            ChainAt::Answered => ("a".to_owned(), ""),
            ChainAt::Step { step, caller_leg } => (format!("s{step}"), caller_leg.as_str()),
            ChainAt::Final { phase, caller_leg } => (phase.code().to_owned(), caller_leg.as_str()),
        };
        let ChainLeg { company, event_id, number, from, rule, .. } = self;
        let (kind, after, name) = (rule.kind.code(), u8::from(rule.after_hours), &rule.name);
        write!(f, "{company}|{at}|{number}|{from}|{kind}{after}|{}|{name}|{}|{leg}|{event_id}", name.len(), leg.len())
    }
}

impl ChainLeg {
    /// Reads what [`fmt::Display`] wrote.
    pub(super) fn parse(text: &str) -> Option<ChainLeg> {
        let mut rest = text;
        let mut field = || -> Option<&str> {
            let (head, tail) = rest.split_once('|')?;
            rest = tail;
            Some(head)
        };
        let company = field()?.parse().ok()?;
        let at = field()?;
        let number = PhoneNumber::parse(field()?).ok()?;
        let from = PhoneNumber::parse(field()?).ok()?;
        let mut rule = field()?.chars();
        let (kind, after_hours) = match (rule.next().and_then(RuleKind::from_code), rule.next(), rule.next()) {
            (Some(kind), Some('0'), None) => (kind, false),
            (Some(kind), Some('1'), None) => (kind, true),
            _ => return None,
        };
        let name_len: usize = field()?.parse().ok()?;
        let (name, after) = (rest.get(..name_len)?, rest.get(name_len..)?.strip_prefix('|')?);
        let (leg_len, after) = after.split_once('|')?;
        let leg_len: usize = leg_len.parse().ok()?;
        let (leg, event_id) = (after.get(..leg_len)?, after.get(leg_len..)?.strip_prefix('|')?);
        let at = match at {
            "a" if leg.is_empty() => ChainAt::Answered,
            code if !leg.is_empty() && FinalPhase::from_code(code).is_some() => {
                ChainAt::Final { phase: FinalPhase::from_code(code)?, caller_leg: leg.to_owned() }
            }
            s => ChainAt::Step { step: s.strip_prefix('s')?.parse().ok()?, caller_leg: leg.to_owned() },
        };
        Some(ChainLeg {
            company,
            event_id: event_id.to_owned(),
            number,
            from,
            rule: RuleRef { kind, name: name.to_owned(), after_hours },
            at,
        })
    }

    /// The same call at step `step`, commanded through `caller_leg`.
    pub fn at_step(&self, step: u32, caller_leg: &str) -> ChainLeg {
        ChainLeg { at: ChainAt::Step { step, caller_leg: caller_leg.to_owned() }, ..self.clone() }
    }

    /// The same call in the final action's `phase`, commanded through `caller_leg`.
    pub fn at_final(&self, phase: FinalPhase, caller_leg: &str) -> ChainLeg {
        ChainLeg { at: ChainAt::Final { phase, caller_leg: caller_leg.to_owned() }, ..self.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::super::LegState;
    use super::*;

    fn leg(at: ChainAt, kind: RuleKind, name: &str) -> LegState {
        LegState::Chain(ChainLeg {
            company: "5b3c1d2e-0000-4000-8000-000000000001".parse().expect("uuid"),
            event_id: "ev|odd id".into(),
            number: PhoneNumber::parse("+14155550002").expect("e164"),
            from: PhoneNumber::parse("+13035550100").expect("e164"),
            rule: RuleRef { kind, name: name.into(), after_hours: kind == RuleKind::Location },
            at,
        })
    }

    #[test]
    fn telnyx_chain_legs_round_trip() {
        let long_leg = format!("v3:{}", "x".repeat(509));
        for state in [
            leg(ChainAt::Answered, RuleKind::Department, "Sales|West"),
            leg(ChainAt::Step { step: 3, caller_leg: "v3:abc|def".into() }, RuleKind::Location, "Zürich"),
            leg(ChainAt::Step { step: 0, caller_leg: long_leg }, RuleKind::CompanyDefault, ""),
            leg(ChainAt::Answered, RuleKind::Department, &"é".repeat(100)),
            leg(
                ChainAt::Final { phase: FinalPhase::Announcement, caller_leg: "v3:a".into() },
                RuleKind::Department,
                "S",
            ),
            leg(ChainAt::Final { phase: FinalPhase::Greeting, caller_leg: "v3:a".into() }, RuleKind::Location, "S"),
            leg(
                ChainAt::Final { phase: FinalPhase::Recording, caller_leg: "v3:a|b".into() },
                RuleKind::CompanyDefault,
                "",
            ),
        ] {
            let wire = state.client_state();
            assert_eq!(LegState::from_client_state(wire.as_str()), Some(state.clone()), "{state}");
        }
    }

    #[test]
    fn telnyx_broken_chain_legs_are_not_ours() {
        let good = leg(ChainAt::Step { step: 1, caller_leg: "v3:a".into() }, RuleKind::Department, "Sales").to_string();
        for bad in [
            good.replace("|s1|", "|x1|"),
            good.replace("|s1|", "|h1|"),
            good.replace("|s1|", "|r|").replace("|4|v3:a|", "|0||"),
            good.replace("|d0|", "|q0|"),
            good.replace("|d0|", "|d2|"),
            good.replace("|5|Sales|", "|9|Sales|"),
            good.replace("|4|v3:a|", "|99|v3:a|"),
            good.replace("+14155550002", "4155550002"),
            good.split("|v3:a").next().unwrap_or_default().to_owned(),
        ] {
            let wire = super::super::ClientState::encode(&bad);
            assert_eq!(LegState::from_client_state(wire.as_str()), None, "{bad}");
        }
    }
}
