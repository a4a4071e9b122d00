//! Outbound sender choice: every branch and error.
use super::*;
use Feature::{Mms, Sms, Voice};

type Setup = fn(&mut CompanyRouting);

struct Case {
    name: &'static str,
    to: &'static str,
    explicit: Option<&'static str>,
    needed: Feature,
    default: Option<&'static str>,
    setup: Setup,
    want: Result<(&'static str, SenderReason, bool), SenderError>,
}

fn nothing(_: &mut CompanyRouting) {}

fn opt_out_stranger(c: &mut CompanyRouting) {
    c.opt_out(pn(STRANGER));
}

fn suspend_sales(c: &mut CompanyRouting) {
    c.set_number_status(&pn(SALES), NumberStatus::Suspended);
}

fn delete_sales(c: &mut CompanyRouting) {
    c.set_number_status(&pn(SALES), NumberStatus::Deleted);
}

fn local(code: &str) -> SenderReason {
    SenderReason::LocalAreaCode { area_code: code.to_owned() }
}

fn location(name: &str) -> SenderReason {
    SenderReason::Location { name: name.to_owned() }
}

#[rustfmt::skip]
fn cases() -> Vec<Case> {
    let c = |name, to, explicit, needed, default, setup, want| Case { name, to, explicit, needed, default, setup, want };
    vec![
        c("opted-out recipient is refused, even with explicit from", STRANGER, Some(SALES), Sms, Some(PLAIN),
          opt_out_stranger as Setup, Err(SenderError::OptedOut { to: pn(STRANGER) })),
        c("explicit from", "+13125550123", Some(NY), Sms, Some(PLAIN), nothing, Ok((NY, SenderReason::Explicit, true))),
        c("explicit from beats the assignment and keeps it", CUSTOMER_A, Some(NY), Voice, None, nothing,
          Ok((NY, SenderReason::Explicit, false))),
        c("explicit from not the company's", STRANGER, Some(FOREIGN), Sms, None, nothing,
          Err(SenderError::NotCompanyNumber { number: pn(FOREIGN) })),
        c("explicit from suspended", STRANGER, Some(SUSPENDED), Sms, None, nothing,
          Err(SenderError::Inactive { number: pn(SUSPENDED), status: NumberStatus::Suspended })),
        c("explicit from without the feature", STRANGER, Some(SALES), Mms, None, nothing,
          Err(SenderError::MissingFeature { number: pn(SALES), feature: Mms })),
        c("assigned number", CUSTOMER_A, None, Sms, Some(PLAIN), nothing, Ok((SALES, SenderReason::Assigned, false))),
        c("assigned number lacking the feature: local number, assignment kept", CUSTOMER_A, None, Mms, None, nothing,
          Ok((SUPPORT, local("415"), false))),
        c("assigned to a suspended number: local number, assignment kept", CUSTOMER_B, None, Sms, None, nothing,
          Ok((SALES, local("415"), false))),
        c("assigned to a lost number: local number, new assignment", CUSTOMER_C, None, Sms, None, nothing,
          Ok((SALES, local("415"), true))),
        c("assigned to a deleted number: new assignment", CUSTOMER_A, None, Sms, None, delete_sales,
          Ok((SUPPORT, local("415"), true))),
        c("local area code: lowest E.164 that can send", "+14155550999", None, Sms, Some(PLAIN), nothing,
          Ok((SALES, local("415"), true))),
        c("local area code skips numbers without the feature", "+14155550999", None, Mms, None, nothing,
          Ok((SUPPORT, local("415"), true))),
        c("local area code skips inactive numbers", "+14155550999", None, Voice, None, suspend_sales,
          Ok((SUPPORT, local("415"), true))),
        c("New York number for a 212 recipient", "+12125550123", None, Sms, Some(PLAIN), nothing,
          Ok((NY, local("212"), true))),
        c("location serving the area code (628 -> San Francisco)", "+16285550123", None, Sms, Some(PLAIN), nothing,
          Ok((SALES, location("San Francisco"), true))),
        c("location serving the area code (646 -> New York)", "+16465550123", None, Voice, Some(PLAIN), nothing,
          Ok((NY, location("New York"), true))),
        c("default number when nothing is local", "+13125550123", None, Sms, Some(PLAIN), nothing,
          Ok((PLAIN, SenderReason::Default, true))),
        c("default number for a non-NANP recipient", "+442079460958", None, Voice, Some(PLAIN), nothing,
          Ok((PLAIN, SenderReason::Default, true))),
        c("default without the feature: no sender", "+13125550123", None, Mms, Some(SALES), nothing,
          Err(SenderError::NoSender { to: pn("+13125550123"), feature: Mms })),
        c("suspended default: no sender", "+13125550123", None, Sms, Some(SUSPENDED), nothing,
          Err(SenderError::NoSender { to: pn("+13125550123"), feature: Sms })),
        c("default not the company's: no sender", "+13125550123", None, Sms, Some(FOREIGN), nothing,
          Err(SenderError::NoSender { to: pn("+13125550123"), feature: Sms })),
        c("no default: no sender", "+13125550123", None, Sms, None, nothing,
          Err(SenderError::NoSender { to: pn("+13125550123"), feature: Sms })),
    ]
}

#[test]
fn choose_sender_follows_the_order() {
    for case in cases() {
        let mut company = company();
        (case.setup)(&mut company);
        let req = SenderRequest { to: pn(case.to), explicit_from: case.explicit.map(pn), needed: case.needed };
        let default = case.default.map(pn);
        let got = choose_sender(&req, &company, default.as_ref());
        let want = case.want.map(|(from, reason, creates_assignment)| SenderChoice {
            from: pn(from),
            number_id: id_of(from),
            reason,
            creates_assignment,
            replaces: None,
            warning: None,
        });
        assert_eq!(got, want, "{}", case.name);
    }
}

#[test]
fn opting_back_in_allows_sending_again() {
    let mut company = company();
    company.opt_out(pn(STRANGER));
    let req = SenderRequest { to: pn(STRANGER), explicit_from: None, needed: Sms };
    let default = pn(PLAIN);
    assert!(matches!(choose_sender(&req, &company, Some(&default)), Err(SenderError::OptedOut { .. })));
    assert!(company.opt_in(&pn(STRANGER)));
    assert_eq!(choose_sender(&req, &company, Some(&default)).map(|c| c.from), Ok(default));
}

#[test]
fn choice_serializes_with_its_reason() {
    let req = SenderRequest { to: pn("+16285550123"), explicit_from: None, needed: Sms };
    let choice = choose_sender(&req, &company(), None).unwrap();
    let json = serde_json::to_value(&choice).unwrap();
    assert_eq!(json["from"], SALES);
    assert_eq!(json["reason"], json!({"reason": "location", "name": "San Francisco"}));
    assert_eq!(json["creates_assignment"], true);
}

#[test]
fn unhealthy_numbers_leave_automatic_choice_only() {
    let mut company = company();
    company.set_unhealthy(pn(SALES), "spam blocks 60% of 20 finalized".into());
    let choose = |to: &str, explicit: Option<&str>| {
        let req = SenderRequest { to: pn(to), explicit_from: explicit.map(pn), needed: Sms };
        choose_sender(&req, &company, Some(&pn(SALES)))
    };
    // The customer assigned to SALES moves: Sales has no other usable number, so a number of its
    // location (San Francisco) takes over, and the assignment is to move.
    let moved = choose(CUSTOMER_A, None).unwrap();
    assert_eq!(moved.reason, SenderReason::Reassigned { previous: SALES.into() });
    assert_eq!((moved.replaces.as_ref(), moved.creates_assignment), (Some(&pn(SALES)), false));
    assert_eq!(company.number(&moved.from).unwrap().location.as_deref(), Some("San Francisco"));
    assert_ne!(moved.from, pn(SALES));
    // Local presence skips it (SUPPORT is the next 415 number)...
    let local_choice = choose("+14155550999", None).unwrap();
    assert_eq!((local_choice.from, local_choice.reason), (pn(SUPPORT), local("415")));
    // ...and so does the default: nothing else serves 312.
    assert!(matches!(choose("+13125550123", None), Err(SenderError::NoSender { .. })));
    // An explicit `from` is honoured, with a warning, and moves nothing.
    let explicit = choose(CUSTOMER_A, Some(SALES)).unwrap();
    assert_eq!((explicit.from, explicit.reason, explicit.replaces), (pn(SALES), SenderReason::Explicit, None));
    assert!(explicit.warning.unwrap().contains("spam blocks 60%"));
    // A healthy assignment stays.
    company.set_unhealthy(pn(NY), "deliverability 10%".into());
    let mut healthy = self::company();
    healthy.set_unhealthy(pn(NY), "deliverability 10%".into());
    let req = SenderRequest { to: pn(CUSTOMER_A), explicit_from: None, needed: Sms };
    assert_eq!(choose_sender(&req, &healthy, None).unwrap().reason, SenderReason::Assigned);
}
