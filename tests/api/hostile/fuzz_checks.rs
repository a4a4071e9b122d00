//! The fuzz targets' checks (fuzz/src/checks.rs) driven on stable Rust: the seed corpus plus
//! deterministic pseudo-random mutations (byte flips, inserts, truncations, splices). No panics.
#[path = "../../../fuzz/src/checks.rs"]
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

fn seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

const MUTATIONS: usize = 4000;

#[test]
fn webhook_envelope_target_survives_seeds_and_mutations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/webhook_envelope");
    let seeds = seeds(&dir);
    assert!(seeds.len() >= 8, "seed corpus in {}", dir.display());
    let mut parsed = 0;
    for s in &seeds {
        parsed += usize::from(checks::webhook_envelope(s));
    }
    assert!(parsed >= seeds.len() - 1, "the seeds are real events and parse ({parsed}/{})", seeds.len());
    let mut rng = Rng(0x5EED_0001);
    for i in 0..MUTATIONS {
        let input = mutate(&mut rng, &seeds[i % seeds.len()], &seeds);
        let res = std::panic::catch_unwind(|| checks::webhook_envelope(&input));
        assert!(res.is_ok(), "mutation {i} panicked: {:?}", String::from_utf8_lossy(&input));
    }
    println!("webhook_envelope: {} seeds, {MUTATIONS} mutations, no panic", seeds.len());
}

#[test]
fn e164_target_survives_seeds_and_mutations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/e164");
    let seeds = seeds(&dir);
    assert!(!seeds.is_empty(), "seed corpus in {}", dir.display());
    let mut rng = Rng(0x5EED_0002);
    let mut ok = 0;
    for i in 0..MUTATIONS + seeds.len() {
        let input = if i < seeds.len() { seeds[i].clone() } else { mutate(&mut rng, &seeds[i % seeds.len()], &seeds) };
        let res = std::panic::catch_unwind(|| checks::e164(&input));
        match res {
            Ok(parsed) => ok += usize::from(parsed),
            Err(_) => panic!("input {i} panicked: {:?}", String::from_utf8_lossy(&input)),
        }
    }
    assert!(ok > 0, "some inputs parse");
    println!("e164: {} seeds, {MUTATIONS} mutations, {ok} parsed, round trips hold", seeds.len());
}
