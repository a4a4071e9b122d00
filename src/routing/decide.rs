//! The routing decision: a pure function of (event, company state, clock).
//!
//! Order: the customer's assignment (route as if the event reached the assigned number), then
//! that number's department, its location, the company default, else unrouted. A department or
//! location with business hours uses its after-hours destinations while closed. A step without a
//! destination for the event's kind is skipped, and the trace says why.
use chrono::{DateTime, Utc};

use super::decision::{
    EventKind, InboundEvent, MatchedRule, Outcome, RoutingDecision, RuleAttempt, RuleStep,
};
use super::destinations::{Destination, Destinations};
use super::hours::BusinessHours;
use super::state::CompanyRouting;
use crate::domain::PhoneNumber;

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Call => "call",
            EventKind::Message => "message",
        }
    }
}

/// Decides where `event` goes at `now`. Deterministic: the same inputs give the same decision, so
/// `/routing/explain` shows exactly what an event would get.
pub fn decide(
    event: &InboundEvent,
    company: &CompanyRouting,
    now: DateTime<Utc>,
) -> RoutingDecision {
    let mut trace = Trace(Vec::with_capacity(4));
    let via_assignment = assignment(event, company, &mut trace);
    let effective_number = via_assignment.clone().unwrap_or_else(|| event.to.clone());
    let record = company.number(&effective_number);
    let not_ours = || format!("{effective_number} is not one of the company's numbers");

    let department = match record {
        None => trace.skip(RuleStep::Department, not_ours()),
        Some(r) => match r.department.as_deref() {
            None => trace.skip(
                RuleStep::Department,
                format!("{effective_number} has no department"),
            ),
            Some(name) => {
                let found = company.department(name).map(|d| Rule {
                    destinations: &d.destinations,
                    hours: d.hours.as_ref(),
                });
                try_rule(
                    RuleStep::Department,
                    name,
                    found,
                    event.kind,
                    now,
                    &mut trace,
                )
            }
        },
    };
    let (destination, matched) = match department {
        Some((dest, name, after_hours)) => {
            (Some(dest), MatchedRule::Department { name, after_hours })
        }
        None => {
            let location = match record {
                None => trace.skip(RuleStep::Location, not_ours()),
                Some(r) => match r.location.as_deref() {
                    None => trace.skip(
                        RuleStep::Location,
                        format!("{effective_number} has no location"),
                    ),
                    Some(name) => {
                        let found = company.location(name).map(|l| Rule {
                            destinations: &l.destinations,
                            hours: l.hours.as_ref(),
                        });
                        try_rule(RuleStep::Location, name, found, event.kind, now, &mut trace)
                    }
                },
            };
            match location {
                Some((dest, name, after_hours)) => {
                    (Some(dest), MatchedRule::Location { name, after_hours })
                }
                None => company_default(company.default_destinations(), event.kind, &mut trace),
            }
        }
    };
    RoutingDecision {
        destination,
        matched,
        via_assignment,
        effective_number,
        trace: trace.0,
    }
}

struct Trace(Vec<RuleAttempt>);

impl Trace {
    fn push(&mut self, rule: RuleStep, outcome: Outcome, reason: String) {
        self.0.push(RuleAttempt {
            rule,
            outcome,
            reason,
        });
    }

    /// Records a skipped step; returns `None` so callers can use it as "no match".
    fn skip<T>(&mut self, rule: RuleStep, reason: String) -> Option<T> {
        self.push(rule, Outcome::Skipped, reason);
        None
    }
}

/// The assigned number, when the customer has an assignment to an active company number.
fn assignment(
    event: &InboundEvent,
    company: &CompanyRouting,
    trace: &mut Trace,
) -> Option<PhoneNumber> {
    let step = RuleStep::Assignment;
    let Ok(customer) = PhoneNumber::parse(&event.from) else {
        return trace.skip(
            step,
            format!("the sender {:?} is not an E.164 number", event.from),
        );
    };
    let Some(assigned) = company.assignment(&customer) else {
        return trace.skip(step, format!("{customer} has no assignment"));
    };
    match company.number(assigned) {
        None => trace.skip(
            step,
            format!("{customer} is assigned to {assigned}, which is no longer the company's"),
        ),
        Some(r) if !r.is_active() => trace.skip(
            step,
            format!(
                "{customer} is assigned to {assigned}, which is {}",
                r.status
            ),
        ),
        Some(_) => {
            trace.push(
                step,
                Outcome::Matched,
                format!("{customer} is assigned to {assigned}; routing as if the event reached it"),
            );
            Some(assigned.clone())
        }
    }
}

/// A department or location, as far as routing cares.
struct Rule<'a> {
    destinations: &'a Destinations,
    hours: Option<&'a BusinessHours>,
}

/// The destination of a named department or location, its name, and whether it was after hours.
fn try_rule(
    step: RuleStep,
    name: &str,
    found: Option<Rule<'_>>,
    kind: EventKind,
    now: DateTime<Utc>,
    trace: &mut Trace,
) -> Option<(Destination, String, bool)> {
    let what = match step {
        RuleStep::Location => "location",
        _ => "department",
    };
    let Some(rule) = found else {
        return trace.skip(step, format!("{what} {name:?} does not exist"));
    };
    let (destinations, after_hours, when) = match rule.hours {
        None => (rule.destinations, false, "has no business hours".to_owned()),
        Some(h) if h.is_open(now) => (
            rule.destinations,
            false,
            format!("is open ({})", h.time_zone().name()),
        ),
        Some(h) => (
            h.after_hours(),
            true,
            format!("is closed ({})", h.time_zone().name()),
        ),
    };
    let which = if after_hours { "after-hours " } else { "" };
    match destinations.get(kind) {
        None => trace.skip(
            step,
            format!(
                "{what} {name:?} {when} and has no {which}{} destination",
                kind.as_str()
            ),
        ),
        Some(dest) => {
            trace.push(
                step,
                Outcome::Matched,
                format!(
                    "{what} {name:?} {when}: its {which}{} destination",
                    kind.as_str()
                ),
            );
            Some((dest, name.to_owned(), after_hours))
        }
    }
}

fn company_default(
    defaults: &Destinations,
    kind: EventKind,
    trace: &mut Trace,
) -> (Option<Destination>, MatchedRule) {
    let step = RuleStep::CompanyDefault;
    match defaults.get(kind) {
        Some(dest) => {
            trace.push(
                step,
                Outcome::Matched,
                format!("the company's default {} destination", kind.as_str()),
            );
            (Some(dest), MatchedRule::CompanyDefault)
        }
        None => {
            trace.push(
                step,
                Outcome::Skipped,
                format!("the company has no default {} destination", kind.as_str()),
            );
            (None, MatchedRule::Unrouted)
        }
    }
}
