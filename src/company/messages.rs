//! Messages a company actor handles, one struct each.
use std::sync::Arc;

use actix::Message;

use super::facts::{EventFacts, Target};
use super::state::CompanyState;
use crate::ledger::CommitReply;

/// An event at some of the company's numbers. The actor turns it into a ledger entry and submits
/// that to the ledger, which answers `done` once it is durable: the request waits for the commit
/// alone, not for a reply from the actor first.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Ingest {
    pub facts: Arc<EventFacts>,
    pub targets: Vec<Target>,
    pub done: CommitReply,
}

/// Fresh state after the company's numbers or rules changed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload(pub CompanyState);
