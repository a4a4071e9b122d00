//! Hot-path micro-benches: Ed25519 verify (single vs batched), envelope parse.
//!
//! `cargo bench --bench webhook_parse -- --warm-up-time 1 --measurement-time 3`
//! Batch groups report time per batch; divide by the batch size for the cost per
//! signature (the throughput line shows signatures per second).

use std::hint::black_box;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ed25519_dalek::{Signer, SigningKey, Verifier};
use switchboard::telnyx::batch_verify::{verify_group, BatchConfig, BatchVerifier, Scratch};
use switchboard::telnyx::events::parse_envelope;
use switchboard::telnyx::signature::{prepare, PreparedSignature, SignedHeaders, WebhookVerifier};

const NOW: i64 = 1_715_710_202;
const FIXTURE: &[u8] = include_bytes!("../tests/fixtures/telnyx/message_received.json");
const CALL: &[u8] = include_bytes!("../tests/fixtures/telnyx/call_initiated.json");

/// The message.received fixture without its pretty-printing (~1.5 KB), made
/// distinct per `i` so batches hash different messages.
fn body(i: usize) -> Vec<u8> {
    let value: serde_json::Value = serde_json::from_slice(FIXTURE).expect("fixture is JSON");
    let text = serde_json::to_string(&value).expect("serialize");
    text.replacen("b301ed3f-1490-491f", &format!("{i:08x}-1490-491f"), 1).into_bytes()
}

struct Signed {
    ts: String,
    sig: String,
    body: Vec<u8>,
}

fn signed(key: &SigningKey, i: usize) -> Signed {
    let ts = NOW.to_string();
    let body = body(i);
    let mut msg = format!("{ts}|").into_bytes();
    msg.extend_from_slice(&body);
    let sig = STANDARD.encode(key.sign(&msg).to_bytes());
    Signed { ts, sig, body }
}

fn prepared(s: &Signed) -> PreparedSignature {
    let headers = SignedHeaders::from_strs(Some(&s.sig), Some(&s.ts));
    prepare(headers, NOW, 300).expect("valid headers")
}

fn benches(c: &mut Criterion) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let verifier = WebhookVerifier::new(&STANDARD.encode(key.verifying_key().as_bytes())).expect("key");
    let one = signed(&key, 0);
    println!("message.received body: {} bytes", one.body.len());

    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(1));
    g.bench_function("single_1.5KB", |b| {
        b.iter(|| {
            let headers = SignedHeaders::from_strs(Some(&one.sig), Some(&one.ts));
            verifier.verify(black_box(headers), black_box(&one.body), NOW, 300)
        })
    });
    for n in [8usize, 32, 64] {
        let items: Vec<Signed> = (0..n).map(|i| signed(&key, i)).collect();
        let preps: Vec<PreparedSignature> = items.iter().map(prepared).collect();
        let mut scratch = Scratch::default();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("batch", n), &n, |b, _| {
            b.iter(|| {
                let it = preps.iter().zip(&items).map(|(p, s)| (p, &s.body[..]));
                let fell_back = verify_group(&verifier, it, &mut scratch);
                assert!(!fell_back && scratch.results.iter().all(Result::is_ok));
            })
        });
    }
    // End to end through the verification thread: 64 concurrent callers.
    let bv = BatchVerifier::start(verifier.clone(), BatchConfig::default()).expect("thread");
    let items: Vec<(PreparedSignature, Bytes)> = (0..64)
        .map(|i| {
            let s = signed(&key, i);
            (prepared(&s), Bytes::from(s.body))
        })
        .collect();
    g.throughput(Throughput::Elements(64));
    g.bench_function("batch_verifier_64_concurrent", |b| {
        b.iter(|| {
            let futs = items.iter().map(|(p, body)| bv.verify(*p, body.clone()));
            let results = futures::executor::block_on(futures::future::join_all(futs));
            assert!(results.iter().all(Result::is_ok));
        })
    });
    g.finish();

    // The bare primitive, to separate our overhead from ed25519-dalek's.
    let mut g = c.benchmark_group("primitive");
    let mut message = format!("{}|", one.ts).into_bytes();
    message.extend_from_slice(&one.body);
    let sig = key.sign(&message);
    let vk = key.verifying_key();
    g.bench_function("dalek_verify_strict_1.5KB", |b| {
        b.iter(|| vk.verify_strict(black_box(&message), black_box(&sig)))
    });
    g.bench_function("dalek_verify_1.5KB", |b| b.iter(|| vk.verify(black_box(&message), black_box(&sig))));
    // ed25519-dalek's own batch (a multiscalar term per signature for the key), against
    // `verify/batch/N` (telnyx::one_key_batch: the key's terms as one).
    for n in [8usize, 32, 64] {
        let messages: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let s = signed(&key, i);
                let mut m = format!("{}|", s.ts).into_bytes();
                m.extend_from_slice(&s.body);
                m
            })
            .collect();
        let sigs: Vec<_> = messages.iter().map(|m| key.sign(m)).collect();
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let keys = vec![vk; n];
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("dalek_verify_batch", n), &n, |b, _| {
            b.iter(|| ed25519_dalek::verify_batch(black_box(&refs), black_box(&sigs), &keys).expect("valid"))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(1));
    g.bench_function("envelope_message_received_1.5KB", |b| {
        b.iter(|| parse_envelope(black_box(&one.body)).map(|e| e.attempt))
    });
    g.bench_function("envelope_call_initiated", |b| b.iter(|| parse_envelope(black_box(CALL)).map(|e| e.attempt)));
    g.bench_function("prepare_headers", |b| {
        b.iter(|| {
            let headers = SignedHeaders::from_strs(Some(&one.sig), Some(&one.ts));
            prepare(black_box(headers), NOW, 300)
        })
    });
    g.finish();
}

criterion_group!(webhook, benches);
criterion_main!(webhook);
