//! Records the ends of a node's sends in batches: one transaction for every answer that came
//! while the previous one committed (group commit), instead of one per message. At 1,000 sends a
//! second that is the difference between 1,000 commits a second, which on SQLite all queue for
//! the one write lock the claims also need, and a few dozen.
//!
//! A send waits until its end is recorded (its in-flight slot with it), so a claim never takes
//! more than `sending.max_in_flight` messages whose outcome is not yet in the database. A batch
//! that fails (a busy SQLite, a dropped connection, a deadlock with a status webhook batch) is
//! tried again; one that keeps failing is recorded message by message, so that one bad row cannot
//! hold back the others. What still cannot be recorded stays `sending` and becomes `unknown` when
//! its lease runs out: never sent twice unseen.
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::store::send_transitions::EndedAttempt;
use crate::store::{DynStore, StoreResult};

/// Ends recorded in one transaction, at most.
const MAX_BATCH: usize = 256;
/// The pauses before each new try of a failed batch.
const RETRY_PAUSES: [Duration; 3] = [Duration::from_millis(20), Duration::from_millis(100), Duration::from_millis(500)];

/// An end to record, and who waits for it: told whether it was recorded in a transaction that
/// changed some message (`Some`), or not recorded at all (`None`).
type Pending = (EndedAttempt, oneshot::Sender<Option<bool>>);

/// The handle sends record their ends through; the recording task stops when the last is dropped.
#[derive(Clone)]
pub struct Recorder {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Recorder {
    /// Starts the recording task.
    pub fn spawn(store: DynStore) -> Recorder {
        let (queue, pending) = mpsc::unbounded_channel();
        tokio::spawn(run(store, pending));
        Recorder { queue }
    }

    /// Records `end` with the others pending and returns once it is committed: `Some(changed)`,
    /// whether its transaction changed any message (a status forward may be queued), or `None`
    /// when it could not be recorded (logged; the message stays `sending` until its lease makes
    /// it `unknown`).
    pub async fn record(&self, end: EndedAttempt) -> Option<bool> {
        let (done, recorded) = oneshot::channel();
        self.queue.send((end, done)).ok()?;
        recorded.await.ok().flatten()
    }
}

async fn run(store: DynStore, mut pending: mpsc::UnboundedReceiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (ends, waiting): (Vec<EndedAttempt>, Vec<oneshot::Sender<Option<bool>>>) = batch.drain(..).unzip();
        let recorded = match commit(&store, &ends).await {
            Ok(n) => vec![Some(n > 0); ends.len()],
            Err(e) => {
                tracing::warn!(error = %e, ends = ends.len(), "send queue: a batch of send outcomes failed; recording them one by one");
                one_by_one(&store, &ends).await
            }
        };
        for (done, ok) in waiting.into_iter().zip(recorded) {
            let _ = done.send(ok);
        }
    }
}

/// One batch, tried again after each of [`RETRY_PAUSES`].
async fn commit(store: &DynStore, ends: &[EndedAttempt]) -> StoreResult<usize> {
    let mut result = store.end_attempts(ends).await;
    for pause in RETRY_PAUSES {
        if result.is_ok() {
            break;
        }
        tokio::time::sleep(pause).await;
        result = store.end_attempts(ends).await;
    }
    result
}

async fn one_by_one(store: &DynStore, ends: &[EndedAttempt]) -> Vec<Option<bool>> {
    let mut recorded = Vec::with_capacity(ends.len());
    for end in ends {
        match commit(store, std::slice::from_ref(end)).await {
            Ok(n) => recorded.push(Some(n > 0)),
            Err(e) => {
                // The lease runs out and the message becomes `unknown`: never sent twice unseen.
                tracing::warn!(error = %e, message_id = %end.id, "send queue: cannot record a send's outcome");
                recorded.push(None);
            }
        }
    }
    recorded
}
