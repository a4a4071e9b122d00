//! Every branch of the routing order, as a table.
use chrono::{DateTime, Utc};

use super::*;
use EventKind::{Call, Message};
use Outcome::{Matched, Skipped};
use RuleStep::{Assignment as A, CompanyDefault as D, Department as Dep, Location as Loc};

struct Case {
    name: &'static str,
    kind: EventKind,
    from: &'static str,
    to: &'static str,
    at: DateTime<Utc>,
    matched: MatchedRule,
    destination: Option<&'static str>,
    via: Option<&'static str>,
    trace: &'static [(RuleStep, Outcome)],
}

fn dept(name: &str, after_hours: bool) -> MatchedRule {
    MatchedRule::Department { name: name.to_owned(), after_hours }
}

fn loc(name: &str, after_hours: bool) -> MatchedRule {
    MatchedRule::Location { name: name.to_owned(), after_hours }
}

fn expected_destination(kind: EventKind, address: &str) -> Destination {
    match kind {
        Call => Destination::Call(crate::routing::CallChain::single(CallDestination::parse(address).unwrap())),
        Message => Destination::Message(MessageDestination::parse(address).unwrap().into()),
    }
}

/// Wednesday 2026-03-04, Los Angeles on PST (UTC-8): 12:00 local is 20:00 UTC.
fn wed_noon_pt() -> DateTime<Utc> {
    utc(2026, 3, 4, 20, 0)
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let support_open: &[(RuleStep, Outcome)] = &[(A, Skipped), (Dep, Matched)];
    let c = |name, kind, from, to, at, matched, destination, via, trace| Case {
        name,
        kind,
        from,
        to,
        at,
        matched,
        destination,
        via,
        trace,
    };
    let support_call = Some("sip:support@pbx.example.com");
    let support_after = Some("+14155559999");
    vec![
        c("assignment wins over the reached number's department", Call, CUSTOMER_A, SUPPORT, wed_noon_pt(),
          dept("Sales", false), Some("sip:sales@pbx.example.com"), Some(SALES), &[(A, Matched), (Dep, Matched)]),
        c("assignment applies to messages too", Message, CUSTOMER_A, SUPPORT, wed_noon_pt(),
          dept("Sales", false), Some("https://backend.example.com/sales"), Some(SALES), &[(A, Matched), (Dep, Matched)]),
        c("assignment to the reached number itself", Call, CUSTOMER_A, SALES, wed_noon_pt(),
          dept("Sales", false), Some("sip:sales@pbx.example.com"), Some(SALES), &[(A, Matched), (Dep, Matched)]),
        c("assignment to a suspended number is ignored", Call, CUSTOMER_B, SUPPORT, wed_noon_pt(),
          dept("Support", false), support_call, None, support_open),
        c("assignment to a number no longer the company's is ignored", Call, CUSTOMER_C, SUPPORT, wed_noon_pt(),
          dept("Support", false), support_call, None, support_open),
        c("a short-code sender has no assignment", Message, "22395", SUPPORT, wed_noon_pt(),
          dept("Support", false), Some("https://backend.example.com/support"), None, support_open),
        c("a SIP sender has no assignment", Call, "sip:alice@example.org", SUPPORT, wed_noon_pt(),
          dept("Support", false), support_call, None, support_open),
        c("department within business hours", Call, STRANGER, SUPPORT, wed_noon_pt(),
          dept("Support", false), support_call, None, support_open),
        c("department at 03:00 local uses after-hours", Call, STRANGER, SUPPORT, utc(2026, 3, 4, 11, 0),
          dept("Support", true), support_after, None, support_open),
        c("department on Saturday uses after-hours", Call, STRANGER, SUPPORT, utc(2026, 3, 7, 20, 0),
          dept("Support", true), support_after, None, support_open),
        c("opening minute 09:00 is open", Call, STRANGER, SUPPORT, utc(2026, 3, 4, 17, 0),
          dept("Support", false), support_call, None, support_open),
        c("08:59 is closed", Call, STRANGER, SUPPORT, utc(2026, 3, 4, 16, 59),
          dept("Support", true), support_after, None, support_open),
        c("16:59 is open", Call, STRANGER, SUPPORT, utc(2026, 3, 5, 0, 59),
          dept("Support", false), support_call, None, support_open),
        c("closing minute 17:00 is closed", Call, STRANGER, SUPPORT, utc(2026, 3, 5, 1, 0),
          dept("Support", true), support_after, None, support_open),
        c("Fri before DST: 09:00 PST is 17:00 UTC", Call, STRANGER, SUPPORT, utc(2026, 3, 6, 17, 0),
          dept("Support", false), support_call, None, support_open),
        c("Fri before DST: 16:59 UTC is 08:59 PST", Call, STRANGER, SUPPORT, utc(2026, 3, 6, 16, 59),
          dept("Support", true), support_after, None, support_open),
        c("Mon after DST: 09:00 PDT is 16:00 UTC", Call, STRANGER, SUPPORT, utc(2026, 3, 9, 16, 0),
          dept("Support", false), support_call, None, support_open),
        c("Mon after DST: 15:59 UTC is 08:59 PDT", Call, STRANGER, SUPPORT, utc(2026, 3, 9, 15, 59),
          dept("Support", true), support_after, None, support_open),
        c("Mon after DST: 00:00 UTC Tue is 17:00 PDT, closed", Call, STRANGER, SUPPORT, utc(2026, 3, 10, 0, 0),
          dept("Support", true), support_after, None, support_open),
        c("Fri before DST ends: 09:00 PDT is 16:00 UTC", Call, STRANGER, SUPPORT, utc(2026, 10, 30, 16, 0),
          dept("Support", false), support_call, None, support_open),
        c("Mon after DST ends: 16:00 UTC is 08:00 PST, closed", Call, STRANGER, SUPPORT, utc(2026, 11, 2, 16, 0),
          dept("Support", true), support_after, None, support_open),
        c("Mon after DST ends: 09:00 PST is 17:00 UTC", Call, STRANGER, SUPPORT, utc(2026, 11, 2, 17, 0),
          dept("Support", false), support_call, None, support_open),
        c("no after-hours message destination: falls to the location", Message, STRANGER, SUPPORT,
          utc(2026, 3, 4, 11, 0), loc("San Francisco", false), Some("https://backend.example.com/sf"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Matched)]),
        c("department without a call destination is skipped", Call, STRANGER, MARKETING, wed_noon_pt(),
          loc("San Francisco", false), Some("sip:sf@pbx.example.com"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Matched)]),
        c("the same department has a message destination", Message, STRANGER, MARKETING, wed_noon_pt(),
          dept("Marketing", false), Some("https://backend.example.com/marketing"), None, support_open),
        c("number without department uses its location", Call, STRANGER, SF, wed_noon_pt(),
          loc("San Francisco", false), Some("sip:sf@pbx.example.com"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Matched)]),
        c("location within its hours", Call, STRANGER, NY, wed_noon_pt(),
          loc("New York", false), Some("sip:ny@pbx.example.com"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Matched)]),
        c("location after hours (23:00 New York)", Call, STRANGER, NY, utc(2026, 3, 5, 4, 0),
          loc("New York", true), Some("sip:ny-after@pbx.example.com"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Matched)]),
        c("location after hours without message destination: default", Message, STRANGER, NY, utc(2026, 3, 5, 4, 0),
          MatchedRule::CompanyDefault, Some("https://backend.example.com/default"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Skipped), (D, Matched)]),
        c("untagged number uses the company default", Call, STRANGER, PLAIN, wed_noon_pt(),
          MatchedRule::CompanyDefault, Some("sip:reception@pbx.example.com"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Skipped), (D, Matched)]),
        c("a department that does not exist is skipped", Message, STRANGER, GHOST_DEPT, wed_noon_pt(),
          MatchedRule::CompanyDefault, Some("https://backend.example.com/default"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Skipped), (D, Matched)]),
        c("a number that is not the company's gets the default", Call, STRANGER, FOREIGN, wed_noon_pt(),
          MatchedRule::CompanyDefault, Some("sip:reception@pbx.example.com"), None,
          &[(A, Skipped), (Dep, Skipped), (Loc, Skipped), (D, Matched)]),
    ]
}

