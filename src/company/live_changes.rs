//! Applies company changes on this node: refreshes the owner index and the running actor. The
//! [`Directory`](super::directory::Directory) applies the changes it writes; [`follow_other_nodes`]
//! applies what the database announces (every node's writes, including this one's).
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::index::{load_index, NumberIndex};
use super::registry::Registry;
use crate::domain::CompanyId;
use crate::metrics::COMPANY_CHANGES_APPLIED;
use crate::store::changes::{Announcement, Change};
use crate::store::{DynStore, NumberFilter, StoreError, StoreResult};

/// How many announcements from the database this node applied, and the last one.
pub type Applied = (u64, Option<Announcement>);

pub struct LiveChanges {
    store: DynStore,
    index: Arc<NumberIndex>,
    registry: Registry,
    /// How many announcements from the database were applied, and the last one (tests await it).
    announced: watch::Sender<Applied>,
    /// This node hears every node's changes (always true without a listener: SQLite, one node).
    listening: AtomicBool,
}

impl LiveChanges {
    pub fn new(store: DynStore, index: Arc<NumberIndex>, registry: Registry) -> Self {
        Self { store, index, registry, announced: watch::Sender::new((0, None)), listening: AtomicBool::new(false) }
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
            Ok(numbers) => self.index.replace_all(numbers),
            Err(e) => tracing::warn!(error = %e, "cannot reread the number index"),
        }
        for company in self.registry.running_companies() {
            if let Err(e) = self.registry.reload(company).await {
                tracing::warn!(%company, error = %e, "cannot reload the company actor");
            }
        }
    }

    /// Whether this node hears the changes other nodes write (part of being ready).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    fn counted(&self, announcement: Announcement) {
        let kind = if matches!(announcement, Announcement::Resync) { "resync" } else { "change" };
        metrics::counter!(COMPANY_CHANGES_APPLIED, "kind" => kind).increment(1);
        self.announced.send_modify(|(n, last)| (*n, *last) = (*n + 1, Some(announcement)));
    }

    /// The announcements from the database applied so far (how many, and the last).
    pub fn announcements_applied(&self) -> watch::Receiver<Applied> {
        self.announced.subscribe()
    }
}

/// Start-up: listens for every node's changes first, then reads the owner index once, then
/// follows the changes in the background. Listening first means a change written while the index
/// is read is applied after it, and the read itself stands for the resync the listener asks for
/// when it connects (one read of every number, not two). When the listener does not connect
/// within `connect_wait`, the index is read anyway and the node is not ready until it connects.
pub async fn load_and_follow(live: Arc<LiveChanges>, connect_wait: Duration) -> StoreResult<JoinHandle<()>> {
    let Some(mut rx) = live.store.subscribe_changes().await? else {
        load_index(&live.index, live.store.as_ref()).await?;
        live.listening.store(true, Ordering::Release);
        return Ok(tokio::spawn(async {}));
    };
    let first = tokio::time::timeout(connect_wait, rx.recv()).await;
    load_index(&live.index, live.store.as_ref()).await?;
    let pending = match first {
        Ok(Some(Announcement::Resync)) => {
            live.listening.store(true, Ordering::Release);
            live.counted(Announcement::Resync);
            None
        }
        Ok(other) => other,
        Err(_) => {
            tracing::warn!(?connect_wait, "the change listener has not connected yet; not ready until it does");
            None
        }
    };
    Ok(tokio::spawn(follow(live, rx, pending)))
}

/// Applies the changes the database announces (PostgreSQL LISTEN), and rereads everything after
/// the listener (re)connected, until the stream ends.
async fn follow(live: Arc<LiveChanges>, mut rx: mpsc::Receiver<Announcement>, pending: Option<Announcement>) {
    let mut next = pending;
    loop {
        let announcement = match next.take() {
            Some(a) => a,
            None => match rx.recv().await {
                Some(a) => a,
                None => return,
            },
        };
        match &announcement {
            Announcement::Changed(company, change) => live.apply(*company, change).await,
            Announcement::Resync => {
                live.resync().await;
                live.listening.store(true, Ordering::Release);
            }
        }
        live.counted(announcement);
    }
}
