//! What the clients do around their attempts: jittered backoff, the retry
//! budget and the circuit breaker, in fixed memory.

use rand::Rng;

use crate::engine::{NANOS_PER_MILLI, SimTime, Stream};
use crate::scenario::{CircuitBreaker, Jitter, RetryBudget};

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

    /// Forgets everything counted so far.
    pub(crate) fn clear(&mut self) {
        self.ring.iter_mut().for_each(|s| *s = [0; N]);
        self.sums = [0; N];
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

const CALLS: usize = 0;
const FAILURES: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Closed,
    Open {
        since: SimTime,
        until: SimTime,
    },
    /// `admitted` probes sent so far, `passed` of them succeeded.
    HalfOpen {
        admitted: u32,
        passed: u32,
    },
}

/// The circuit breaker shared by the client population.
#[derive(Debug, Clone)]
pub(crate) struct Breaker {
    cfg: CircuitBreaker,
    outcomes: Sliding<2>,
    state: State,
    /// Bumped at every change of state: a half-open state's probes are
    /// the attempts admitted in its epoch.
    epoch: u32,
    /// Times it opened (from closed or half-open).
    pub(crate) opened: u32,
    /// Time spent open, up to the last change out of the open state.
    open_ns: SimTime,
}

impl Breaker {
    pub(crate) fn new(cfg: &CircuitBreaker) -> Breaker {
        Breaker {
            cfg: *cfg,
            outcomes: Sliding::new(cfg.window),
            state: State::Closed,
            epoch: 0,
            opened: 0,
            open_ns: 0,
        }
    }

    /// Whether an attempt may be sent at `now`; an admitted attempt is
    /// tagged with [`Breaker::epoch`] to report its outcome.
    pub(crate) fn admit(&mut self, now: SimTime) -> bool {
        if let State::Open { since, until } = self.state {
            if now < until {
                return false;
            }
            self.open_ns = self.open_ns.saturating_add(until - since);
            self.set(State::HalfOpen {
                admitted: 0,
                passed: 0,
            });
        }
        match &mut self.state {
            State::Closed => true,
            State::HalfOpen { admitted, .. } if *admitted < self.cfg.probes => {
                *admitted += 1;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn epoch(&self) -> u32 {
        self.epoch
    }

    /// The outcome of an attempt admitted in `epoch`.
    pub(crate) fn record(&mut self, now: SimTime, epoch: u32, ok: bool) {
        match &mut self.state {
            State::Closed => {
                self.outcomes.add(now, CALLS, 1);
                if !ok {
                    self.outcomes.add(now, FAILURES, 1);
                }
                let [calls, failures] = self.outcomes.sums(now);
                if calls >= u64::from(self.cfg.min_calls)
                    && failures as f64 >= self.cfg.failure_ratio * calls as f64
                {
                    self.open(now);
                }
            }
            // Attempts sent before it opened say nothing about the probes.
            State::Open { .. } => {}
            State::HalfOpen { passed, .. } if epoch == self.epoch => {
                if !ok {
                    self.open(now);
                } else {
                    *passed += 1;
                    if *passed >= self.cfg.probes {
                        self.set(State::Closed);
                    }
                }
            }
            State::HalfOpen { .. } => {}
        }
    }

    fn open(&mut self, now: SimTime) {
        self.opened += 1;
        self.set(State::Open {
            since: now,
            until: now.saturating_add(self.cfg.open_for),
        });
    }

    fn set(&mut self, state: State) {
        self.state = state;
        self.epoch = self.epoch.wrapping_add(1);
        self.outcomes.clear();
    }

    /// Total time spent open until `end`.
    pub(crate) fn open_time(&self, end: SimTime) -> SimTime {
        match self.state {
            State::Open { since, until } => self
                .open_ns
                .saturating_add(until.min(end).saturating_sub(since)),
            _ => self.open_ns,
        }
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

    fn breaker() -> Breaker {
        Breaker::new(&CircuitBreaker {
            failure_ratio: 0.5,
            window: 10 * S,
            min_calls: 20,
            open_for: 30 * S,
            probes: 3,
        })
    }

    #[test]
    fn the_breaker_opens_at_the_failure_ratio_once_it_has_enough_calls() {
        let mut b = breaker();
        let e = b.epoch();
        // 19 failures: not enough calls to judge.
        for i in 0..19 {
            assert!(b.admit(i * S / 10));
            b.record(i * S / 10, e, false);
        }
        assert!(b.admit(2 * S));
        // Ten seconds later the old failures have left the window.
        for _ in 0..20 {
            b.record(15 * S, e, true);
        }
        for _ in 0..19 {
            b.record(15 * S, e, false);
        }
        assert!(b.admit(15 * S), "19 of 39 failed: below 50%");
        b.record(15 * S, e, false);
        assert!(!b.admit(15 * S), "20 of 40 failed: open");
        assert_eq!(b.opened, 1);
        assert!(!b.admit(45 * S - 1));
        assert_eq!(b.open_time(20 * S), 5 * S);
    }

    #[test]
    fn half_open_lets_probes_through_and_closes_when_all_succeed() {
        let mut b = breaker();
        for _ in 0..20 {
            b.record(0, 0, false);
        }
        assert!(!b.admit(S));
        // After 30 s: three probes, no more until they report.
        assert!(b.admit(30 * S) && b.admit(30 * S) && b.admit(30 * S));
        assert!(!b.admit(30 * S));
        let probe = b.epoch();
        // A late outcome of an attempt sent before it opened is no probe.
        b.record(31 * S, probe.wrapping_sub(1), true);
        b.record(31 * S, probe, true);
        b.record(31 * S, probe, true);
        assert!(!b.admit(31 * S));
        b.record(31 * S, probe, true);
        assert!(b.admit(31 * S), "closed again");
        assert_eq!((b.opened, b.open_time(100 * S)), (1, 30 * S));
    }

    #[test]
    fn a_failed_probe_opens_it_again() {
        let mut b = breaker();
        for _ in 0..20 {
            b.record(0, 0, false);
        }
        assert!(b.admit(30 * S));
        b.record(32 * S, b.epoch(), false);
        assert!(!b.admit(33 * S));
        assert_eq!(b.opened, 2);
        assert_eq!(b.open_time(40 * S), 30 * S + 8 * S);
        assert!(b.admit(62 * S));
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
