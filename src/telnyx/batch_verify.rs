//! Batched Ed25519 verification for webhooks arriving on many tasks at once.
//!
//! HTTP workers run the cheap checks ([`super::signature::prepare`]) themselves
//! and hand the expensive Ed25519 check to [`BatchVerifier::verify`]. A small
//! fixed number of dedicated OS threads drain whatever is pending (up to
//! `max_batch`), check it with one batch equation ([`OneKey::verify_batch`]:
//! every webhook is signed with the same key) and answer each request through a
//! oneshot channel. A lone request is verified singly; a failed batch is
//! re-checked one by one so only the bad signatures fail.
//!
//! Consistency: the batch equation is `ed25519_dalek::verify_batch`'s, the same
//! cofactorless equation as the single path ([`WebhookVerifier::verify_message`]).
//! They can only disagree on a signature carrying a small-order component, which
//! nobody without the private key can produce, so batching never lets a forgery
//! through.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;

use bytes::Bytes;
use ed25519_dalek::Signature;
use tokio::sync::oneshot;

use super::one_key_batch::{BatchScratch, OneKey};
use super::signature::{PreparedSignature, SignatureError, WebhookVerifier};

/// Sizing of the verification threads and their queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// Dedicated verification threads (each with its own queue).
    pub threads: usize,
    /// Most signatures checked in one batch equation.
    pub max_batch: usize,
    /// Pending requests per thread before callers get `Overloaded`.
    pub queue_capacity: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self { threads: 1, max_batch: 64, queue_capacity: 4096 }
    }
}

/// Counters for metrics (emit per batch, read by the metrics endpoint).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    /// Groups processed (a lone request counts as a group of one).
    pub batches: u64,
    /// Signatures checked.
    pub signatures: u64,
    /// Batches that failed and were re-checked one by one.
    pub fallbacks: u64,
}

struct Job {
    prepared: PreparedSignature,
    body: Bytes,
    reply: oneshot::Sender<Result<(), SignatureError>>,
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    signatures: AtomicU64,
    fallbacks: AtomicU64,
}

struct Inner {
    queues: Vec<SyncSender<Job>>,
    next: AtomicUsize,
    counters: Arc<Counters>,
}

/// Cheap to clone; share one per process (e.g. in `web::Data`).
/// Worker threads stop once every clone has been dropped.
#[derive(Clone)]
pub struct BatchVerifier {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BatchVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchVerifier").field("threads", &self.inner.queues.len()).finish_non_exhaustive()
    }
}

impl BatchVerifier {
    /// Starts `config.threads` verification threads (at least one).
    pub fn start(verifier: WebhookVerifier, config: BatchConfig) -> std::io::Result<Self> {
        let threads = config.threads.max(1);
        let max_batch = config.max_batch.max(1);
        let counters = Arc::new(Counters::default());
        let mut queues = Vec::with_capacity(threads);
        for i in 0..threads {
            let (tx, rx) = mpsc::sync_channel(config.queue_capacity.max(1));
            let verifier = verifier.clone();
            let counters = Arc::clone(&counters);
            thread::Builder::new()
                .name(format!("sig-verify-{i}"))
                .spawn(move || worker(&verifier, &rx, max_batch, &counters))?;
            queues.push(tx);
        }
        Ok(Self { inner: Arc::new(Inner { queues, next: AtomicUsize::new(0), counters }) })
    }

    /// Ed25519 check of `timestamp|body`, batched with concurrent callers.
    /// `Overloaded` when every queue is full (answer 503 so Telnyx retries).
    pub async fn verify(&self, prepared: PreparedSignature, body: Bytes) -> Result<(), SignatureError> {
        let (reply, answer) = oneshot::channel();
        let mut job = Job { prepared, body, reply };
        let queues = &self.inner.queues;
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let mut sent = false;
        for k in 0..queues.len() {
            match queues[(start + k) % queues.len()].try_send(job) {
                Ok(()) => {
                    sent = true;
                    break;
                }
                Err(TrySendError::Full(j) | TrySendError::Disconnected(j)) => job = j,
            }
        }
        if !sent {
            return Err(SignatureError::Overloaded);
        }
        // A dropped sender means the worker died: ask Telnyx to retry.
        answer.await.unwrap_or(Err(SignatureError::Overloaded))
    }

