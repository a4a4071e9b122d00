//! Messages a company actor handles, one struct each.
use std::sync::Arc;

use actix::Message;

use super::facts::{EventFacts, Target};
use super::state::CompanyState;
use crate::ledger::LedgerEntry;

/// An event at some of the company's numbers; answers the ledger entry to commit.
#[derive(Message)]
#[rtype(result = "LedgerEntry")]
pub struct Ingest {
    pub facts: Arc<EventFacts>,
    pub targets: Vec<Target>,
}

/// Fresh state after the company's numbers or rules changed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload(pub CompanyState);
