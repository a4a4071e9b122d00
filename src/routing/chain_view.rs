//! A call chain as `/routing/explain` shows it: every step as it rings (its targets, the ring
//! time it gets, detection on or off, transfer or ring-group dial), then the final action.
use serde::Serialize;

use super::chain::{CallChain, FinalAction, FinalActionSpec};

/// The whole chain, steps in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ChainView {
    pub steps: Vec<StepView>,
    /// After the last step failed.
    #[schema(value_type = FinalActionSpec)]
    pub final_action: FinalAction,
}

/// One step as it rings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StepView {
    /// From 0.
    pub step: u32,
    /// E.164 numbers or SIP URIs rung together.
    pub targets: Vec<String>,
    /// The ring time (a one-string destination rings for the operator's transfer timeout).
    pub timeout_secs: u16,
    /// Answering machine detection: a machine counts as not answered.
    pub machine_detection: bool,
    /// `transfer` (one target) or `dial` (several rung together, bridged on answer).
    pub command: &'static str,
}

impl ChainView {
    /// `chain` with `default_timeout_secs` for steps without a ring time of their own.
    pub fn of(chain: &CallChain, default_timeout_secs: u16) -> ChainView {
        let steps = chain
            .steps()
            .iter()
            .enumerate()
            .map(|(i, s)| StepView {
                step: i as u32,
                targets: s.targets().iter().map(|t| t.as_str().to_owned()).collect(),
                timeout_secs: s.timeout_secs(default_timeout_secs),
                machine_detection: s.machine_detection(),
                command: if s.targets().len() > 1 { "dial" } else { "transfer" },
            })
            .collect();
        ChainView { steps, final_action: chain.final_action().clone() }
    }
}
