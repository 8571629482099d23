//! What the clients do between a failed attempt and the next one: jittered
//! backoff and the retry budget, in fixed memory.

use rand::Rng;

use crate::engine::{NANOS_PER_MILLI, SimTime, Stream};
use crate::scenario::{Jitter, RetryBudget};

/// Width of one slot of a sliding window.
pub(crate) const SLOT: SimTime = 100 * NANOS_PER_MILLI;

/// `N` counters summed over a sliding window, kept as a ring of 100 ms
/// slots: the window is the current slot and the `len - 1` before it.
/// Adding and reading are O(1) (amortised: each slot is cleared once as
/// time passes it) and memory is fixed by the window's length.
#[derive(Debug, Clone)]
pub(crate) struct Sliding<const N: usize> {
    ring: Vec<[u64; N]>,
    /// Absolute index (time / SLOT) of the current slot.
    head: u64,
    sums: [u64; N],
}

impl<const N: usize> Sliding<N> {
    /// A window of `window` (a multiple of [`SLOT`], validated).
    pub(crate) fn new(window: SimTime) -> Self {
        let len = (window / SLOT).max(1) as usize;
        Sliding {
            ring: vec![[0; N]; len],
            head: 0,
            sums: [0; N],
        }
    }

    /// Moves the window so that it ends in the slot of `now`.
    fn advance(&mut self, now: SimTime) {
        let idx = now / SLOT;
        if idx <= self.head {
            return;
        }
        let len = self.ring.len() as u64;
        let from = self.head.max(idx.saturating_sub(len));
        for i in from + 1..=idx {
            let slot = &mut self.ring[(i % len) as usize];
            for (sum, old) in self.sums.iter_mut().zip(slot.iter()) {
                *sum -= old;
            }
            *slot = [0; N];
        }
        self.head = idx;
    }

    /// Counts `n` in counter `k` at `now`.
    pub(crate) fn add(&mut self, now: SimTime, k: usize, n: u64) {
        self.advance(now);
        let len = self.ring.len() as u64;
        self.ring[(self.head % len) as usize][k] += n;
        self.sums[k] += n;
    }

    /// The counters summed over the window ending at `now`.
    pub(crate) fn sums(&mut self, now: SimTime) -> [u64; N] {
        self.advance(now);
        self.sums
    }
}

const FIRSTS: usize = 0;
const RETRIES: usize = 1;

/// The retry budget shared by the client population: retries over the last
/// `ttl` stay within `ratio` x first attempts + `min_per_second` x ttl.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    counts: Sliding<2>,
    ratio: f64,
    reserve: f64,
}

impl Budget {
    pub(crate) fn new(b: &RetryBudget) -> Budget {
        Budget {
            counts: Sliding::new(b.ttl),
            ratio: b.ratio,
            reserve: b.min_per_second * crate::engine::as_secs_f64(b.ttl),
        }
    }

    /// A first attempt was sent: it earns `ratio` of a retry.
    pub(crate) fn first_attempt(&mut self, now: SimTime) {
        self.counts.add(now, FIRSTS, 1);
    }

    /// Whether one more retry fits the budget; if so it is counted.
    pub(crate) fn try_retry(&mut self, now: SimTime) -> bool {
        let [firsts, retries] = self.counts.sums(now);
        let ok = (retries + 1) as f64 <= self.ratio * firsts as f64 + self.reserve;
        if ok {
            self.counts.add(now, RETRIES, 1);
        }
        ok
    }
}

/// `wait` randomised by `jitter` (one draw from `rng` unless `None`).
pub(crate) fn jittered(wait: SimTime, jitter: Jitter, rng: &mut Stream) -> SimTime {
    match jitter {
        Jitter::None => wait,
        Jitter::Full => rng.random_range(0..=wait),
        Jitter::Equal => {
            let half = wait / 2;
            half + rng.random_range(0..=wait - half)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{NANOS_PER_SEC, stream};

    const S: SimTime = NANOS_PER_SEC;

    #[test]
    fn a_sliding_window_forgets_what_left_it() {
        let mut w: Sliding<1> = Sliding::new(S);
        w.add(0, 0, 5);
        w.add(950 * NANOS_PER_MILLI, 0, 1);
        assert_eq!(w.sums(999 * NANOS_PER_MILLI), [6]);
        // The 10-slot window ending in slot 10 no longer holds slot 0.
        assert_eq!(w.sums(S), [1]);
        assert_eq!(w.sums(2 * S), [0]);
        // A long silence clears at most the ring once.
        w.add(3600 * S, 0, 2);
        assert_eq!(w.sums(3600 * S + 1), [2]);
    }

    #[test]
    fn the_budget_allows_its_reserve_plus_a_ratio_of_first_attempts() {
        let b = RetryBudget {
            ratio: 0.2,
            min_per_second: 1.0,
            ttl: 10 * S,
        };
        let mut budget = Budget::new(&b);
        for i in 0..100 {
            budget.first_attempt(i * 10 * NANOS_PER_MILLI);
        }
        // 0.2 x 100 first attempts + 1/s x 10 s = 30 retries.
        let now = 2 * S;
        let allowed = (0..100).filter(|_| budget.try_retry(now)).count();
        assert_eq!(allowed, 30);
        // Ten seconds later the first attempts have left the window; the
        // retries have too: only the reserve remains.
        let later = 13 * S;
        let allowed = (0..100).filter(|_| budget.try_retry(later)).count();
        assert_eq!(allowed, 10);
    }

    #[test]
    fn jitter_stays_within_its_range() {
        let mut rng = stream(1, "test");
        let w = 1000;
        for _ in 0..1000 {
            assert_eq!(jittered(w, Jitter::None, &mut rng), w);
            assert!(jittered(w, Jitter::Full, &mut rng) <= w);
            assert!((500..=1000).contains(&jittered(w, Jitter::Equal, &mut rng)));
        }
        let mean = (0..10_000)
            .map(|_| jittered(w, Jitter::Full, &mut rng) as f64)
            .sum::<f64>()
            / 10_000.0;
        // Uniform on [0, 1000]: mean 500, standard error 289/100 = 2.9.
        assert!((mean - 500.0).abs() < 12.0, "{mean}");
    }
}
