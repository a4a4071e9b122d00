//! The registry: company id -> its actor, started on first use (with its state loaded from the
//! store) and removed when the actor stops after its idle time.
use std::sync::Arc;
use std::time::Duration;

use actix::{Actor, Addr, MailboxError};
use dashmap::DashMap;

use super::actor::{Actors, CompanyActor};
use super::facts::{EventFacts, Target};
use super::messages::{Ingest, Reload};
use super::state::CompanyState;
use crate::config::ActorSettings;
use crate::domain::CompanyId;
use crate::ledger::LedgerEntry;
use crate::store::{DynStore, NumberFilter, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("company state unavailable: {0}")]
    Store(#[from] StoreError),
    #[error("company actor unavailable: {0}")]
    Mailbox(#[from] MailboxError),
}

#[derive(Clone)]
pub struct Registry {
    actors: Actors,
    store: DynStore,
    idle_timeout: Duration,
    mailbox_capacity: usize,
}

impl Registry {
    pub fn new(store: DynStore, settings: &ActorSettings) -> Self {
        Self {
            actors: Arc::new(DashMap::new()),
            store,
            idle_timeout: Duration::from_secs(settings.idle_timeout_secs.max(1)),
            mailbox_capacity: settings.mailbox_capacity,
        }
    }

    pub async fn load_state(&self, company: CompanyId) -> Result<CompanyState, StoreError> {
        let numbers = self.store.list_numbers(company, NumberFilter::default()).await?;
        let routing = self.store.load_company_routing(company).await?;
        Ok(CompanyState::new(company, &numbers, routing))
    }

    /// The company's running actor, started (on the current arbiter) when there is none.
    pub async fn actor(&self, company: CompanyId) -> Result<Addr<CompanyActor>, StoreError> {
        if let Some(addr) = self.actors.get(&company).filter(|a| a.connected()) {
            return Ok(addr.clone());
        }
        let state = self.load_state(company).await?;
        let start =
            |state| CompanyActor::new(state, self.idle_timeout, self.mailbox_capacity, self.actors.clone()).start();
        let mut entry = self.actors.entry(company).or_insert_with(|| start(state.clone()));
        if !entry.connected() {
            *entry = start(state);
        }
        Ok(entry.clone())
    }

    /// Hands an event to the company's actor; answers its ledger entry.
    pub async fn ingest(
        &self,
        company: CompanyId,
        facts: Arc<EventFacts>,
        targets: Vec<Target>,
    ) -> Result<LedgerEntry, RegistryError> {
        let addr = self.actor(company).await?;
        match addr.send(Ingest { facts: facts.clone(), targets: targets.clone() }).await {
            // The actor stopped (idle) between lookup and send: start a new one once.
            Err(MailboxError::Closed) => Ok(self.actor(company).await?.send(Ingest { facts, targets }).await?),
            other => Ok(other?),
        }
    }

    /// Reloads a running actor's state (no-op when the company has none running).
    pub async fn reload(&self, company: CompanyId) -> Result<(), StoreError> {
        let Some(addr) = self.actors.get(&company).map(|a| a.clone()) else { return Ok(()) };
        let state = self.load_state(company).await?;
        let _ = addr.send(Reload(state)).await;
        Ok(())
    }

    /// The companies whose actor is running.
    pub fn running_companies(&self) -> Vec<CompanyId> {
        self.actors.iter().map(|a| *a.key()).collect()
    }

    pub fn running(&self) -> usize {
        self.actors.len()
    }
}
