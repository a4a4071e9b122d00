//! Call chains: the forms a call destination accepts, what each error names, and the stored text.
use serde_json::{json, Value};

use super::*;
use crate::routing::chain::CallChainSpec;

fn chain(v: Value) -> Result<CallChain, RuleError> {
    let spec: CallChainSpec = serde_json::from_value(v).expect("one of the forms");
    CallChain::try_from(spec)
}

#[test]
fn a_string_is_a_one_step_chain_written_back_as_the_string() {
    let c = chain(json!("sip:desk@pbx.example.com")).unwrap();
    assert_eq!(c.steps().len(), 1);
    assert_eq!(c.steps()[0].timeout_secs(30), 30, "the operator's transfer timeout");
    assert_eq!(serde_json::to_value(&c).unwrap(), json!("sip:desk@pbx.example.com"));
    assert_eq!(c.to_stored(), "sip:desk@pbx.example.com");
    assert_eq!(CallChain::from_stored(&c.to_stored()), Ok(c));
}

#[test]
fn steps_and_the_full_chain_read_the_same() {
    let steps = json!([
        {"targets": ["+14155550100"], "timeout_secs": 15},
        {"targets": ["sip:a@pbx.example.com", "+16505550100"]}
    ]);
    let list = chain(steps.clone()).unwrap();
    let full = chain(json!({"steps": steps, "final_action": {"action": "hangup"}})).unwrap();
    assert_eq!(list, full);
    assert_eq!(list.steps()[1].timeout_secs(30), 20, "a step rings 20 s by default");
    assert_eq!(list.final_action(), &FinalAction::HANGUP);
    let written = serde_json::to_value(&list).unwrap();
    assert_eq!(written["steps"][1]["timeout_secs"], 20);
    assert_eq!(written["final_action"], json!({"action": "hangup"}));
    assert!(list.to_stored().starts_with('{'));
    assert_eq!(CallChain::from_stored(&list.to_stored()), Ok(list.clone()));
    // Written back, it reads as the same chain (what GET answers can be PUT again).
    assert_eq!(chain(written).unwrap(), list);
    // One step with a timeout of its own is not the string form.
    let one = chain(json!([{"targets": ["+14155550100"], "timeout_secs": 20}])).unwrap();
    assert_ne!(serde_json::to_value(&one).unwrap(), json!("+14155550100"));
}

#[test]
fn each_error_names_its_field() {
    let targets = |n: usize| (0..n).map(|i| format!("+1415555{:04}", i)).collect::<Vec<_>>();
    let eleven_steps: Vec<Value> = (0..11).map(|_| json!({"targets": ["+14155550100"]})).collect();
    for (input, field, kind) in [
        (json!([]), "steps", RuleErrorKind::Count { min: 1, max: 10 }),
        (json!({"steps": []}), "steps", RuleErrorKind::Count { min: 1, max: 10 }),
        (json!(eleven_steps), "steps", RuleErrorKind::Count { min: 1, max: 10 }),
        (json!([{"targets": []}]), "steps[0].targets", RuleErrorKind::Count { min: 1, max: 10 }),
        (json!([{"targets": targets(11)}]), "steps[0].targets", RuleErrorKind::Count { min: 1, max: 10 }),
        (
            json!([{"targets": ["+14155550100"], "timeout_secs": 4}]),
            "steps[0].timeout_secs",
            RuleErrorKind::OutOfRange { min: 5, max: 600 },
        ),
        (
            json!([{"targets": ["+14155550100"]}, {"targets": ["+14155550100"], "timeout_secs": 601}]),
            "steps[1].timeout_secs",
            RuleErrorKind::OutOfRange { min: 5, max: 600 },
        ),
        (json!([{"targets": ["+14155550100", "+14155550100"]}]), "steps[0].targets[1]", RuleErrorKind::Duplicate),
        (
            json!({"steps": [{"targets": ["+1"]}], "final_action": {"action": "hangup"}}),
            "steps[0].targets[0]",
            RuleErrorKind::Empty,
        ),
        (
            json!({"steps": [{"targets": ["+14155550100"]}], "final_action": {"action": "voicemail"}}),
            "final_action.url",
            RuleErrorKind::Empty,
        ),
        (
            json!({"steps": [{"targets": ["+1"]}], "final_action": {"action": "voicemail", "url": "ftp://x"}}),
            "steps[0].targets[0]",
            RuleErrorKind::Empty,
        ),
        (
            json!({"steps": [{"targets": ["+14155550100"]}], "final_action": {"action": "voicemail", "url": "ftp://x"}}),
            "final_action.url",
            RuleErrorKind::InsecureUrl,
        ),
        (
            json!({"steps": [{"targets": ["+14155550100"]}], "final_action": {"action": "hangup", "announcement": " "}}),
            "final_action.announcement",
            RuleErrorKind::Empty,
        ),
        (
            json!({"steps": [{"targets": ["+14155550100"]}],
                   "final_action": {"action": "hangup", "url": "https://crm.example.com/vm"}}),
            "final_action.url",
            RuleErrorKind::Unsupported("not a field of this final action"),
        ),
        (
            json!({"steps": [{"targets": ["+14155550100"]}],
                   "final_action": {"action": "voicemail", "greeting": "x".repeat(1001), "url": "https://a.example.com"}}),
            "final_action.greeting",
            RuleErrorKind::TooLong { max: 1000 },
        ),
        (
            json!({"steps": [{"targets": ["+14155550100"]}], "final_action": {"action": "callback"}}),
            "final_action.action",
            RuleErrorKind::Unsupported("the final action must be `hangup` or `voicemail`"),
        ),
    ] {
        let e = chain(input.clone()).expect_err(&input.to_string());
        assert_eq!(e.field(), field, "{input}");
        if kind != RuleErrorKind::Empty {
            assert_eq!(e.kind(), &kind, "{input}");
        }
    }
    let bad = chain(json!([{"targets": ["sip:nobody"]}])).unwrap_err();
    assert_eq!(bad.field(), "steps[0].targets[0]");
    assert!(matches!(bad.kind(), RuleErrorKind::InvalidSipUri(_)));
}

