//! The one front door for changes to company data: numbers, the default number and the other
//! Telnyx settings, departments, locations, routing defaults, customer assignments, opt-outs and
//! the status URL.
//! Each method writes through the store and announces the change together:
//! - to other nodes: on PostgreSQL the database itself sends the NOTIFY, from a trigger in the
//!   write's own transaction (migration 0009), so no writer can forget it;
//! - on this node: the owner index and the company's running actor hold the change before the
//!   method returns, so the next event is routed by it.
//!
//! Admin handlers, provisioning, outbound sending and the ingress write company data through
//! here and nowhere else (tests/api/layers.rs checks it). Reads go to the store directly.
use std::sync::Arc;

use super::health::HealthBook;
use super::live_changes::LiveChanges;
use crate::domain::{CompanyId, PhoneNumber, PhoneNumberId};
use crate::routing::{Department, Destinations, Location, UnroutedPolicy};
use crate::store::changes::Change;
use crate::store::forward_secrets::RotatedSecret;
use crate::store::reassign::AssignmentMove;
use crate::store::rules::{Assignment, AssignmentSource, OptOut, RoutingDefaults};
use crate::store::status_urls::StatusUrl;
use crate::store::{CompanySettings, DynStore, LimitOverrides, NewNumber, NumberPatch, NumberRecord, StoreResult};

#[derive(Clone)]
pub struct Directory {
    store: DynStore,
    /// This node's index and actors; `None` in tools that run without them (`switchboard demo`).
    live: Option<Arc<LiveChanges>>,
    /// The numbers' health as sender choice reads it (see `company::health`).
    health: Arc<HealthBook>,
}

impl Directory {
    pub fn new(store: DynStore, live: Arc<LiveChanges>, health: Arc<HealthBook>) -> Self {
        Self { store, live: Some(live), health }
    }

    /// For tools without actors: writes only (other nodes still hear of them on PostgreSQL).
    pub fn detached(store: DynStore) -> Self {
        let health = Arc::new(HealthBook::new(store.clone(), Default::default()));
        Self { store, live: None, health }
    }

    /// The numbers' health (read through; nothing to announce: it follows the ledger's commits).
    pub fn health(&self) -> &Arc<HealthBook> {
        &self.health
    }

    /// Brings this node up to date with a change written elsewhere (by another process, by hand,
    /// or found stale): the owner index and the running actor read it again.
    pub async fn refresh(&self, company: CompanyId, change: Change) {
        if let Some(live) = &self.live {
            live.apply(company, &change).await;
        }
    }

    pub async fn register_number(&self, number: &NewNumber) -> StoreResult<NumberRecord> {
        let record = self.store.insert_number(number).await?;
        self.refresh(number.company_id, Change::Numbers).await;
        Ok(record)
    }

    pub async fn update_number(
        &self,
        company: CompanyId,
        id: PhoneNumberId,
        patch: &NumberPatch,
    ) -> StoreResult<NumberRecord> {
        let record = self.store.update_number(company, id, patch).await?;
        self.refresh(company, Change::Numbers).await;
        Ok(record)
    }

    /// The company's Telnyx settings, default outbound number included.
    pub async fn put_settings(&self, company: CompanyId, settings: &CompanySettings) -> StoreResult<()> {
        self.store.put_settings(company, settings).await?;
        self.refresh(company, Change::Rules).await;
        Ok(())
    }

    pub async fn put_routing_defaults(
        &self,
        company: CompanyId,
        destinations: &Destinations,
        policy: UnroutedPolicy,
    ) -> StoreResult<RoutingDefaults> {
        let defaults = self.store.put_routing_defaults(company, destinations, policy).await?;
        self.refresh(company, Change::Rules).await;
        Ok(defaults)
    }

    pub async fn put_department(&self, company: CompanyId, department: &Department) -> StoreResult<()> {
        self.store.upsert_department(company, department).await?;
        self.refresh(company, Change::Rules).await;
        Ok(())
    }

    pub async fn delete_department(&self, company: CompanyId, name: &str) -> StoreResult<()> {
        self.store.delete_department(company, name).await?;
        self.refresh(company, Change::Rules).await;
        Ok(())
    }

