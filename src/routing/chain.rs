//! Call chains: where a routed call goes, as ordered steps. Each step rings one or more targets
//! together for a timeout; when nobody answers, the next step rings; after the last one, the
//! final action (hang up).
//!
//! JSON (what `destinations.call` accepts, [`CallChainSpec`]):
//! - `"sip:desk@pbx.example.com"`: one step, one target, rung for the operator's
//!   `routing.transfer_timeout_secs` (what a destination was before chains; it stays valid and is
//!   written back as the same string);
//! - `[{"targets": ["+14155550100"], "timeout_secs": 15}, {"targets": ["sip:a@pbx", "+1..."]}]`:
//!   the steps, then hang up;
//! - `{"steps": [...], "final_action": {"action": "hangup"}}`.
//!
//! 1 to 10 steps, 1 to 10 targets each (E.164 or sip:/sips: URI), timeout 5 to 600 s (default 20),
//! answering machine detection per step (`"machine_detection": true`: a machine counts as not
//! answered). Final actions: `{"action": "hangup", "announcement": "..."}` (the announcement,
//! optional, is spoken before hanging up) and `{"action": "voicemail", "greeting": "...", "url":
//! "https://..."}` (the greeting, optional, is spoken, then the caller is recorded; the recording's
//! URL is forwarded to `url`, signed like a message forward).
use serde::{Deserialize, Serialize, Serializer};

use super::destinations::{CallDestination, MessageDestination};
use super::error::{RuleError, RuleErrorKind};

pub const MAX_STEPS: usize = 10;
pub const MAX_TARGETS: usize = 10;
pub const MIN_TIMEOUT_SECS: u16 = 5;
pub const MAX_TIMEOUT_SECS: u16 = 600;
pub const DEFAULT_TIMEOUT_SECS: u16 = 20;
/// Longest announcement or greeting spoken (characters).
pub const MAX_SPOKEN_CHARS: usize = 1000;

/// An ordered chain of steps and what happens after the last one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(try_from = "CallChainSpec")]
pub struct CallChain {
    steps: Vec<ChainStep>,
    final_action: FinalAction,
}

/// Targets rung together, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ChainStep {
    targets: Vec<CallDestination>,
    /// `None` only for a chain written as one string: the operator's transfer timeout.
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_secs: Option<u16>,
    /// Answering machine detection on the step's legs: a machine counts as not answered.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    machine_detection: bool,
}

/// After the last step failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FinalAction {
    /// Speak the announcement (if any), then hang the caller up.
    Hangup {
        #[serde(skip_serializing_if = "Option::is_none")]
        announcement: Option<String>,
    },
    /// Speak the greeting (if any), record the caller, and forward the recording's URL to `url`.
    Voicemail {
        #[serde(skip_serializing_if = "Option::is_none")]
        greeting: Option<String>,
        url: MessageDestination,
    },
}

impl FinalAction {
    /// Hang up without a word (what a chain without a final action does).
    pub const HANGUP: FinalAction = FinalAction::Hangup { announcement: None };

    /// The metric label and JSON name of the action.
    pub fn kind(&self) -> &'static str {
        match self {
            FinalAction::Hangup { .. } => "hangup",
            FinalAction::Voicemail { .. } => "voicemail",
        }
    }
}

impl CallChain {
    /// The one-step chain of a single destination (the form before chains).
    pub fn single(target: CallDestination) -> Self {
        CallChain {
            steps: vec![ChainStep { targets: vec![target], timeout_secs: None, machine_detection: false }],
            final_action: FinalAction::HANGUP,
        }
    }

    pub fn steps(&self) -> &[ChainStep] {
        &self.steps
    }

    pub fn step(&self, index: usize) -> Option<&ChainStep> {
        self.steps.get(index)
    }

    pub fn final_action(&self) -> &FinalAction {
        &self.final_action
    }

    /// Every target of every step.
    pub fn targets(&self) -> impl Iterator<Item = (usize, usize, &CallDestination)> {
        self.steps.iter().enumerate().flat_map(|(s, step)| step.targets.iter().enumerate().map(move |(t, d)| (s, t, d)))
    }

