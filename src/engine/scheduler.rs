//! The scheduler: a clock, an event queue, sequence numbers assigned at
//! scheduling time (ties pop in FIFO order) and a running hash of the
//! processed event stream, the determinism check borrowed from madsim.

use super::SimTime;
use super::queue::{Entry, EventQueue, Lane};

/// What the determinism hash sees of an event: a kind and a target.
pub trait Traced {
    /// A small number naming the event's kind.
    fn kind(&self) -> u16;
    /// The actor or object the event is for.
    fn target(&self) -> u32;
}

/// Clock plus pending events.
#[derive(Debug)]
pub struct Scheduler<E> {
    now: SimTime,
    seq: u64,
    queue: EventQueue<E>,
    hash: u64,
    processed: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl<E: Traced> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Traced> Scheduler<E> {
    pub fn new() -> Self {
        Scheduler {
            now: 0,
            seq: 0,
            queue: EventQueue::new(),
            hash: FNV_OFFSET,
            processed: 0,
        }
    }

    /// Current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Adds a FIFO lane for events always scheduled the same delay ahead.
    pub fn add_lane(&mut self) -> Lane {
        self.queue.add_lane()
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Schedules `event` at absolute time `at` (not before now).
    #[inline]
    pub fn at(&mut self, at: SimTime, event: E) {
        debug_assert!(at >= self.now, "scheduling into the past");
        let seq = self.next_seq();
        self.queue.push(Entry {
            time: at.max(self.now),
            seq,
            event,
        });
    }

    /// Schedules `event` after `delay`.
    #[inline]
    pub fn after(&mut self, delay: SimTime, event: E) {
        self.at(self.now.saturating_add(delay), event);
    }

    /// Takes the next sequence number for an event the caller may schedule
    /// later with [`Scheduler::at_seq_on`]: it keeps its place among the
    /// events of equal time as if it had been scheduled now.
    #[inline]
    pub fn reserve_seq(&mut self) -> u64 {
        self.next_seq()
    }

    /// Schedules `event` at `at` with a sequence number taken earlier by
    /// [`Scheduler::reserve_seq`], on `lane`.
    #[inline]
    pub fn at_seq_on(&mut self, lane: Lane, at: SimTime, seq: u64, event: E) {
        debug_assert!(at >= self.now, "scheduling into the past");
        debug_assert!(seq <= self.seq, "a sequence number not reserved");
        self.queue.push_lane(
            lane,
            Entry {
                time: at.max(self.now),
                seq,
                event,
            },
        );
    }

    /// Schedules `event` at `at` on `lane`, whose events the caller
    /// schedules in time order (an out-of-order one goes to the heap).
    #[inline]
    pub fn at_on(&mut self, lane: Lane, at: SimTime, event: E) {
        let seq = self.next_seq();
        self.at_seq_on(lane, at, seq, event);
    }

    /// Schedules `event` after `delay` on a FIFO lane; the caller promises the
    /// lane's delay is constant (a wrong promise falls back to the heap).
    #[inline]
    pub fn after_on(&mut self, lane: Lane, delay: SimTime, event: E) {
        let seq = self.next_seq();
        self.queue.push_lane(
            lane,
            Entry {
                time: self.now.saturating_add(delay),
                seq,
                event,
            },
        );
    }

    /// Pops the next event, advances the clock and folds it into the hash.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::MAX)
    }

    /// [`Scheduler::pop`], if the next event is due at or before `limit`.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let entry = self.queue.pop_until(limit)?;
        debug_assert!(entry.time >= self.now, "time went backwards");
        self.now = entry.time;
        self.processed += 1;
        let mut h = self.hash;
        for word in [
            entry.time,
            u64::from(entry.event.kind()),
            u64::from(entry.event.target()),
        ] {
            h = (h ^ word).wrapping_mul(FNV_PRIME);
        }
        self.hash = h;
        Some((entry.time, entry.event))
    }

    /// Number of events processed so far.
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Hash of every processed (time, kind, target) so far.
    pub fn event_hash(&self) -> u64 {
        self.hash
    }

    /// Number of pending events.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Ev(u32);
    impl Traced for Ev {
        fn kind(&self) -> u16 {
            1
        }
        fn target(&self) -> u32 {
            self.0
        }
    }

    fn drain(s: &mut Scheduler<Ev>) -> Vec<(SimTime, u32)> {
        std::iter::from_fn(|| s.pop().map(|(t, e)| (t, e.0))).collect()
    }

    #[test]
    fn ties_pop_in_fifo_order() {
        let mut s = Scheduler::new();
        for i in 0..100 {
            s.at(5, Ev(i));
        }
        s.at(1, Ev(1000));
        let out = drain(&mut s);
        assert_eq!(out[0], (1, 1000));
        let rest: Vec<u32> = out[1..].iter().map(|p| p.1).collect();
        assert_eq!(rest, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn lanes_and_heap_merge_in_time_then_sequence_order() {
        let mut s = Scheduler::new();
        let lane = s.add_lane();
        s.after_on(lane, 10, Ev(1)); // t=10 seq 1
        s.at(10, Ev(2)); // t=10 seq 2
        s.after_on(lane, 10, Ev(3)); // t=10 seq 3
        s.at(3, Ev(4));
        s.after_on(lane, 2, Ev(5)); // out of lane order: goes to the heap
        assert_eq!(
            drain(&mut s),
            vec![(2, 5), (3, 4), (10, 1), (10, 2), (10, 3)]
        );
    }

    #[test]
    fn clock_never_goes_backwards() {
        let mut s = Scheduler::new();
        let lane = s.add_lane();
        let mut x: u64 = 12345;
        let mut last = 0;
        let mut n = 0;
        for i in 0..50 {
            s.at(i * 7 % 31, Ev(0));
        }
        while let Some((t, _)) = s.pop() {
            assert!(t >= last);
            last = t;
            n += 1;
            if n < 5000 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                s.after((x >> 40) % 100, Ev(1));
                s.after_on(lane, 50, Ev(2));
            }
        }
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn event_hash_is_pinned_for_a_fixed_stream() {
        // The same schedule must hash the same on every machine and build.
        let mut s = Scheduler::new();
        for i in 0..10u32 {
            s.at(u64::from(i % 3) * 1000, Ev(i));
        }
        drain(&mut s);
        assert_eq!(s.processed(), 10);
        assert_eq!(s.event_hash(), PINNED);
    }
    const PINNED: u64 = 2_515_656_443_985_209_058;
}