#[test]
fn final_actions_and_machine_detection_round_trip() {
    let full = json!({
        "steps": [{"targets": ["+14155550100"], "timeout_secs": 15, "machine_detection": true}],
        "final_action": {"action": "voicemail", "greeting": "Leave a message.", "url": "https://crm.example.com/vm"}
    });
    let c = chain(full.clone()).unwrap();
    assert!(c.steps()[0].machine_detection());
    assert_eq!(c.final_action().kind(), "voicemail");
    assert_eq!(serde_json::to_value(&c).unwrap(), full);
    assert_eq!(CallChain::from_stored(&c.to_stored()), Ok(c));
    let announced = json!({"steps": [{"targets": ["+14155550100"], "timeout_secs": 20}],
        "final_action": {"action": "hangup", "announcement": "Goodbye."}});
    let c = chain(announced.clone()).unwrap();
    assert_eq!(c.final_action(), &FinalAction::Hangup { announcement: Some("Goodbye.".into()) });
    assert!(!c.steps()[0].machine_detection());
    assert_eq!(serde_json::to_value(&c).unwrap(), announced);
    // One target with detection on is not the string form.
    let one = chain(json!([{"targets": ["+14155550100"], "machine_detection": true}])).unwrap();
    assert!(!one.is_single());
}

#[test]
fn a_department_accepts_chains_in_and_after_hours() {
    let spec: DepartmentSpec = serde_json::from_value(json!({
        "name": "Sales",
        "destinations": {"call": [{"targets": ["+14155550100", "sip:b@pbx.example.com"], "timeout_secs": 10}]},
        "hours": {"time_zone": "UTC", "open": [], "after_hours": {"call": {"steps": [{"targets": ["+16505550100"]}]}}}
    }))
    .unwrap();
    let d = Department::try_from(spec).unwrap();
    assert_eq!(d.destinations.call.as_ref().map(|c| c.steps()[0].targets().len()), Some(2));
    // The stored hours (JSON) read back as the same rule.
    let hours = serde_json::to_string(&d.hours).unwrap();
    let back: Option<BusinessHours> = serde_json::from_str(&hours).unwrap();
    assert_eq!(back, d.hours);
    let spec: DepartmentSpec = serde_json::from_value(json!({
        "name": "Sales", "destinations": {"call": [{"targets": ["+14155550100"], "timeout_secs": 1000}]}
    }))
    .unwrap();
    assert_eq!(Department::try_from(spec).unwrap_err().field(), "destinations.call.steps[0].timeout_secs");
}