    pub fn stats(&self) -> BatchStats {
        let c = &self.inner.counters;
        BatchStats {
            batches: c.batches.load(Ordering::Relaxed),
            signatures: c.signatures.load(Ordering::Relaxed),
            fallbacks: c.fallbacks.load(Ordering::Relaxed),
        }
    }
}

fn worker(verifier: &WebhookVerifier, rx: &Receiver<Job>, max_batch: usize, c: &Counters) {
    let mut jobs: Vec<Job> = Vec::with_capacity(max_batch);
    let mut scratch = Scratch::default();
    while let Ok(first) = rx.recv() {
        jobs.push(first);
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let items = jobs.iter().map(|j| (&j.prepared, &j.body[..]));
        let fell_back = verify_group(verifier, items, &mut scratch);
        c.batches.fetch_add(1, Ordering::Relaxed);
        c.signatures.fetch_add(jobs.len() as u64, Ordering::Relaxed);
        if fell_back {
            c.fallbacks.fetch_add(1, Ordering::Relaxed);
        }
        for (job, result) in jobs.drain(..).zip(scratch.results.drain(..)) {
            // The caller may have given up (request cancelled); nothing to do then.
            let _ = job.reply.send(result);
        }
    }
}

/// Reusable buffers for [`verify_group`].
#[derive(Default)]
pub struct Scratch {
    message_bytes: Vec<u8>,
    ends: Vec<usize>,
    signatures: Vec<Signature>,
    /// The verifier's key with its tables, built on first use (again if the key changes).
    key: Option<OneKey>,
    batch: BatchScratch,
    /// One result per item of the last group, in order.
    pub results: Vec<Result<(), SignatureError>>,
}

