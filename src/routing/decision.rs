//! The input and output of [`decide`](super::decide::decide): an inbound event and the routing
//! decision, with the trace of every rule tried so `/routing/explain` can show why.
use serde::{Deserialize, Serialize};

use super::destinations::Destination;
use crate::domain::PhoneNumber;

/// Call or message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Call,
    Message,
}

/// An inbound call or message from a customer to one of the company's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InboundEvent {
    pub kind: EventKind,
    /// The customer: usually E.164, but may be a short code or a SIP URI (then no assignment applies).
    pub from: String,
    /// The company number the customer reached.
    #[schema(value_type = String, example = "+14155550123")]
    pub to: PhoneNumber,
}

/// The rule that supplied the destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum MatchedRule {
    Department { name: String, after_hours: bool },
    Location { name: String, after_hours: bool },
    CompanyDefault,
    Unrouted,
}

/// A step of the routing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleStep {
    Assignment,
    Department,
    Location,
    CompanyDefault,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The step applied: the assignment redirected the event, or the rule gave the destination.
    Matched,
    Skipped,
}

/// One step tried, in order, and why it matched or was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RuleAttempt {
    pub rule: RuleStep,
    pub outcome: Outcome,
    pub reason: String,
}

/// Where an event goes and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RoutingDecision {
    /// `None` when unrouted.
    pub destination: Option<Destination>,
    pub matched: MatchedRule,
    /// The company number the customer is assigned to, when that assignment redirected the event.
    #[schema(value_type = Option<String>)]
    pub via_assignment: Option<PhoneNumber>,
    /// The number routing acted as: the assigned number when an assignment applied, else `to`.
    #[schema(value_type = String)]
    pub effective_number: PhoneNumber,
    pub trace: Vec<RuleAttempt>,
}
