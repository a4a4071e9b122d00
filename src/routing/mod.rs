//! Routing: the pure decision function and its rule types.
//!
//! Nothing here does I/O: the company actor and the admin API's `/routing/explain` call
//! [`decide`] and [`choose_sender`] on a [`CompanyRouting`] they keep in memory.
pub mod chain;
pub mod chain_view;
pub mod decide;
pub mod decision;
pub mod destinations;
pub mod error;
pub mod health;
pub mod hours;
pub mod message_route;
pub mod opt_out;
pub mod rules;
mod schema;
pub mod sender;
pub mod state;

#[cfg(test)]
mod tests;

pub use chain::{CallChain, CallChainSpec, ChainStep, FinalAction};
pub use decide::decide;
pub use decision::{EventKind, InboundEvent, MatchedRule, Outcome, RoutingDecision, RuleAttempt, RuleStep};
pub use destinations::{CallDestination, Destination, Destinations, DestinationsSpec, MessageDestination};
pub use error::{RuleError, RuleErrorKind};
pub use health::{judge as judge_health, CallTotals, DeliveryTotals, HealthStatus, NumberHealth};
pub use hours::{BusinessHours, BusinessHoursSpec, ClockTime, Weekday, WeeklyInterval, WeeklyIntervalSpec};
pub use message_route::{MessageRoute, MessageRouteSpec};
pub use opt_out::{classify as classify_opt_out, keyword as opt_out_keyword, OptOutAction};
pub use rules::{Department, DepartmentSpec, Location, LocationSpec};
pub use sender::{choose_sender, SenderChoice, SenderError, SenderReason, SenderRequest};
pub use state::{CompanyRouting, NumberRecord, UnroutedPolicy};
