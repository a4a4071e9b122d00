//! Webhook ingress: signature check, envelope to plan, dispatch to company actors, ledger commit.
pub mod observer;
pub mod outcome;
pub mod plan;
pub mod service;
pub mod verify;

pub use observer::CommitObserver;
pub use outcome::{Accepted, Outcome, Rejection, Unavailability};
pub use service::{Ingress, IngressParts};
