//! Batch verification of Ed25519 signatures that share one public key: Telnyx signs every
//! webhook of an account with the same key.
//!
//! `ed25519_dalek::verify_batch` checks, for random 128-bit `z_i`,
//!
//! ```text
//! [-Σ z_i·s_i] B  +  Σ [z_i] R_i  +  Σ [z_i·h_i] A_i  =  identity        h_i = SHA-512(R_i ‖ A_i ‖ M_i)
//! ```
//!
//! with a point of the multiscalar multiplication for every `A_i`. When every `A_i` is the same
//! `A`, the last sum is `[Σ z_i·h_i] A`: the same group element, so the same answer for the same
//! `z_i`, with `n + 2` points instead of `2n + 1`. `B` and `A` are fixed, so their tables are
//! computed once ([`VartimeEdwardsPrecomputation`]); each signature then costs one point
//! decompression, one hash and one 128-bit term of the multiscalar multiplication.
//!
//! Everything else is as in `verify_batch` (ed25519-dalek 2.x, `batch.rs`), so the batched and
//! single paths still agree as [`super::signature`] describes: `S` must be canonical, `R` must
//! decompress, and the equation is the cofactorless one (`is_identity`, no multiplication by the
//! cofactor). The `z_i` come from the thread's CSPRNG (`rand::thread_rng`) instead of a merlin
//! transcript of the inputs; either way a forger cannot predict them.
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint, VartimeEdwardsPrecomputation};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimePrecomputedMultiscalarMul};
use ed25519_dalek::{Signature, VerifyingKey};
use rand::Rng as _;
use sha2::{Digest, Sha512};

/// A public key with the tables its batches need.
pub struct OneKey {
    bytes: [u8; 32],
    /// `[B, A]`.
    fixed: VartimeEdwardsPrecomputation,
}

impl std::fmt::Debug for OneKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OneKey").field("bytes", &self.bytes).finish_non_exhaustive()
    }
}

impl OneKey {
    pub fn new(key: &VerifyingKey) -> Self {
        Self {
            bytes: key.to_bytes(),
            fixed: VartimeEdwardsPrecomputation::new([ED25519_BASEPOINT_POINT, key.to_edwards()]),
        }
    }

    /// Whether this is `key`'s.
    pub fn is_for(&self, key: &VerifyingKey) -> bool {
        self.bytes == key.to_bytes()
    }

    /// Whether every signature is valid for its message under this key. `false` when at least one
    /// is not, or is malformed: check them one by one to know which. `messages` and `signatures`
    /// pair up in order (a length mismatch is `false`).
    pub fn verify_batch(&self, messages: &[&[u8]], signatures: &[Signature], scratch: &mut BatchScratch) -> bool {
        if messages.len() != signatures.len() {
            return false;
        }
        scratch.zs.clear();
        scratch.rs.clear();
        let mut rng = rand::thread_rng();
        let mut b_coefficient = Scalar::ZERO;
        let mut a_coefficient = Scalar::ZERO;
        for (message, signature) in messages.iter().zip(signatures) {
            let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(*signature.s_bytes())) else {
                return false;
            };
            let Some(r) = CompressedEdwardsY(*signature.r_bytes()).decompress() else {
                return false;
            };
            let hash = Sha512::new().chain_update(signature.r_bytes()).chain_update(self.bytes).chain_update(message);
            let h = Scalar::from_bytes_mod_order_wide(&hash.finalize().into());
            let z = Scalar::from(rng.gen::<u128>());
            b_coefficient += z * s;
            a_coefficient += z * h;
            scratch.zs.push(z);
            scratch.rs.push(r);
        }
        self.fixed
            .vartime_mixed_multiscalar_mul([-b_coefficient, a_coefficient], &scratch.zs, &scratch.rs)
            .is_identity()
    }
}

