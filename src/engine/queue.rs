//! The pending-event set: a binary heap ordered by (time, sequence) plus FIFO
//! lanes for events scheduled a constant delay ahead. A lane stays sorted by
//! construction (constant delay, non-decreasing clock), so it costs O(1) per
//! event instead of O(log n); dslab measured such side queues 3-4x faster
//! than the heap for fixed-delay hops.

use std::cmp::Ordering;
use std::collections::VecDeque;

use dary_heap::QuaternaryHeap as BinaryHeap;

use super::SimTime;

/// One scheduled event with its ordering key.
#[derive(Debug, Clone)]
pub struct Entry<E> {
    pub time: SimTime,
    pub seq: u64,
    pub event: E,
}

impl<E> Entry<E> {
    /// (time, seq) as one integer: one wide comparison instead of a
    /// branch per field, which the heap's sift loops do at every level.
    #[inline]
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    #[inline]
    fn lt(&self, other: &Self) -> bool {
        other.key() < self.key()
    }
    #[inline]
    fn le(&self, other: &Self) -> bool {
        other.key() <= self.key()
    }
    #[inline]
    fn gt(&self, other: &Self) -> bool {
        other.key() > self.key()
    }
    #[inline]
    fn ge(&self, other: &Self) -> bool {
        other.key() >= self.key()
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key().cmp(&self.key())
    }
}

/// Identifies a FIFO lane of an [`EventQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lane(usize);

/// Pending events, popped in (time, sequence) order across heap and lanes.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    lanes: Vec<VecDeque<Entry<E>>>,
    /// The key of each lane's front entry ([`EMPTY`] for an empty lane).
    fronts: Vec<u128>,
    /// The lane with the smallest front key and that key (`EMPTY` when every
    /// lane is empty): a pop compares the heap's top with this one key, and
    /// only a pop from a lane scans `fronts` again.
    best_lane: usize,
    best_key: u128,
}

/// The front key of an empty lane. No entry has it: the sequence number
/// never reaches `u64::MAX`.
const EMPTY: u128 = u128::MAX;

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            heap: BinaryHeap::new(),
            lanes: Vec::new(),
            fronts: Vec::new(),
            best_lane: 0,
            best_key: EMPTY,
        }
    }

    /// Adds a FIFO lane for events whose times are pushed in order.
    pub fn add_lane(&mut self) -> Lane {
        self.lanes.push(VecDeque::new());
        self.fronts.push(EMPTY);
        Lane(self.lanes.len() - 1)
    }

    /// Pushes into the heap.
    pub fn push(&mut self, entry: Entry<E>) {
        self.heap.push(entry);
    }

    /// Pushes into a lane when that keeps the lane sorted, else into the heap,
    /// so a caller's mistake costs speed, never order.
    pub fn push_lane(&mut self, lane: Lane, entry: Entry<E>) {
        let q = &mut self.lanes[lane.0];
        match q.back() {
            Some(last) if last.key() > entry.key() => self.heap.push(entry),
            Some(_) => q.push_back(entry),
            None => {
                let key = entry.key();
                self.fronts[lane.0] = key;
                if key < self.best_key {
                    self.best_key = key;
                    self.best_lane = lane.0;
                }
                q.push_back(entry);
            }
        }
    }

    /// Removes the earliest event of heap and lanes.
    pub fn pop(&mut self) -> Option<Entry<E>> {
        self.pop_until(SimTime::MAX)
    }

    /// Removes the earliest event if it is due at or before `limit`.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<Entry<E>> {
        let heap_key = self.heap.peek().map_or(EMPTY, Entry::key);
        let best = heap_key.min(self.best_key);
        if best == EMPTY || (best >> 64) as SimTime > limit {
            return None;
        }
        if heap_key < self.best_key {
            return self.heap.pop();
        }
        let lane = self.best_lane;
        let q = &mut self.lanes[lane];
        let entry = q.pop_front();
        self.fronts[lane] = q.front().map_or(EMPTY, Entry::key);
        // The popped lane's front moved on: find the smallest front again.
        let (mut best_lane, mut best_key) = (0, EMPTY);
        for (i, &k) in self.fronts.iter().enumerate() {
            if k < best_key {
                best_key = k;
                best_lane = i;
            }
        }
        (self.best_lane, self.best_key) = (best_lane, best_key);
        entry
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Random pushes into the heap and four lanes (some out of order, which
    /// must fall back to the heap), interleaved with pops: every pop is the
    /// smallest (time, seq) pending, as a sorted reference says.
    #[test]
    fn pops_in_key_order_across_heap_and_lanes() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut q = EventQueue::new();
        let lanes: Vec<Lane> = (0..4).map(|_| q.add_lane()).collect();
        let mut reference: Vec<(SimTime, u64)> = Vec::new();
        let mut now = 0;
        let mut lane_last = [0u64; 4];
        for seq in 1..20_000u64 {
            let mut time = now + rng.random_range(0..1_000);
            match rng.random_range(0..6) {
                0 | 1 => q.push(Entry {
                    time,
                    seq,
                    event: (),
                }),
                k => {
                    let l = k - 2;
                    // Mostly in order, sometimes not.
                    if rng.random_bool(0.9) {
                        time = time.max(lane_last[l]);
                    }
                    lane_last[l] = lane_last[l].max(time);
                    q.push_lane(
                        lanes[l],
                        Entry {
                            time,
                            seq,
                            event: (),
                        },
                    );
                }
            }
            reference.push((time, seq));
            if rng.random_bool(0.5) {
                reference.sort_unstable_by(|a, b| b.cmp(a));
                let want = reference.pop();
                let got = q.pop().map(|e| (e.time, e.seq));
                assert_eq!(got, want);
                now = got.map_or(now, |g| g.0);
            }
        }
        reference.sort_unstable();
        assert_eq!(q.len(), reference.len());
        for want in reference {
            assert_eq!(q.pop().map(|e| (e.time, e.seq)), Some(want));
        }
        assert!(q.pop().is_none());
        // pop_until leaves later events in place.
        q.push(Entry {
            time: 10,
            seq: 1,
            event: (),
        });
        assert!(q.pop_until(9).is_none());
        assert_eq!(q.pop_until(10).map(|e| e.time), Some(10));
    }
}
