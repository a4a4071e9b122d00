//! The registry: company id -> its actor, started on first use (with its state loaded from the
//! store) and removed when the actor stops after its idle time.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::dev::SendError;
use actix::{Actor, Addr};
use dashmap::DashMap;

use super::actor::{Actors, CompanyActor};
use super::facts::{EventFacts, Target};
use super::messages::{Assign, Ingest, IngestError, Reload};
use super::state::CompanyState;
use crate::config::{ActorSettings, RoutingSettings};
use crate::domain::{CompanyId, PhoneNumber};
use crate::ledger::{Committed, Ledger, LedgerError};
use crate::metrics::STATE_LOADS;
use crate::store::{DynStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("company state unavailable: {0}")]
    Store(#[from] StoreError),
    #[error("company {0} is overloaded (its actor's mailbox is full); retry")]
    Overloaded(CompanyId),
    /// The company's actor and the owner index disagree about its numbers (a change is being
    /// applied, or was missed): refresh both, then retry.
    #[error("company {0}'s numbers are being refreshed; retry")]
    Stale(CompanyId),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

#[derive(Clone)]
pub struct Registry {
    actors: Actors,
    store: DynStore,
    idle_timeout: Duration,
    mailbox_capacity: usize,
    ledger: Ledger,
    /// The operator's call policy every company's state applies.
    calls: RoutingSettings,
    /// The companies whose state is being loaded for a start, and whether a change was announced
    /// for one since its load began: that change found no actor to reload, and the load may have
    /// read the state before it, so the new actor is reloaded once more. Only starting companies
    /// have an entry, so a change to one company never reloads another.
    changed_while_starting: Arc<DashMap<CompanyId, bool>>,
    /// One start at a time per company: the webhooks that find no actor wait for the first one's
    /// load instead of each loading the company's state (a cold start's burst loaded each
    /// company 2.6 times on average). The entry goes once the actor is in `actors`.
    starting: Arc<DashMap<CompanyId, Arc<tokio::sync::Mutex<()>>>>,
    /// Actors started (each loads its company's state).
    starts: Arc<AtomicU64>,
    /// Company states loaded (starts and reloads).
    loads: Arc<AtomicU64>,
}

impl Registry {
    pub fn new(store: DynStore, settings: &ActorSettings, calls: RoutingSettings, ledger: Ledger) -> Self {
        Self {
            actors: Arc::new(DashMap::new()),
            store,
            idle_timeout: Duration::from_secs(settings.idle_timeout_secs.max(1)),
            mailbox_capacity: settings.mailbox_capacity,
            ledger,
            calls,
            changed_while_starting: Arc::new(DashMap::new()),
            starting: Arc::new(DashMap::new()),
            starts: Arc::new(AtomicU64::new(0)),
            loads: Arc::new(AtomicU64::new(0)),
        }
    }

    pub async fn load_state(&self, company: CompanyId) -> Result<CompanyState, StoreError> {
        metrics::counter!(STATE_LOADS).increment(1);
        self.loads.fetch_add(1, Ordering::Relaxed);
        Ok(CompanyState::new(company, self.store.load_company_routing(company).await?, self.calls))
    }

    /// How many actors this registry has started.
    pub fn actor_starts(&self) -> u64 {
        self.starts.load(Ordering::Relaxed)
    }

    /// How many company states this registry has loaded (starts and reloads).
    pub fn state_loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    fn running(&self, company: CompanyId) -> Option<Addr<CompanyActor>> {
        self.actors.get(&company).filter(|a| a.connected()).map(|a| a.clone())
    }

    /// The company's running actor, started (on the current arbiter) when there is none. Callers
    /// that find none start it one at a time: the first loads and starts it, the others then
    /// find it running.
    ///
    /// The start runs in a task of its own, to its end, even when the caller stops waiting (its
    /// webhook's commit deadline passed): with a slow database, a load that takes longer than the
    /// deadline would otherwise be cut short for every redelivery, and the company would never
    /// start until the database got faster. The next caller finds the actor, or waits for the
    /// start still running.
    pub async fn actor(&self, company: CompanyId) -> Result<Addr<CompanyActor>, StoreError> {
        if let Some(addr) = self.running(company) {
            return Ok(addr);
        }
        let gate = self.starting.entry(company).or_default().clone();
        let turn = gate.clone().lock_owned().await;
        let registry = self.clone();
        let (answer, started) = tokio::sync::oneshot::channel();
        actix_web::rt::spawn(async move {
            let started = match registry.running(company) {
                Some(addr) => Ok(addr),
                None => registry.start(company).await,
            };
            drop(turn);
            // The actor is in `actors` (or the start failed and the next caller tries again):
            // later callers need no gate. Waiters holding this one still find the actor running.
            registry.starting.remove_if(&company, |_, g| Arc::ptr_eq(g, &gate));
            if let Err(Err(e)) = answer.send(started) {
                // Nobody hears of this failure but the log: the caller's webhook was answered 503
                // (its deadline) while the start ran. The company's next webhook tries again.
                tracing::warn!(%company, error = %e, "a company's start failed after its webhook stopped waiting");
            }
        });
        started.await.unwrap_or_else(|_| Err(StoreError::Unavailable("the company's start ended unanswered".into())))
    }

    /// Loads the company's state and starts its actor (replacing a stopped one).
    async fn start(&self, company: CompanyId) -> Result<Addr<CompanyActor>, StoreError> {
        self.starts.fetch_add(1, Ordering::Relaxed);
        // Callers start a company one at a time (`starting`), so this entry is this start's; it
        // goes when the start ends, however it ends (a failed load, a caller gone).
        let watch = StartWatch::begin(&self.changed_while_starting, company);
        let state = self.load_state(company).await?;
        let start = |state| {
            CompanyActor::new(state, self.idle_timeout, self.mailbox_capacity, self.actors.clone(), self.ledger.clone())
                .start()
        };
        let addr = {
            let mut entry = self.actors.entry(company).or_insert_with(|| start(state.clone()));
            if !entry.connected() {
                *entry = start(state);
            }
            entry.clone()
        };
        // After the actor is in `actors`: a change announced from here on finds it there.
        if watch.end() {
            // A change landed between the load and the start: its reload found no actor.
            addr.do_send(Reload(self.load_state(company).await?));
        }
        Ok(addr)
    }

    /// Hands an event to the company's actor and waits for the commit of what it decided: the
    /// actor submits its entry to the ledger, which answers here directly (one hop, not two). A
    /// full mailbox is refused (the webhook gets 503 and Telnyx retries) rather than queued
    /// without bound.
    pub async fn ingest(
        &self,
        company: CompanyId,
        facts: Arc<EventFacts>,
        targets: Vec<Target>,
    ) -> Result<Committed, RegistryError> {
        match self.try_ingest(company, facts.clone(), targets.clone()).await {
            // The actor was stopping (idle) when the event reached it: once more, on a new one.
            Err(RegistryError::Ledger(LedgerError::Abandoned)) => self.try_ingest(company, facts, targets).await,
            other => other,
        }
    }

    async fn try_ingest(
        &self,
        company: CompanyId,
        facts: Arc<EventFacts>,
        targets: Vec<Target>,
    ) -> Result<Committed, RegistryError> {
        let (done, wait) = tokio::sync::oneshot::channel();
        let addr = self.actor(company).await?;
        match addr.try_send(Ingest { facts, targets, done }) {
            Ok(()) => {}
            Err(SendError::Full(_)) => return Err(RegistryError::Overloaded(company)),
            // The actor stopped between lookup and send: start a new one.
            Err(SendError::Closed(msg)) => {
                self.actors.remove_if(&company, |_, a| *a == addr);
                self.actor(company).await?.try_send(msg).map_err(|_| RegistryError::Overloaded(company))?;
            }
        }
        match wait.await {
            Ok(Ok(committed)) => Ok(committed),
            Ok(Err(IngestError::Stale)) => Err(RegistryError::Stale(company)),
            Ok(Err(IngestError::Ledger(e))) => Err(RegistryError::Ledger(e)),
            Err(_) => Err(RegistryError::Ledger(LedgerError::Abandoned)),
        }
    }

    /// Reloads a running actor's state (no-op when the company has none running).
    pub async fn reload(&self, company: CompanyId) -> Result<(), StoreError> {
        self.changed_during_start(company);
        let Some(addr) = self.actors.get(&company).map(|a| a.clone()) else { return Ok(()) };
        let state = self.load_state(company).await?;
        let _ = addr.send(Reload(state)).await;
        Ok(())
    }

    /// Sets (`Some`) or removes one customer's assignment in a running actor (no-op when the
    /// company has none running). Answers once the actor holds it.
    pub async fn assign(
        &self,
        company: CompanyId,
        customer: PhoneNumber,
        number: Option<PhoneNumber>,
    ) -> Result<(), StoreError> {
        self.changed_during_start(company);
        let Some(addr) = self.actors.get(&company).map(|a| a.clone()) else { return Ok(()) };
        let _ = addr.send(Assign { customer, number }).await;
        Ok(())
    }

    /// Marks a change for a company whose actor is starting: it may have read its state before the
    /// change, so it reloads once it runs. Called before looking for a running actor: a start that
    /// ends in between has put its actor where the caller then finds it.
    fn changed_during_start(&self, company: CompanyId) {
        if let Some(mut changed) = self.changed_while_starting.get_mut(&company) {
            *changed = true;
        }
    }

    /// The companies whose actor is running.
    pub fn running_companies(&self) -> Vec<CompanyId> {
        self.actors.iter().map(|a| *a.key()).collect()
    }
}

/// A starting company's entry in `changed_while_starting`, removed when the start ends.
struct StartWatch<'a> {
    watched: &'a DashMap<CompanyId, bool>,
    company: CompanyId,
}

impl<'a> StartWatch<'a> {
    fn begin(watched: &'a DashMap<CompanyId, bool>, company: CompanyId) -> Self {
        watched.insert(company, false);
        StartWatch { watched, company }
    }

    /// Whether a change was announced for the company since its start began.
    fn end(self) -> bool {
        let changed = self.watched.remove(&self.company).is_some_and(|(_, changed)| changed);
        std::mem::forget(self);
        changed
    }
}

impl Drop for StartWatch<'_> {
    /// The start failed or its caller went away.
    fn drop(&mut self) {
        self.watched.remove(&self.company);
    }
}