    pub async fn put_location(&self, company: CompanyId, location: &Location) -> StoreResult<()> {
        self.store.upsert_location(company, location).await?;
        self.refresh(company, Change::Rules).await;
        Ok(())
    }

    pub async fn delete_location(&self, company: CompanyId, name: &str) -> StoreResult<()> {
        self.store.delete_location(company, name).await?;
        self.refresh(company, Change::Rules).await;
        Ok(())
    }

    /// Sets (or replaces) an assignment from the admin API.
    pub async fn set_assignment(
        &self,
        company: CompanyId,
        customer: &PhoneNumber,
        number_id: PhoneNumberId,
        number: &PhoneNumber,
    ) -> StoreResult<Assignment> {
        let assignment = self.store.set_assignment(company, customer, number_id, number).await?;
        self.refresh(company, Change::Assignment(customer.clone())).await;
        Ok(assignment)
    }

    /// Creates the assignment unless one exists, and returns the one that holds (see
    /// [`crate::store::RulesStore::claim_assignment`]).
    pub async fn claim_assignment(
        &self,
        company: CompanyId,
        customer: &PhoneNumber,
        number_id: PhoneNumberId,
        number: &PhoneNumber,
        source: AssignmentSource,
    ) -> StoreResult<Assignment> {
        let held = self.store.claim_assignment(company, customer, number_id, number, source).await?;
        self.refresh(company, Change::Assignment(customer.clone())).await;
        Ok(held)
    }

    /// Moves a customer's assignment off an unhealthy number (when it is still there), with a
    /// routing log note; answers the assignment that holds.
    pub async fn move_assignment(&self, company: CompanyId, m: &AssignmentMove<'_>) -> StoreResult<Assignment> {
        let held = self.store.move_assignment(company, m).await?;
        self.refresh(company, Change::Assignment(m.customer.clone())).await;
        Ok(held)
    }

    pub async fn delete_assignment(&self, company: CompanyId, customer: &PhoneNumber) -> StoreResult<()> {
        self.store.delete_assignment(company, customer).await?;
        self.refresh(company, Change::Assignment(customer.clone())).await;
        Ok(())
    }

    /// Makes a new forward secret current; the previous one keeps signing until `previous_until`.
    /// No actor holds the secrets (the outbox reads them per delivery): nothing to refresh.
    pub async fn rotate_forward_secret(
        &self,
        company: CompanyId,
        previous_until: chrono::DateTime<chrono::Utc>,
    ) -> StoreResult<RotatedSecret> {
        let secrets = self
            .store
            .rotate_forward_secret(company, &crate::store::rules::new_forward_secret(), previous_until)
            .await?;
        Ok(RotatedSecret { forward_secret: secrets.current, previous_valid_until: previous_until })
    }

    /// The operator's per-company limits. Every send and purchase reads them from the database
    /// (the counting statement does), so there is nothing to refresh.
    pub async fn put_limit_overrides(&self, company: CompanyId, overrides: &LimitOverrides) -> StoreResult<()> {
        self.store.put_limit_overrides(company, overrides).await
    }

    /// Sets the company's status URL (docs/SENDING.md). The status changes read it in their own
    /// transaction (no node holds it), so there is nothing to refresh.
    pub async fn put_status_url(&self, company: CompanyId, url: &str) -> StoreResult<StatusUrl> {
        self.store.put_status_url(company, url, chrono::Utc::now()).await
    }

    /// Removes the company's status URL: no status change is forwarded from then on (forwards
    /// already queued are still delivered). `true` when there was one.
    pub async fn delete_status_url(&self, company: CompanyId) -> StoreResult<bool> {
        self.store.delete_status_url(company).await
    }

    /// Opt-outs are read from the database by every send (no node holds them in memory), so
    /// there is nothing to refresh; keywords from customers are written by the ledger, in the
    /// commit of the event that carries them.
    pub async fn add_opt_out(&self, company: CompanyId, customer: &PhoneNumber, keyword: &str) -> StoreResult<OptOut> {
        self.store.add_opt_out(company, customer, keyword).await
    }

    /// `true` when there was an opt-out to remove (see [`Directory::add_opt_out`]).
    pub async fn remove_opt_out(&self, company: CompanyId, customer: &PhoneNumber) -> StoreResult<bool> {
        self.store.remove_opt_out(company, customer).await
    }
}
