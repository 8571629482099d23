//! Named random streams. Each (run seed, stream name) pair gets its own
//! ChaCha8 stream: the seed is the key and a hash of the name selects one of
//! ChaCha's 2^64 independent streams. Adding a stream never shifts another's
//! draws, which is what makes two designs comparable on one seed (common
//! random numbers). ChaCha8 passes the statistical test batteries used for
//! simulation and is the fastest ChaCha variant.

use std::hash::Hasher;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The generator type of every stream.
pub type Stream = ChaCha8Rng;

/// Stable 64-bit FNV-1a hash of a name (identical on every platform/build).
pub fn name_hash(name: &str) -> u64 {
    let mut h = fnv::FnvHasher::default();
    h.write(name.as_bytes());
    h.finish()
}

/// The stream `name` of the run seeded with `seed`.
pub fn stream(seed: u64, name: &str) -> Stream {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(name_hash(name));
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn draws(rng: &mut Stream, n: usize) -> Vec<u64> {
        (0..n).map(|_| rng.random()).collect()
    }

    #[test]
    fn a_stream_is_a_function_of_seed_and_name_only() {
        let a = draws(&mut stream(42, "arrivals"), 100);
        // Creating and drawing from other streams in between changes nothing.
        let mut other = stream(42, "service");
        let _ = draws(&mut other, 1000);
        let mut extra = stream(42, "a-new-actor");
        let _ = draws(&mut extra, 10);
        assert_eq!(a, draws(&mut stream(42, "arrivals"), 100));
    }

    #[test]
    fn names_and_seeds_give_different_streams() {
        let a = draws(&mut stream(42, "arrivals"), 8);
        assert_ne!(a, draws(&mut stream(42, "service"), 8));
        assert_ne!(a, draws(&mut stream(43, "arrivals"), 8));
    }

    #[test]
    fn stream_values_are_pinned_across_builds() {
        // Guards against an accidental change of derivation (or a crate
        // upgrade that changes ChaCha8's output), which would silently change
        // every published result for a given seed.
        let first: u64 = stream(1, "arrivals").random();
        assert_eq!(first, PINNED_FIRST);
    }
    const PINNED_FIRST: u64 = 4_641_762_119_881_911_059;
}
