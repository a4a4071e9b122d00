//! The routing decision: a pure function of (event, company state, clock).
//!
//! Order: the customer's assignment (route as if the event reached the assigned number), then
//! that number's department, its location, the company default, else unrouted. A department or
//! location with business hours uses its after-hours destinations while closed. A step without a
//! destination for the event's kind is skipped, and the trace says why.
use chrono::{DateTime, Utc};

use super::decision::{EventKind, InboundEvent, MatchedRule, Outcome, RoutingDecision, RuleAttempt, RuleStep};
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
pub fn decide(event: &InboundEvent, company: &CompanyRouting, now: DateTime<Utc>) -> RoutingDecision {
    let mut trace = Trace(Vec::with_capacity(4));
    let via_assignment = assignment(event, company, &mut trace);
    let effective_number = via_assignment.clone().unwrap_or_else(|| event.to.clone());
    let record = company.number(&effective_number);
    let (kind, number) = (event.kind, &effective_number);

    let department = record.map(|r| r.department.as_deref());
    let lookup = |name: &str| company.department(name).map(|d| Rule::new(&d.destinations, d.hours.as_ref()));
    let mut found = tagged(RuleStep::Department, number, department, lookup, kind, now, &mut trace)
        .map(|(dest, name, after_hours)| (Some(dest), MatchedRule::Department { name, after_hours }));
    if found.is_none() {
        let location = record.map(|r| r.location.as_deref());
        let lookup = |name: &str| company.location(name).map(|l| Rule::new(&l.destinations, l.hours.as_ref()));
        found = tagged(RuleStep::Location, number, location, lookup, kind, now, &mut trace)
            .map(|(dest, name, after_hours)| (Some(dest), MatchedRule::Location { name, after_hours }));
    }
    let (destination, matched) =
        found.unwrap_or_else(|| company_default(company.default_destinations(), kind, &mut trace));
    RoutingDecision { destination, matched, via_assignment, effective_number, trace: trace.0 }
}

struct Trace(Vec<RuleAttempt>);

impl Trace {
    fn push(&mut self, rule: RuleStep, outcome: Outcome, reason: String) {
        self.0.push(RuleAttempt { rule, outcome, reason });
    }

    /// Records a skipped step; returns `None` so callers can use it as "no match".
    fn skip<T>(&mut self, rule: RuleStep, reason: String) -> Option<T> {
        self.push(rule, Outcome::Skipped, reason);
        None
    }
}

/// The assigned number, when the customer has an assignment to an active company number.
fn assignment(event: &InboundEvent, company: &CompanyRouting, trace: &mut Trace) -> Option<PhoneNumber> {
    let step = RuleStep::Assignment;
    let Ok(customer) = PhoneNumber::parse(&event.from) else {
        return trace.skip(step, format!("the sender {:?} is not an E.164 number", event.from));
    };
    let Some(assigned) = company.assignment(&customer) else {
        return trace.skip(step, format!("{customer} has no assignment"));
    };
    match company.number(assigned) {
        None => trace.skip(step, format!("{customer} is assigned to {assigned}, which is no longer the company's")),
        Some(r) if !r.is_active() => {
            trace.skip(step, format!("{customer} is assigned to {assigned}, which is {}", r.status))
        }
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

impl<'a> Rule<'a> {
    fn new(destinations: &'a Destinations, hours: Option<&'a BusinessHours>) -> Self {
        Rule { destinations, hours }
    }
}

/// A department or location step for `number`: `tag` is `None` when the number is not the
/// company's, `Some(None)` when it has no such tag.
fn tagged<'a>(
    step: RuleStep,
    number: &PhoneNumber,
    tag: Option<Option<&str>>,
    lookup: impl Fn(&str) -> Option<Rule<'a>>,
    kind: EventKind,
    now: DateTime<Utc>,
    trace: &mut Trace,
) -> Option<(Destination, String, bool)> {
    match tag {
        None => trace.skip(step, format!("{number} is not one of the company's numbers")),
        Some(None) => trace.skip(step, format!("{number} has no {}", step_noun(step))),
        Some(Some(name)) => try_rule(step, name, lookup(name), kind, now, trace),
    }
}

fn step_noun(step: RuleStep) -> &'static str {
    match step {
        RuleStep::Location => "location",
        _ => "department",
    }
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
    let what = step_noun(step);
    let Some(rule) = found else {
        return trace.skip(step, format!("{what} {name:?} does not exist"));
    };
    let (destinations, after_hours, when) = match rule.hours {
        None => (rule.destinations, false, "has no business hours".to_owned()),
        Some(h) if h.is_open(now) => (rule.destinations, false, format!("is open ({})", h.time_zone().name())),
        Some(h) => (h.after_hours(), true, format!("is closed ({})", h.time_zone().name())),
    };
    let which = if after_hours { "after-hours " } else { "" };
    match destinations.get(kind) {
        None => trace.skip(step, format!("{what} {name:?} {when} and has no {which}{} destination", kind.as_str())),
        Some(dest) => {
            trace.push(
                step,
                Outcome::Matched,
                format!("{what} {name:?} {when}: its {which}{} destination", kind.as_str()),
            );
            Some((dest, name.to_owned(), after_hours))
        }
    }
}

fn company_default(defaults: &Destinations, kind: EventKind, trace: &mut Trace) -> (Option<Destination>, MatchedRule) {
    let step = RuleStep::CompanyDefault;
    match defaults.get(kind) {
        Some(dest) => {
            trace.push(step, Outcome::Matched, format!("the company's default {} destination", kind.as_str()));
            (Some(dest), MatchedRule::CompanyDefault)
        }
        None => {
            trace.push(step, Outcome::Skipped, format!("the company has no default {} destination", kind.as_str()));
            (None, MatchedRule::Unrouted)
        }
    }
}
