//! The fuzz targets' checks (fuzz/src/checks/) driven on stable Rust: every file of each target's
//! corpus (the seeds and the regression inputs of past crashes) plus deterministic pseudo-random
//! mutations (byte flips, inserts, truncations, splices). No panics.
#[path = "../../../fuzz/src/checks/mod.rs"]
mod checks;

use std::path::Path;

/// xorshift64*: deterministic, so a failure reproduces with the printed iteration.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\0",
    b"\xff",
    b"\xc3",
    b"null",
    b"1e400",
    b"-0",
    b"+",
    b"(",
    b")",
    b" ",
    b"\"id\":",
    b"\"payload\":",
    b"\"to\":",
    b"\"from\":",
    b"\"hours\":",
    b"\"open\":",
    b"\"destinations\":",
    b"\"message\":",
    b"24:00",
    b"https://",
    b"http://",
    b"[::1]",
    b"127.0.0.1",
    b"@",
    b"%",
    b"sip:",
];

fn mutate(rng: &mut Rng, seed: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let len = out.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = rng.next() as u8;
            }
            2 => out.truncate(rng.below(len + 1)),
            3 => {
                let at = rng.below(len + 1);
                let piece = INTERESTING[rng.below(INTERESTING.len())];
                out.splice(at..at, piece.iter().copied());
            }
            4 if len > 0 => {
                let (a, b) = (rng.below(len), rng.below(len));
                let (a, b) = (a.min(b), a.max(b));
                out.drain(a..b);
            }
            _ => {
                // Splice: the head of this input, the tail of another.
                let other = &others[rng.below(others.len())];
                let cut = rng.below(len + 1);
                let from = rng.below(other.len() + 1);
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
        }
    }
    out
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let seeds: Vec<_> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!seeds.is_empty(), "seed corpus in {}", dir.display());
    seeds
}

const MUTATIONS: usize = 4000;

/// Every corpus file, then `MUTATIONS` mutations of them; `check` returns how much of an input was
/// accepted. Returns what the corpus files alone scored, and the total.
fn replay(target: &str, rng_seed: u64, check: impl Fn(&[u8]) -> usize + std::panic::RefUnwindSafe) -> (usize, usize) {
    let seeds = seeds(target);
    let mut rng = Rng(rng_seed);
    let (mut from_seeds, mut total) = (0, 0);
    for i in 0..seeds.len() + MUTATIONS {
        let input = if i < seeds.len() { seeds[i].clone() } else { mutate(&mut rng, &seeds[i % seeds.len()], &seeds) };
        match std::panic::catch_unwind(|| check(&input)) {
            Ok(score) if i < seeds.len() => from_seeds += score,
            Ok(score) => total += score,
            Err(_) => panic!("{target}: input {i} panicked: {:?}", String::from_utf8_lossy(&input)),
        }
    }
    total += from_seeds;
    println!("{target}: {} corpus files, {MUTATIONS} mutations, {total} accepted, no panic", seeds.len());
    (from_seeds, total)
}

#[test]
fn webhook_envelope_target_survives_seeds_and_mutations() {
    let seeds = seeds("webhook_envelope").len();
    assert!(seeds >= 8, "the webhook corpus holds the Telnyx fixtures");
    let (parsed, _) = replay("webhook_envelope", 0x5EED_0001, |d| usize::from(checks::webhook_envelope(d)));
    assert!(parsed >= seeds - 1, "the seeds are real events and parse ({parsed}/{seeds})");
}

#[test]
fn e164_target_survives_seeds_and_mutations() {
    let (_, parsed) = replay("e164", 0x5EED_0002, |d| usize::from(checks::e164(d)));
    assert!(parsed > 0, "some inputs parse");
}

#[test]
fn signature_headers_target_survives_seeds_and_mutations() {
    let (verified, _) = replay("signature_headers", 0x5EED_0003, |d| usize::from(checks::signature_headers(d)));
    assert!(verified > 0, "some seeds carry a signature that verifies");
}

#[test]
fn admin_rules_target_survives_seeds_and_mutations() {
    let (accepted, _) = replay("admin_rules", 0x5EED_0004, checks::admin_rules);
    assert!(accepted > 0, "some seeds are valid bodies");
}

#[test]
fn destination_url_target_survives_seeds_and_mutations() {
    let (accepted, _) = replay("destination_url", 0x5EED_0005, |d| usize::from(checks::destination_url(d)));
    assert!(accepted > 0, "some seeds are valid destinations");
}
