//! Outbox items handed from a ledger commit straight to this node's outbox worker.
//!
//! Without it, every item is committed due at once and the worker must claim it: one more
//! statement per batch, and one more version of each row (the claim moves `next_attempt_at`, an
//! indexed column, so the update is never HOT). With it, the commit writes the items already held
//! by this node (`next_attempt_at` = the hold's end, as a claim would set it) and the worker gets
//! them from memory. A node that stops before delivering them leaves rows that any worker claims
//! once the hold has lapsed, exactly as it would after a claim: nothing is lost.
//!
//! Room is reserved before the commit, for every item the batch may queue: a batch either holds
//! all its items or none (then they are committed due, and the worker claims them), so an item is
//! never held without a worker holding it.
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, Notify};
use uuid::Uuid;

use super::outbox_item::OutboxItem;

/// What the ledger tells this node's outbox worker after a commit: the items it holds for the
/// worker (with a hand-off), or a wake to claim what became due.
#[derive(Clone)]
pub struct ToOutbox {
    pub wake: Arc<Notify>,
    pub hand_off: Option<HandOff>,
}

impl From<Arc<Notify>> for ToOutbox {
    /// Items committed due, the worker woken to claim them.
    fn from(wake: Arc<Notify>) -> Self {
        ToOutbox { wake, hand_off: None }
    }
}

/// An item committed held for this node's worker, until `until`.
#[derive(Debug)]
pub struct Held {
    pub item: OutboxItem,
    /// When the hold lapses; after it, another worker may claim the row.
    pub until: DateTime<Utc>,
}

impl Held {
    /// Whether this worker may still attempt the item: the hold has at least `margin` left, so
    /// no other worker can claim the row before the attempt ends (a delivery is bounded well
    /// below the margin). A later attempt would risk a second delivery; the row is left to the
    /// claim instead.
    pub fn still_ours(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        chrono::Duration::from_std(margin).is_ok_and(|m| now + m < self.until)
    }
}

/// The ledger's end: reserves room, then hands over what the commit queued.
#[derive(Clone)]
pub struct HandOff {
    tx: mpsc::Sender<Held>,
    hold: Duration,
}

/// The worker's end.
pub struct HeldItems {
    rx: mpsc::Receiver<Held>,
}

/// A hand-off with room for `capacity` items waiting for the worker; items are held for `hold`.
pub fn hand_off(capacity: usize, hold: Duration) -> (HandOff, HeldItems) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (HandOff { tx, hold }, HeldItems { rx })
}

/// Room for a batch's items, taken before its commit.
pub struct Reservation {
    permits: Vec<mpsc::OwnedPermit<Held>>,
    until: DateTime<Utc>,
}

impl HandOff {
    /// Room for `items` items, or `None` when the worker is that far behind (or gone): the
    /// batch then commits its items due, for the worker to claim.
    pub fn reserve(&self, items: usize) -> Option<Reservation> {
        let mut permits = Vec::with_capacity(items);
        for _ in 0..items {
            // Dropping the permits taken so far gives their room back.
            permits.push(self.tx.clone().try_reserve_owned().ok()?);
        }
        let until = Utc::now() + chrono::Duration::from_std(self.hold).ok()?;
        Some(Reservation { permits, until })
    }
}

impl Reservation {
    /// The end of the hold, written as the items' `next_attempt_at`.
    pub fn until(&self) -> DateTime<Utc> {
        self.until
    }

    /// Hands over the items the commit inserted (`queued`, by id) of those the batch carried;
    /// the room left over is given back.
    pub fn hand_over<'a>(self, carried: impl Iterator<Item = &'a OutboxItem>, queued: &[Uuid]) {
        // Each id once: an event that came twice in one batch carries its items twice.
        let mut queued: std::collections::HashSet<&Uuid> = queued.iter().collect();
        let mut permits = self.permits.into_iter();
        for item in carried.filter(|i| queued.remove(&i.id)) {
            let Some(permit) = permits.next() else { return };
            permit.send(Held { item: item.clone(), until: self.until });
        }
    }
}

impl HeldItems {
    /// Waits for held items and takes up to `limit` of them; `None` once every [`HandOff`] is
    /// gone (or [`HeldItems::close`] was called) and nothing is left.
    pub async fn next_batch(&mut self, limit: usize) -> Option<Vec<Held>> {
        let mut batch = Vec::with_capacity(limit);
        (self.rx.recv_many(&mut batch, limit).await > 0).then_some(batch)
    }

    /// Refuses further items (later commits write theirs due) and takes those still waiting:
    /// a stopping node gives them back rather than leave them held.
    pub fn close(&mut self) -> Vec<Held> {
        self.rx.close();
        let mut left = Vec::new();
        while let Ok(h) = self.rx.try_recv() {
            left.push(h);
        }
        left
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CompanyId;

    fn item(n: u128) -> OutboxItem {
        OutboxItem {
            id: Uuid::from_u128(n),
            company_id: CompanyId::from_uuid(Uuid::from_u128(7)),
            event_id: format!("event-{n}"),
            kind: super::super::outbox_item::OutboxKind::CallHangup,
            destination: format!("call-{n}"),
            payload: "{}".into(),
            alternates: vec![],
        }
    }

    #[tokio::test]
    async fn a_batch_holds_all_its_items_or_none() {
        let (hand_off, mut held) = hand_off(3, Duration::from_secs(60));
        let first = hand_off.reserve(2).expect("room for two");
        assert!(hand_off.reserve(2).is_none(), "one place left: a batch of two commits its items due");
        let third = hand_off.reserve(1).expect("the room a refused batch took back");
        first.hand_over([item(1), item(2)].iter(), &[Uuid::from_u128(1), Uuid::from_u128(2)]);
        drop(third);
        let got = held.next_batch(10).await.expect("items");
        assert_eq!(got.iter().map(|h| h.item.id.as_u128()).collect::<Vec<_>>(), [1, 2]);
        assert!(hand_off.reserve(3).is_some(), "delivered and unused room is free again");
    }

    #[tokio::test]
    async fn only_the_items_the_commit_inserted_are_handed_over_once_each() {
        let (hand_off, mut held) = hand_off(8, Duration::from_secs(60));
        let r = hand_off.reserve(4).expect("room");
        let until = r.until();
        // Item 2 was already in the outbox (not inserted); item 1 came twice in the batch.
        r.hand_over([item(1), item(2), item(1), item(3)].iter(), &[Uuid::from_u128(3), Uuid::from_u128(1)]);
        drop(hand_off);
        let got = held.next_batch(10).await.expect("items");
        assert_eq!(got.iter().map(|h| h.item.id.as_u128()).collect::<Vec<_>>(), [1, 3]);
        assert!(got.iter().all(|h| h.until == until));
        assert!(held.next_batch(10).await.is_none(), "every hand-off gone, nothing left");
    }

    #[test]
    fn a_held_item_is_ours_only_while_its_hold_has_room_for_an_attempt() {
        let now = Utc::now();
        let h = Held { item: item(1), until: now + chrono::Duration::seconds(60) };
        assert!(h.still_ours(now, Duration::from_secs(30)));
        assert!(h.still_ours(now + chrono::Duration::seconds(29), Duration::from_secs(30)));
        assert!(!h.still_ours(now + chrono::Duration::seconds(31), Duration::from_secs(30)));
    }
}