#[test]
fn decide_follows_the_routing_order() {
    let company = company();
    for case in cases() {
        let event = InboundEvent { kind: case.kind, from: case.from.to_owned(), to: pn(case.to) };
        let d = decide(&event, &company, case.at);
        let name = case.name;
        assert_eq!(d.matched, case.matched, "{name}: matched");
        assert_eq!(d.destination, case.destination.map(|a| expected_destination(case.kind, a)), "{name}: destination");
        assert_eq!(d.via_assignment, case.via.map(pn), "{name}: via_assignment");
        assert_eq!(d.effective_number, pn(case.via.unwrap_or(case.to)), "{name}: effective_number");
        let steps: Vec<_> = d.trace.iter().map(|a| (a.rule, a.outcome)).collect();
        assert_eq!(steps, case.trace, "{name}: trace {:#?}", d.trace);
        assert!(d.trace.iter().all(|a| !a.reason.is_empty()), "{name}: every attempt says why");
    }
}

#[test]
fn unrouted_when_nothing_applies() {
    let mut company = company();
    company.set_default_destinations(Destinations::default());
    let event = InboundEvent { kind: Call, from: STRANGER.to_owned(), to: pn(PLAIN) };
    let d = decide(&event, &company, wed_noon_pt());
    assert_eq!(d.matched, MatchedRule::Unrouted);
    assert_eq!(d.destination, None);
    assert_eq!(d.trace.last().map(|a| (a.rule, a.outcome)), Some((D, Skipped)));
    assert_eq!(d.trace.len(), 4);
}