/// Verifies a group of prepared signatures; results land in `scratch.results`.
/// One item is checked singly; several with one batch equation, and one by one
/// if that fails. Returns whether the one-by-one fallback ran.
pub fn verify_group<'a>(
    verifier: &WebhookVerifier,
    items: impl ExactSizeIterator<Item = (&'a PreparedSignature, &'a [u8])>,
    scratch: &mut Scratch,
) -> bool {
    scratch.results.clear();
    scratch.message_bytes.clear();
    scratch.ends.clear();
    scratch.signatures.clear();
    let n = items.len();
    for (prepared, body) in items {
        scratch.message_bytes.extend_from_slice(prepared.timestamp_text());
        scratch.message_bytes.push(b'|');
        scratch.message_bytes.extend_from_slice(body);
        scratch.ends.push(scratch.message_bytes.len());
        scratch.signatures.push(*prepared.signature());
    }
    let bytes = &scratch.message_bytes;
    let mut start = 0;
    let messages: Vec<&[u8]> = scratch
        .ends
        .iter()
        .map(|&end| {
            let m = &bytes[start..end];
            start = end;
            m
        })
        .collect();
    if n > 1 {
        let vk = verifier.verifying_key();
        if scratch.key.as_ref().is_some_and(|k| !k.is_for(vk)) {
            scratch.key = None;
        }
        let key = scratch.key.get_or_insert_with(|| OneKey::new(vk));
        if key.verify_batch(&messages, &scratch.signatures, &mut scratch.batch) {
            scratch.results.resize(n, Ok(()));
            return false;
        }
    }
    for (m, sig) in messages.iter().zip(&scratch.signatures) {
        scratch.results.push(verifier.verify_message(m, sig));
    }
    n > 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telnyx::signature::{prepare, SignedHeaders};
    use base64::{engine::general_purpose::STANDARD, Engine as _};
    use ed25519_dalek::{Signer, SigningKey};
    use futures::FutureExt as _;

    const NOW: i64 = 1_700_000_000;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[9; 32])
    }

    fn verifier() -> WebhookVerifier {
        WebhookVerifier::new(&STANDARD.encode(key().verifying_key().as_bytes())).expect("key")
    }

    /// Request `i`: every third one carries a signature over a different body.
    fn request(i: usize) -> (PreparedSignature, Bytes, bool) {
        let ts = (NOW - (i % 50) as i64).to_string();
        let body = format!(r#"{{"data":{{"id":"evt-{i}"}}}}"#);
        let good = i % 3 != 0;
        let signed = if good { body.clone() } else { format!("{body} ") };
        let sig = key().sign(format!("{ts}|{signed}").as_bytes());
        let sig = STANDARD.encode(sig.to_bytes());
        let headers = SignedHeaders::from_strs(Some(&sig), Some(&ts));
        let prepared = prepare(headers, NOW, 300).expect("cheap checks pass");
        (prepared, Bytes::from(body), good)
    }

    fn expected(good: bool) -> Result<(), SignatureError> {
        if good {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    #[test]
    fn group_with_bad_signatures_falls_back_and_finds_each() {
        let reqs: Vec<_> = (0..10).map(request).collect();
        let mut scratch = Scratch::default();
        let items = reqs.iter().map(|(p, b, _)| (p, &b[..]));
        assert!(verify_group(&verifier(), items, &mut scratch));
        let want: Vec<_> = reqs.iter().map(|r| expected(r.2)).collect();
        assert_eq!(scratch.results, want);
    }

    #[test]
    fn all_good_group_passes_in_one_batch() {
        let reqs: Vec<_> = (0..64).map(request).filter(|r| r.2).collect();
        let mut scratch = Scratch::default();
        let items = reqs.iter().map(|(p, b, _)| (p, &b[..]));
        assert!(!verify_group(&verifier(), items, &mut scratch));
        assert_eq!(scratch.results.len(), reqs.len());
        assert!(scratch.results.iter().all(Result::is_ok));
    }

    #[test]
    fn a_scratch_used_with_another_key_checks_against_that_key() {
        let reqs: Vec<_> = (0..8).map(request).filter(|r| r.2).collect();
        let mut scratch = Scratch::default();
        let items = || reqs.iter().map(|(p, b, _)| (p, &b[..]));
        assert!(!verify_group(&verifier(), items(), &mut scratch));
        let other = SigningKey::from_bytes(&[10; 32]);
        let other = WebhookVerifier::new(&STANDARD.encode(other.verifying_key().as_bytes())).expect("key");
        assert!(verify_group(&other, items(), &mut scratch), "the batch fails under the other key");
        assert!(scratch.results.iter().all(|r| *r == Err(SignatureError::Mismatch)));
        assert!(!verify_group(&verifier(), items(), &mut scratch), "and passes under the first key again");
    }

    #[test]
    fn single_item_group_is_checked_singly() {
        let mut scratch = Scratch::default();
        for i in 0..3 {
            let (p, b, good) = request(i);
            let fell_back = verify_group(&verifier(), std::iter::once((&p, &b[..])), &mut scratch);
            assert!(!fell_back);
            assert_eq!(scratch.results, vec![expected(good)]);
        }
    }

    #[test]
    fn concurrent_callers_from_several_threads_get_their_own_answer() {
        let config = BatchConfig { threads: 2, max_batch: 16, queue_capacity: 1024 };
        let bv = BatchVerifier::start(verifier(), config).expect("threads start");
        let callers: Vec<_> = (0..4)
            .map(|t| {
                let bv = bv.clone();
                thread::spawn(move || {
                    let reqs: Vec<_> = (t * 100..t * 100 + 100).map(request).collect();
                    let futs = reqs.iter().map(|(p, b, _)| bv.verify(*p, b.clone()));
                    let got = futures::executor::block_on(futures::future::join_all(futs));
                    let want: Vec<_> = reqs.iter().map(|r| expected(r.2)).collect();
                    assert_eq!(got, want, "caller thread {t}");
                })
            })
            .collect();
        for c in callers {
            c.join().expect("caller thread passed");
        }
        assert_eq!(bv.stats().signatures, 400);
    }

    #[test]
    fn verify_future_is_send_for_multi_threaded_runtimes() {
        fn assert_send<T: Send>(_: T) {}
        let bv = BatchVerifier::start(verifier(), BatchConfig::default()).expect("thread");
        let (p, b, _) = request(1);
        assert_send(bv.verify(p, b));
    }

    #[test]
    fn full_queue_answers_overloaded() {
        // A worker that never drains: build the verifier around a queue nobody reads.
        let (tx, _rx) = mpsc::sync_channel(1);
        let bv = BatchVerifier {
            inner: Arc::new(Inner { queues: vec![tx], next: AtomicUsize::new(0), counters: Arc::default() }),
        };
        let (p, b, _) = request(1);
        // Polled once: queued, then waiting for an answer that never comes.
        assert!(bv.verify(p, b.clone()).now_or_never().is_none());
        let second = futures::executor::block_on(bv.verify(p, b));
        assert_eq!(second, Err(SignatureError::Overloaded));
    }
}
