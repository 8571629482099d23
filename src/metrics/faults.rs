//! Judging one fault: detection, recovery (failover latency) and masking,
//! exactly as DESIGN.md defines them.

use crate::engine::SimTime;

/// Streaming state of one injected fault.
#[derive(Debug, Clone)]
pub struct FaultTracker {
    start: SimTime,
    horizon: SimTime,
    dipped: bool,
    above_since: Option<SimTime>,
    recovered: Option<SimTime>,
    masked: bool,
    done: bool,
    detected: Option<SimTime>,
    capacity_restored: Option<SimTime>,
    dropped: u64,
}

/// The verdict on one fault.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultOutcome {
    pub start: SimTime,
    /// First time a component noticed (the LB marked a target unhealthy).
    pub detected: Option<SimTime>,
    /// When the windowed success ratio was back at or above the threshold
    /// (and then stayed there for one window).
    pub recovered: Option<SimTime>,
    /// When every target the fault took out was healthy again.
    pub capacity_restored: Option<SimTime>,
    /// The success ratio never went below the threshold.
    pub masked: bool,
    /// `recovered - start`; 0 when masked; `None` if never recovered.
    pub failover_latency: Option<SimTime>,
    /// Requests dropped from the start until recovery (or the masking verdict).
    pub dropped: u64,
}

impl FaultTracker {
    pub(crate) fn new(start: SimTime, horizon: SimTime) -> Self {
        FaultTracker {
            start,
            horizon,
            dipped: false,
            above_since: None,
            recovered: None,
            masked: false,
            done: false,
            detected: None,
            capacity_restored: None,
            dropped: 0,
        }
    }

    /// Feeds the verdict of the window ending at `end`: `below` is true when
    /// the ratio of that window was under the threshold.
    pub(crate) fn observe(&mut self, end: SimTime, below: bool, window: SimTime) {
        if self.done || end <= self.start {
            return;
        }
        if below {
            self.dipped = true;
            self.above_since = None;
        } else if self.dipped {
            let since = *self.above_since.get_or_insert(end);
            if end - since >= window {
                self.recovered = Some(since);
                self.done = true;
            }
        } else if end >= self.start.saturating_add(self.horizon) {
            self.masked = true;
            self.done = true;
        }
    }

    pub(crate) fn count_drop(&mut self) {
        if !self.done {
            self.dropped += 1;
        }
    }

    /// Records the first detection at `now` (later calls are ignored).
    pub fn detected(&mut self, now: SimTime) {
        self.detected.get_or_insert(now);
    }

    /// Records when the fault's targets were all healthy again.
    pub fn capacity_restored(&mut self, now: SimTime) {
        self.capacity_restored.get_or_insert(now);
    }

    /// Whether capacity was already restored.
    pub fn is_capacity_restored(&self) -> bool {
        self.capacity_restored.is_some()
    }

    pub(crate) fn outcome(&self) -> FaultOutcome {
        // A fault still undecided at the end never dipped during the run.
        let masked = self.masked || !self.dipped;
        FaultOutcome {
            start: self.start,
            detected: self.detected,
            recovered: self.recovered,
            capacity_restored: self.capacity_restored,
            masked,
            failover_latency: if masked {
                Some(0)
            } else {
                self.recovered.map(|r| r - self.start)
            },
            dropped: self.dropped,
        }
    }
}
