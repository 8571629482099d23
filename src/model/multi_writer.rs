//! `database.mode: multi_writer`: active-active writers, one per AZ, each
//! taking reads and writes and replicating to the others asynchronously.
//!
//! Routing: an app instance uses the writer of its own AZ, or, once it has
//! noticed that one is down (`database.detection` after the failure), the
//! next writer it has not given up on, round the AZ list. Nothing is
//! promoted.
//!
//! Lost writes: a writer's acknowledged writes still on their way to the
//! others when it fails are lost once the app instances move its traffic to
//! another writer (the cluster moved on; the failed writer rejoins by
//! copying the survivors' data, as a Galera node does with a state
//! transfer). A writer back before anyone moved loses nothing: its tail
//! replicates when it returns, as a single primary back before detection.
//!
//! Write conflicts: each write picks one of `keys` keys uniformly (stream
//! `db.keys`). It conflicts when the latest write to that key was accepted
//! by another writer whose copy has not reached this one yet (accepted at
//! t' with lag l and now < t' + l): last-writer-wins then silently discards
//! one of the two. One entry per key, so memory is O(keys).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;

use super::database::DbFailover;
use super::{Event, Sim, trace::TraceEvent};
use crate::engine::{SimTime, Stream, stream};
use crate::scenario::{Database, Scenario};

/// No write to the key yet (a writer index is never this).
const NONE: u16 = u16::MAX;

/// The writers' state beyond their nodes.
pub(crate) struct MultiWriter {
    azs: usize,
    /// AZ index of each writer (one writer per AZ).
    writer_az: Vec<usize>,
    /// The app instances have noticed the writer is down.
    known_down: Vec<bool>,
    /// Bumped when a writer comes back: voids its pending detection.
    epoch: Vec<u32>,
    /// Per writer: acknowledged writes on their way to the others
    /// (arrival there, count).
    in_transit: Vec<BinaryHeap<Reverse<(SimTime, u32)>>>,
    /// Per writer: its open failure record (index into the failovers), and
    /// the writes in transit when it failed.
    open: Vec<Option<usize>>,
    at_risk: Vec<u64>,
    /// Per key: when its latest write reaches the other writers, and the
    /// writer that accepted it.
    last: Vec<(SimTime, u16)>,
    keys_rng: Stream,
}

impl MultiWriter {
    pub(crate) fn new(s: &Scenario, d: &Database) -> MultiWriter {
        let n = d.writers as usize;
        MultiWriter {
            azs: s.azs.len(),
            writer_az: (0..n).map(|k| d.node_az(k, s.azs.len())).collect(),
            known_down: vec![false; n],
            epoch: vec![0; n],
            in_transit: vec![BinaryHeap::new(); n],
            open: vec![None; n],
            at_risk: vec![0; n],
            last: vec![(0, NONE); d.keys as usize],
            keys_rng: stream(s.seed, "db.keys"),
        }
    }

    /// The writer an app instance in AZ `az` sends its calls to: the
    /// nearest round the AZ list (its own AZ's first) it has not given up
    /// on; when it gave up on all, its nearest.
    pub(crate) fn route(&self, az: usize) -> usize {
        let dist = |k: usize| (self.writer_az[k] + self.azs - az) % self.azs;
        let n = self.writer_az.len();
        (0..n)
            .filter(|&k| !self.known_down[k])
            .min_by_key(|&k| dist(k))
            .or_else(|| (0..n).min_by_key(|&k| dist(k)))
            .expect("at least two writers")
    }

    /// `writes` writes acknowledged by `writer` at `now`, replicated to the
    /// others `lag` later. Returns how many conflict.
    pub(crate) fn acknowledged(
        &mut self,
        writer: usize,
        now: SimTime,
        writes: u32,
        lag: SimTime,
    ) -> u64 {
        let heap = &mut self.in_transit[writer];
        while heap.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            heap.pop();
        }
        let visible = now.saturating_add(lag);
        heap.push(Reverse((visible, writes)));
        let keys = self.last.len();
        let me = writer as u16;
        let mut conflicts = 0;
        for _ in 0..writes {
            let k = self.keys_rng.random_range(0..keys);
            let (seen_at, by) = self.last[k];
            if by != NONE && by != me && now < seen_at {
                conflicts += 1;
            }
            self.last[k] = (visible, me);
        }
        conflicts
    }

    /// Writer `writer` failed at `now`: what it still had in transit is at
    /// risk.
    fn failed(&mut self, writer: usize, now: SimTime, record: usize) {
        let heap = &mut self.in_transit[writer];
        while heap.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            heap.pop();
        }
        self.at_risk[writer] = heap.iter().map(|Reverse((_, w))| u64::from(*w)).sum();
        heap.clear();
        self.open[writer] = Some(record);
        self.epoch[writer] = self.epoch[writer].wrapping_add(1);
    }

    /// The writes of `writer` in transit at `since` are lost: they can no
    /// longer conflict with anything.
    fn forget_lost(&mut self, writer: usize, since: SimTime) {
        let me = writer as u16;
        for entry in &mut self.last {
            if entry.1 == me && entry.0 > since {
                *entry = (0, NONE);
            }
        }
    }
}

