//! Applies company changes on this node: refreshes the owner index and the running actor.
use async_trait::async_trait;

use super::index::NumberIndex;
use super::registry::Registry;
use crate::domain::CompanyId;
use crate::store::changes::{Announcement, Change, CompanyChanges};
use crate::store::{DynStore, NumberFilter};

pub struct LiveChanges {
    pub store: DynStore,
    pub index: std::sync::Arc<NumberIndex>,
    pub registry: Registry,
}

impl LiveChanges {
    pub async fn apply(&self, company: CompanyId, change: Change) {
        if change == Change::Numbers {
            match self.store.list_numbers(company, NumberFilter::default()).await {
                Ok(numbers) => self.index.replace_company(company, &numbers),
                Err(e) => tracing::warn!(%company, error = %e, "cannot refresh the number index"),
            }
        }
        if let Err(e) = self.registry.reload(company).await {
            tracing::warn!(%company, error = %e, "cannot reload the company actor");
        }
    }

    /// Reads every company again (the owner index, then each running actor): changes announced
    /// while this node was not listening were missed.
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
}

#[async_trait]
impl CompanyChanges for LiveChanges {
    async fn changed(&self, company: CompanyId, change: Change) {
        self.apply(company, change).await;
        if let Err(e) = self.store.publish_change(company, change).await {
            tracing::warn!(%company, error = %e, "cannot tell other nodes about a change");
        }
    }
}

/// Applies the changes other nodes publish (PostgreSQL LISTEN), and rereads everything after the
/// listener (re)connected, until the stream ends.
pub async fn follow_other_nodes(live: std::sync::Arc<LiveChanges>) {
    let mut rx = match live.store.subscribe_changes().await {
        Ok(Some(rx)) => rx,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for other nodes' changes");
            return;
        }
    };
    while let Some(announcement) = rx.recv().await {
        match announcement {
            Announcement::Changed(company, change) => live.apply(company, change).await,
            Announcement::Resync => live.resync().await,
        }
    }
}
