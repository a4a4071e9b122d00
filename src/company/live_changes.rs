//! Applies company changes on this node: refreshes the owner index and the running actor. The
//! [`Directory`](super::directory::Directory) applies the changes it writes; [`follow_other_nodes`]
//! applies what the database announces (every node's writes, including this one's).
use std::sync::Arc;

use tokio::sync::watch;

use super::index::NumberIndex;
use super::registry::Registry;
use crate::domain::CompanyId;
use crate::metrics::COMPANY_CHANGES_APPLIED;
use crate::store::changes::{Announcement, Change};
use crate::store::{DynStore, NumberFilter, StoreError};

/// How many announcements from the database this node applied, and the last one.
pub type Applied = (u64, Option<Announcement>);

pub struct LiveChanges {
    store: DynStore,
    index: Arc<NumberIndex>,
    registry: Registry,
    /// How many announcements from the database were applied, and the last one (tests await it).
    announced: watch::Sender<Applied>,
}

impl LiveChanges {
    pub fn new(store: DynStore, index: Arc<NumberIndex>, registry: Registry) -> Self {
        Self { store, index, registry, announced: watch::Sender::new((0, None)) }
    }

    pub async fn apply(&self, company: CompanyId, change: &Change) {
        let done = match change {
            Change::Numbers => match self.store.list_numbers(company, NumberFilter::default()).await {
                Ok(numbers) => {
                    self.index.replace_company(company, &numbers);
                    self.registry.reload(company).await
                }
                Err(e) => Err(e),
            },
            Change::Rules => self.registry.reload(company).await,
            Change::Assignment(customer) => match self.store.get_assignment(company, customer).await {
                Ok(a) => self.registry.assign(company, customer.clone(), Some(a.phone_number)).await,
                Err(StoreError::NotFound) => self.registry.assign(company, customer.clone(), None).await,
                Err(e) => Err(e),
            },
        };
        if let Err(e) = done {
            tracing::warn!(%company, change = %change.to_payload(), error = %e, "cannot apply a company change");
        }
    }

    /// Reads every company again (the owner index, then each running actor): changes announced
    /// while this node was not listening were missed, or a write touched many companies.
    pub async fn resync(&self) {
        match self.store.live_numbers().await {
            Ok(numbers) => self.index.replace_all(&numbers),
            Err(e) => tracing::warn!(error = %e, "cannot reread the number index"),
        }
        for company in self.registry.running_companies() {
            if let Err(e) = self.registry.reload(company).await {
                tracing::warn!(%company, error = %e, "cannot reload the company actor");
            }
        }
    }

    /// The announcements from the database applied so far (how many, and the last).
    pub fn announcements_applied(&self) -> watch::Receiver<Applied> {
        self.announced.subscribe()
    }
}

/// Applies the changes the database announces (PostgreSQL LISTEN), and rereads everything after
/// the listener (re)connected, until the stream ends.
pub async fn follow_other_nodes(live: Arc<LiveChanges>) {
    let mut rx = match live.store.subscribe_changes().await {
        Ok(Some(rx)) => rx,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for other nodes' changes");
            return;
        }
    };
    while let Some(announcement) = rx.recv().await {
        let kind = match &announcement {
            Announcement::Changed(company, change) => {
                live.apply(*company, change).await;
                "change"
            }
            Announcement::Resync => {
                live.resync().await;
                "resync"
            }
        };
        metrics::counter!(COMPANY_CHANGES_APPLIED, "kind" => kind).increment(1);
        live.announced.send_modify(|(n, last)| (*n, *last) = (*n + 1, Some(announcement)));
    }
}
