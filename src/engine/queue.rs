//! The pending-event set: a binary heap ordered by (time, sequence) plus FIFO
//! lanes for events scheduled a constant delay ahead. A lane stays sorted by
//! construction (constant delay, non-decreasing clock), so it costs O(1) per
//! event instead of O(log n); dslab measured such side queues 3-4x faster
//! than the heap for fixed-delay hops.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use super::SimTime;

/// One scheduled event with its ordering key.
#[derive(Debug, Clone)]
pub struct Entry<E> {
    pub time: SimTime,
    pub seq: u64,
    pub event: E,
}

impl<E> Entry<E> {
    fn key(&self) -> (SimTime, u64) {
        (self.time, self.seq)
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
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest first.
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
}

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
        }
    }

    /// Adds a FIFO lane for events whose times are pushed in order.
    pub fn add_lane(&mut self) -> Lane {
        self.lanes.push(VecDeque::new());
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
            _ => q.push_back(entry),
        }
    }

    /// Removes the earliest event of heap and lanes.
    pub fn pop(&mut self) -> Option<Entry<E>> {
        self.pop_until(SimTime::MAX)
    }

    /// Removes the earliest event if it is due at or before `limit`.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<Entry<E>> {
        let mut best: Option<(SimTime, u64)> = self.heap.peek().map(Entry::key);
        let mut from_lane = None;
        for (i, q) in self.lanes.iter().enumerate() {
            if let Some(front) = q.front() {
                let k = front.key();
                if best.is_none_or(|b| k < b) {
                    best = Some(k);
                    from_lane = Some(i);
                }
            }
        }
        if best.is_some_and(|(t, _)| t > limit) {
            return None;
        }
        match from_lane {
            Some(i) => self.lanes[i].pop_front(),
            None => self.heap.pop(),
        }
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