    /// Whether it is written as one string (one step, one target, no timeout of its own).
    pub fn is_single(&self) -> bool {
        self.as_single().is_some()
    }

    fn as_single(&self) -> Option<&CallDestination> {
        match self.steps.as_slice() {
            [ChainStep { targets, timeout_secs: None, machine_detection: false }] if targets.len() == 1 => {
                targets.first()
            }
            _ => None,
        }
    }

    /// The text stored in a rule's call destination column: the plain destination for a single
    /// one, else the chain as JSON (which starts with `{`, never a number or a SIP URI).
    pub fn to_stored(&self) -> String {
        match self.as_single() {
            Some(d) => d.as_str().to_owned(),
            None => serde_json::to_string(self).expect("a chain serializes"),
        }
    }

    /// Reads [`CallChain::to_stored`] back.
    pub fn from_stored(text: &str) -> Result<Self, RuleError> {
        if text.starts_with(['{', '[']) {
            let spec: CallChainSpec = serde_json::from_str(text)
                .map_err(|_| RuleError::new(RuleErrorKind::Unsupported("not a call chain")))?;
            CallChain::try_from(spec)
        } else {
            CallDestination::parse(text).map(CallChain::single)
        }
    }
}

impl ChainStep {
    pub fn targets(&self) -> &[CallDestination] {
        &self.targets
    }

    /// The ring time: its own, else `default` (the operator's transfer timeout).
    pub fn timeout_secs(&self, default: u16) -> u16 {
        self.timeout_secs.unwrap_or(default)
    }

    /// Whether the step's legs ask for answering machine detection.
    pub fn machine_detection(&self) -> bool {
        self.machine_detection
    }
}

impl Serialize for CallChain {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Full<'a> {
            steps: &'a [ChainStep],
            final_action: &'a FinalAction,
        }
        match self.as_single() {
            Some(d) => s.serialize_str(d.as_str()),
            None => Full { steps: &self.steps, final_action: &self.final_action }.serialize(s),
        }
    }
}

/// A call destination as it arrives: one target, a list of steps, or the full chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = CallChain)]
pub enum CallChainSpec {
    /// One target (E.164 or sip:/sips: URI) rung for the operator's transfer timeout.
    #[schema(example = "sip:support@pbx.example.com")]
    Target(String),
    /// 1 to 10 steps, then hang up.
    Steps(Vec<ChainStepSpec>),
    /// 1 to 10 steps and the final action.
    Chain(ChainSpec),
}

/// A step as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChainStep)]
pub struct ChainStepSpec {
    /// 1 to 10 targets rung together: E.164 numbers or sip:/sips: URIs.
    #[schema(example = json!(["+14155550100", "sip:desk@pbx.example.com"]))]
    pub targets: Vec<String>,
    /// How long the targets ring, 5 to 600 s (default 20).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 5, maximum = 600, example = 20)]
    pub timeout_secs: Option<i64>,
    /// Answering machine detection on the step's legs: a machine counts as not answered and the
    /// next step rings (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_detection: Option<bool>,
}

/// The full chain as it arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    pub steps: Vec<ChainStepSpec>,
    /// What happens after the last step failed (default: hang up).
    #[serde(default)]
    pub final_action: Option<FinalActionSpec>,
}

/// `{"action": "hangup", "announcement": "..."}` or `{"action": "voicemail", "greeting": "...",
/// "url": "https://..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = FinalAction)]
pub struct FinalActionSpec {
    /// `hangup` or `voicemail`.
    #[schema(example = "voicemail")]
    pub action: String,
    /// hangup: spoken to the caller before hanging up (1 to 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Nobody can take your call. Goodbye.")]
    pub announcement: Option<String>,
    /// voicemail: spoken before the recording starts (1 to 1000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Please leave a message after the tone.")]
    pub greeting: Option<String>,
    /// voicemail (required): where the recording's URL is forwarded (signed like message forwards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "https://crm.example.com/hooks/voicemail")]
    pub url: Option<String>,
}