impl Sim<'_> {
    /// A writer node went down.
    pub(super) fn mw_writer_down(&mut self, node: usize) {
        let now = self.now();
        let db = self.db.as_mut().expect("database");
        db.failovers.push(DbFailover {
            start: now,
            ..DbFailover::default()
        });
        let record = db.failovers.len() - 1;
        let detection = db.detection;
        let mw = db.mw.as_mut().expect("multi_writer");
        mw.failed(node, now, record);
        let epoch = mw.epoch[node];
        self.sched.after(
            detection,
            Event::DbWriterDetect {
                node: node as u32,
                epoch,
            },
        );
    }

    /// A writer node serves again.
    pub(super) fn mw_writer_back(&mut self, node: usize) {
        let now = self.now();
        let db = self.db.as_mut().expect("database");
        let mw = db.mw.as_mut().expect("multi_writer");
        mw.known_down[node] = false;
        mw.epoch[node] = mw.epoch[node].wrapping_add(1);
        if let Some(record) = mw.open[node].take() {
            let f = &mut db.failovers[record];
            if f.endpoint_switched.is_none() {
                // Nobody took its traffic: its tail replicates now.
                f.repaired = Some(now);
                mw.at_risk[node] = 0;
            }
        }
        // Writers nobody could take over from may have a target now.
        self.mw_take_over(None);
    }

    /// The app instances notice writer `node` is down.
    pub(super) fn on_db_writer_detect(&mut self, node: u32, epoch: u32) {
        let now = self.now();
        let n = node as usize;
        let db = self.db.as_mut().expect("database");
        let mw = db.mw.as_mut().expect("multi_writer");
        if mw.epoch[n] != epoch {
            return;
        }
        mw.known_down[n] = true;
        if let Some(record) = mw.open[n] {
            db.failovers[record].detected = Some(now);
        }
        self.faults_notice_db(n);
        self.mw_take_over(Some(n));
    }

    /// Moves the traffic of every writer the app instances gave up on to
    /// another writer, if one is left; traces `detected` (when given) even
    /// if none is.
    fn mw_take_over(&mut self, detected: Option<usize>) {
        let now = self.now();
        let db = self.db.as_mut().expect("database");
        let mw = db.mw.as_mut().expect("multi_writer");
        for k in 0..mw.writer_az.len() {
            let Some(record) = mw.open[k] else { continue };
            let f = &mut db.failovers[record];
            if !mw.known_down[k] || f.endpoint_switched.is_some() {
                continue;
            }
            let to = mw.route(mw.writer_az[k]);
            if to == k {
                if detected == Some(k) {
                    self.trace.emit(now, || TraceEvent::DbRedirect {
                        node: k,
                        to: None,
                        lost_writes: 0,
                    });
                }
                continue;
            }
            let lost = std::mem::take(&mut mw.at_risk[k]);
            f.endpoint_switched = Some(now);
            f.lost_writes = lost;
            let since = f.start;
            mw.forget_lost(k, since);
            self.trace.emit(now, || TraceEvent::DbRedirect {
                node: k,
                to: Some(to),
                lost_writes: lost,
            });
        }
    }

    /// Writer `node` acknowledged a call's `writes` at `now`.
    pub(super) fn mw_acknowledged(&mut self, node: usize, writes: u32) {
        if writes == 0 {
            return;
        }
        let now = self.now();
        let db = self.db.as_mut().expect("database");
        let lag = db.sample_lag();
        let conflicts = db
            .mw
            .as_mut()
            .expect("multi_writer")
            .acknowledged(node, now, writes, lag);
        self.metrics.tier(|t| t.db_write_conflicts += conflicts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    #[test]
    fn routes_to_the_nearest_writer_round_the_az_list_not_given_up_on() {
        let yaml = "azs: [a, b, c]\ndatabase: { mode: multi_writer, primary_az: b }\n";
        let s = load_str(yaml, "t.yaml", "t", &[]).unwrap();
        let mut mw = MultiWriter::new(&s, s.database.as_ref().unwrap());
        // Writer 0 in b, writer 1 in c; AZ a's next round the list is b.
        assert_eq!([0, 1, 2].map(|az| mw.route(az)), [0, 0, 1]);
        mw.known_down[0] = true;
        assert_eq!([0, 1, 2].map(|az| mw.route(az)), [1, 1, 1]);
        // Given up on every writer: the nearest, which fails fast.
        mw.known_down[1] = true;
        assert_eq!([0, 1, 2].map(|az| mw.route(az)), [0, 0, 1]);
    }
}