/// Reusable buffers for [`OneKey::verify_batch`].
#[derive(Default)]
pub struct BatchScratch {
    zs: Vec<Scalar>,
    rs: Vec<EdwardsPoint>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn messages(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("1700000000|{{\"data\":{{\"id\":\"evt-{i}\"}}}}").into_bytes()).collect()
    }

    /// Our answer and ed25519-dalek's `verify_batch` for the same batch.
    fn both(msgs: &[Vec<u8>], sigs: &[Signature]) -> (bool, bool) {
        let vk = key(1).verifying_key();
        let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
        let ours = OneKey::new(&vk).verify_batch(&refs, sigs, &mut BatchScratch::default());
        let dalek = ed25519_dalek::verify_batch(&refs, sigs, &vec![vk; sigs.len()]).is_ok();
        (ours, dalek)
    }

    fn signed(n: usize) -> (Vec<Vec<u8>>, Vec<Signature>) {
        let msgs = messages(n);
        let sigs = msgs.iter().map(|m| key(1).sign(m)).collect();
        (msgs, sigs)
    }

    #[test]
    fn valid_batches_of_every_size_pass_as_with_dalek() {
        for n in [1, 2, 3, 8, 31, 64, 100] {
            let (msgs, sigs) = signed(n);
            assert_eq!(both(&msgs, &sigs), (true, true), "batch of {n}");
        }
    }

    #[test]
    fn one_bad_signature_anywhere_fails_the_batch_as_with_dalek() {
        for bad in [0, 7, 15] {
            // A signature over another message.
            let (mut msgs, sigs) = signed(16);
            msgs[bad].push(b' ');
            assert_eq!(both(&msgs, &sigs), (false, false), "message {bad} changed");
            // A signature by another key.
            let (msgs, mut sigs) = signed(16);
            sigs[bad] = key(2).sign(&msgs[bad]);
            assert_eq!(both(&msgs, &sigs), (false, false), "signature {bad} by another key");
            // Two signatures swapped: each is valid, for the other message.
            let (msgs, mut sigs) = signed(16);
            sigs.swap(bad, (bad + 1) % 16);
            assert_eq!(both(&msgs, &sigs), (false, false), "signatures {bad} and its neighbour swapped");
        }
    }

    /// The group order l, little-endian.
    const ORDER: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];

    /// `s + l` when it still fits the 253 bits a signature's S may use.
    fn plus_order(s: &[u8; 32]) -> Option<[u8; 32]> {
        let mut out = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = s[i] as u16 + ORDER[i] as u16 + carry;
            out[i] = sum as u8;
            carry = sum >> 8;
        }
        (carry == 0 && out[31] & 0xe0 == 0).then_some(out)
    }

    #[test]
    fn a_non_canonical_s_fails_though_it_reduces_to_a_valid_one() {
        assert_eq!(Scalar::from_bytes_mod_order(ORDER), Scalar::ZERO, "ORDER is l");
        let (msgs, mut sigs) = signed(16);
        // S + l is the same scalar mod l, so the equation would hold: the encoding must be refused.
        let (i, s_plus_l) =
            sigs.iter().enumerate().find_map(|(i, sig)| Some((i, plus_order(sig.s_bytes())?))).expect("one of 16 fits");
        let mut bytes = sigs[i].to_bytes();
        bytes[32..].copy_from_slice(&s_plus_l);
        sigs[i] = Signature::from_bytes(&bytes);
        assert_eq!(both(&msgs, &sigs), (false, false));
    }

    #[test]
    fn an_r_that_is_not_a_point_fails_the_batch() {
        let (msgs, mut sigs) = signed(4);
        let mut bytes = sigs[1].to_bytes();
        // y = 2 is not the y-coordinate of a curve point.
        bytes[..32].fill(0);
        bytes[0] = 2;
        assert!(CompressedEdwardsY(bytes[..32].try_into().unwrap()).decompress().is_none());
        sigs[1] = Signature::from_bytes(&bytes);
        assert_eq!(both(&msgs, &sigs), (false, false));
    }

    #[test]
    fn any_flipped_bit_of_a_signature_or_message_fails_as_with_dalek() {
        let mut rng = rand::thread_rng();
        for _ in 0..200 {
            let (mut msgs, mut sigs) = signed(4);
            let i = rng.gen_range(0..4);
            if rng.gen_bool(0.5) {
                let mut bytes = sigs[i].to_bytes();
                let bit = rng.gen_range(0..512);
                bytes[bit / 8] ^= 1 << (bit % 8);
                sigs[i] = Signature::from_bytes(&bytes);
            } else {
                let bit = rng.gen_range(0..msgs[i].len() * 8);
                msgs[i][bit / 8] ^= 1 << (bit % 8);
            }
            assert_eq!(both(&msgs, &sigs), (false, false), "a bit of item {i} flipped");
        }
    }

    #[test]
    fn mismatched_lengths_fail() {
        let (msgs, sigs) = signed(3);
        let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
        let one = OneKey::new(&key(1).verifying_key());
        assert!(!one.verify_batch(&refs[..2], &sigs, &mut BatchScratch::default()));
    }

    #[test]
    fn a_key_knows_its_own() {
        let one = OneKey::new(&key(1).verifying_key());
        assert!(one.is_for(&key(1).verifying_key()));
        assert!(!one.is_for(&key(2).verifying_key()));
    }
}