#[test]
fn trace_reasons_name_the_cause() {
    let company = company();
    let event = InboundEvent { kind: Message, from: CUSTOMER_B.to_owned(), to: pn(SUPPORT) };
    let d = decide(&event, &company, utc(2026, 3, 4, 11, 0));
    let reasons: Vec<&str> = d.trace.iter().map(|a| a.reason.as_str()).collect();
    assert!(reasons[0].contains(SUSPENDED) && reasons[0].contains("suspended"), "{reasons:?}");
    assert!(reasons[1].contains("closed") && reasons[1].contains("after-hours message"), "{reasons:?}");
    assert!(reasons[2].contains("San Francisco"), "{reasons:?}");
}

#[test]
fn explain_is_deterministic_and_serializes() {
    let company = company();
    let event = InboundEvent { kind: Call, from: CUSTOMER_A.to_owned(), to: pn(SUPPORT) };
    let first = decide(&event, &company, wed_noon_pt());
    assert_eq!(first, decide(&event, &company, wed_noon_pt()));
    let json = serde_json::to_value(&first).unwrap();
    assert_eq!(json["destination"], serde_json::json!({"kind": "call", "address": "sip:sales@pbx.example.com"}));
    assert_eq!(json["matched"], serde_json::json!({"rule": "department", "name": "Sales", "after_hours": false}));
    assert_eq!(json["via_assignment"], SALES);
    assert_eq!(json["effective_number"], SALES);
    assert_eq!(json["trace"][0]["rule"], "assignment");
    assert_eq!(json["trace"][0]["outcome"], "matched");
}

#[test]
fn rule_changes_apply_to_the_next_decision() {
    let mut company = company();
    let event = InboundEvent { kind: Call, from: STRANGER.to_owned(), to: pn(SF) };
    assert_eq!(decide(&event, &company, wed_noon_pt()).matched, loc("San Francisco", false));
    assert!(company.set_number_tags(&pn(SF), Some("Sales".to_owned()), None));
    assert_eq!(decide(&event, &company, wed_noon_pt()).matched, dept("Sales", false));
    company.unassign(&pn(CUSTOMER_A));
    let from_a = InboundEvent { kind: Call, from: CUSTOMER_A.to_owned(), to: pn(SUPPORT) };
    assert_eq!(decide(&from_a, &company, wed_noon_pt()).matched, dept("Support", false));
}
