//! Messages a company actor handles, one struct each.
use std::sync::Arc;

use actix::Message;
use tokio::sync::oneshot;

use super::facts::{EventFacts, Target};
use super::state::CompanyState;
use crate::ledger::{CommitReply, Committed, LedgerError};

/// Why an event handed to a company's actor was not committed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IngestError {
    /// The actor does not hold a number the owner index gave it the event for: one of them has
    /// not caught up with a change yet. Nothing was submitted.
    #[error("the company's numbers are being refreshed; retry")]
    Stale,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Where the actor's answer to an [`Ingest`] goes: the ledger answers it directly once the entry
/// is durable, or the actor refuses at once.
pub type IngestReply = oneshot::Sender<Result<Committed, IngestError>>;

impl CommitReply for IngestReply {
    fn answer(self: Box<Self>, answer: Result<Committed, LedgerError>) {
        let _ = self.send(answer.map_err(IngestError::Ledger));
    }

    fn abandoned(&self) -> bool {
        self.is_closed()
    }
}

/// An event at some of the company's numbers. The actor turns it into a ledger entry and submits
/// that to the ledger, which answers `done` once it is durable: the request waits for the commit
/// alone, not for a reply from the actor first.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Ingest {
    pub facts: Arc<EventFacts>,
    pub targets: Vec<Target>,
    pub done: IngestReply,
}

/// Fresh state after the company's numbers or rules changed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reload(pub CompanyState);

/// One customer's assignment changed: `Some(number)` assigns, `None` removes.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Assign {
    pub customer: crate::domain::PhoneNumber,
    pub number: Option<crate::domain::PhoneNumber>,
}
