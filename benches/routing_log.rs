//! The routing log's stored form of a decision (`ledger::decision_codec::encode`), which every
//! routed event writes: per line, for the decisions of the production shape.
//!
//! `cargo bench --bench routing_log -- --warm-up-time 1 --measurement-time 3`
//! - `encode/<kind>`: one kind of decision with a new customer on every line (what a company's
//!   routed events write);
//! - `encode_unremembered`: 1,024 kinds in turn, more than a thread remembers (every line a new
//!   kind: the cost of a kind's first line).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use switchboard::ledger::decision_codec::encode;

const NUMBER: &str = "+14155552000";

/// The production shape's decisions (as serde_json writes them) for customer `customer`.
fn decisions(customer: &str) -> [(&'static str, String); 3] {
    [
        (
            "unrouted",
            format!(
                r#"{{"destination":null,"matched":{{"rule":"unrouted"}},"via_assignment":null,"effective_number":"{NUMBER}","trace":[{{"rule":"assignment","outcome":"skipped","reason":"{customer} has no assignment"}},{{"rule":"department","outcome":"skipped","reason":"{NUMBER} has no department"}},{{"rule":"location","outcome":"skipped","reason":"{NUMBER} has no location"}},{{"rule":"company_default","outcome":"skipped","reason":"the company has no default message destination"}}]}}"#
            ),
        ),
        (
            "call_chain",
            format!(
                r#"{{"destination":{{"kind":"call","address":{{"steps":[{{"targets":["+14155550199"],"timeout_secs":20}},{{"targets":["+14155550198"],"timeout_secs":20}}],"final_action":{{"action":"hangup"}}}}}},"matched":{{"rule":"department","name":"Support","after_hours":false}},"via_assignment":null,"effective_number":"{NUMBER}","trace":[{{"rule":"assignment","outcome":"skipped","reason":"{customer} has no assignment"}},{{"rule":"department","outcome":"matched","reason":"department \"Support\" has no business hours: its call destination"}}]}}"#
            ),
        ),
        (
            "message_forward",
            format!(
                r#"{{"destination":{{"kind":"message","address":"http://127.0.0.1:46629/hooks/support"}},"matched":{{"rule":"department","name":"Support","after_hours":false}},"via_assignment":null,"effective_number":"{NUMBER}","trace":[{{"rule":"assignment","outcome":"skipped","reason":"{customer} has no assignment"}},{{"rule":"department","outcome":"matched","reason":"department \"Support\" has no business hours: its message destination"}}]}}"#
            ),
        ),
    ]
}

fn customer(i: usize) -> String {
    format!("+1206{}", 2_000_000 + i % 1_000_000)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    for k in 0..3 {
        let lines: Vec<(String, String)> =
            (0..1_000).map(|i| (customer(i), decisions(&customer(i))[k].1.clone())).collect();
        let mut i = 0;
        g.bench_function(decisions("")[k].0, |b| {
            b.iter(|| {
                i = (i + 1) % lines.len();
                let (customer, json) = &lines[i];
                encode(black_box(json), NUMBER, customer)
            })
        });
    }
    g.finish();
    let kinds: Vec<String> =
        (0..1_024).map(|i| decisions(&customer(0))[2].1.replace("Support", &format!("Support {i}"))).collect();
    let mut i = 0;
    c.bench_function("encode_unremembered", |b| {
        b.iter(|| {
            i = (i + 1) % kinds.len();
            encode(black_box(&kinds[i]), NUMBER, &customer(0))
        })
    });
}

criterion_group!(routing_log, benches);
criterion_main!(routing_log);