impl TryFrom<CallChainSpec> for CallChain {
    type Error = RuleError;
    fn try_from(spec: CallChainSpec) -> Result<Self, Self::Error> {
        let (steps, final_action) = match spec {
            CallChainSpec::Target(t) => return CallDestination::parse(&t).map(CallChain::single),
            CallChainSpec::Steps(steps) => (steps, None),
            CallChainSpec::Chain(c) => (c.steps, c.final_action),
        };
        if !(1..=MAX_STEPS).contains(&steps.len()) {
            return Err(RuleError::new(RuleErrorKind::Count { min: 1, max: MAX_STEPS }).within("steps"));
        }
        let steps = steps
            .into_iter()
            .enumerate()
            .map(|(i, s)| parse_step(s).map_err(|e| e.within(&format!("steps[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let final_action = match final_action {
            None => FinalAction::HANGUP,
            Some(spec) => parse_final_action(spec).map_err(|e| e.within("final_action"))?,
        };
        Ok(CallChain { steps, final_action })
    }
}

fn parse_step(spec: ChainStepSpec) -> Result<ChainStep, RuleError> {
    if !(1..=MAX_TARGETS).contains(&spec.targets.len()) {
        return Err(RuleError::new(RuleErrorKind::Count { min: 1, max: MAX_TARGETS }).within("targets"));
    }
    let mut targets: Vec<CallDestination> = Vec::with_capacity(spec.targets.len());
    for (i, t) in spec.targets.iter().enumerate() {
        let target = CallDestination::parse(t).map_err(|e| e.within(&format!("targets[{i}]")))?;
        if targets.contains(&target) {
            return Err(RuleError::new(RuleErrorKind::Duplicate).within(&format!("targets[{i}]")));
        }
        targets.push(target);
    }
    let timeout = spec.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS.into());
    if !(i64::from(MIN_TIMEOUT_SECS)..=i64::from(MAX_TIMEOUT_SECS)).contains(&timeout) {
        let range = RuleErrorKind::OutOfRange { min: MIN_TIMEOUT_SECS.into(), max: MAX_TIMEOUT_SECS.into() };
        return Err(RuleError::new(range).within("timeout_secs"));
    }
    let machine_detection = spec.machine_detection.unwrap_or(false);
    Ok(ChainStep { targets, timeout_secs: Some(timeout as u16), machine_detection })
}

fn parse_final_action(spec: FinalActionSpec) -> Result<FinalAction, RuleError> {
    let unexpected =
        |field: &str| RuleError::new(RuleErrorKind::Unsupported("not a field of this final action")).within(field);
    match spec.action.as_str() {
        "hangup" => {
            if spec.greeting.is_some() {
                return Err(unexpected("greeting"));
            }
            if spec.url.is_some() {
                return Err(unexpected("url"));
            }
            Ok(FinalAction::Hangup { announcement: spoken(spec.announcement, "announcement")? })
        }
        "voicemail" => {
            if spec.announcement.is_some() {
                return Err(unexpected("announcement"));
            }
            let url = spec.url.ok_or_else(|| RuleError::new(RuleErrorKind::Empty).within("url"))?;
            let url = MessageDestination::parse(&url).map_err(|e| e.within("url"))?;
            Ok(FinalAction::Voicemail { greeting: spoken(spec.greeting, "greeting")?, url })
        }
        _ => Err(RuleError::new(RuleErrorKind::Unsupported("the final action must be `hangup` or `voicemail`"))
            .within("action")),
    }
}

/// An announcement or greeting: 1 to [`MAX_SPOKEN_CHARS`] characters, no control characters
/// but line breaks.
fn spoken(text: Option<String>, field: &str) -> Result<Option<String>, RuleError> {
    let Some(text) = text else { return Ok(None) };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(RuleError::new(RuleErrorKind::Empty).within(field));
    }
    if trimmed.chars().count() > MAX_SPOKEN_CHARS {
        return Err(RuleError::new(RuleErrorKind::TooLong { max: MAX_SPOKEN_CHARS }).within(field));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n') {
        return Err(RuleError::new(RuleErrorKind::Unsupported("must not contain control characters")).within(field));
    }
    Ok(Some(trimmed.to_owned()))
}

impl utoipa::PartialSchema for CallChain {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <CallChainSpec as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for CallChain {
    fn name() -> std::borrow::Cow<'static, str> {
        "CallChain".into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <CallChainSpec as utoipa::ToSchema>::schemas(schemas);
    }
}
