//! Judging one fault: detection, recovery (failover latency) and masking,
//! exactly as DESIGN.md defines them.

use crate::engine::SimTime;

/// Streaming state of one injected fault.
#[derive(Debug, Clone)]
pub struct FaultTracker {
    start: SimTime,
    horizon: SimTime,
    /// Without a dip by then (and with traffic seen), the fault is masked.
    decide_by: SimTime,
    dipped: bool,
    saw_traffic: bool,
    above_since: Option<SimTime>,
    recovered: Option<SimTime>,
    masked: bool,
    done: bool,
    detected: Option<SimTime>,
    capacity_restored: Option<SimTime>,
    dropped: u64,
}

/// How a fault ended up, judged on the windowed success ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The ratio never went below the threshold.
    Masked,
    /// It went below and came back (and stayed for one window).
    Recovered,
    /// It went below and had not come back when the run ended.
    NotRecovered,
    /// No request completed while the fault was judged: nothing to say.
    NoTraffic,
}

impl Verdict {
    /// Stable name used in summary.json.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Masked => "masked",
            Verdict::Recovered => "recovered",
            Verdict::NotRecovered => "not_recovered",
            Verdict::NoTraffic => "no_traffic",
        }
    }
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
    /// When every target the fault took out was serving and healthy again.
    pub capacity_restored: Option<SimTime>,
    pub verdict: Verdict,
    /// `recovered - start`; 0 when masked; `None` otherwise.
    pub failover_latency: Option<SimTime>,
    /// Requests dropped from the start until the verdict.
    pub dropped: u64,
}

impl FaultTracker {
    pub(crate) fn new(start: SimTime, horizon: SimTime) -> Self {
        FaultTracker {
            start,
            horizon,
            decide_by: SimTime::MAX,
            dipped: false,
            saw_traffic: false,
            above_since: None,
            recovered: None,
            masked: false,
            done: false,
            detected: None,
            capacity_restored: None,
            dropped: 0,
        }
    }

    /// Closes the masking window one horizon after `now`: called when the
    /// fault ends (its effect must show by then) and when another fault
    /// starts (a later dip is that fault's doing, not this one's).
    pub fn judge_until(&mut self, now: SimTime) {
        self.decide_by = self.decide_by.min(now.saturating_add(self.horizon));
    }

    /// Feeds the window ending at `end`: `below` is `Some(true)` when its
    /// success ratio was under the threshold, `None` when no request
    /// completed in it (no evidence either way).
    pub(crate) fn observe(&mut self, end: SimTime, below: Option<bool>, window: SimTime) {
        if self.done || end <= self.start {
            return;
        }
        match below {
            None => {}
            Some(true) => {
                self.saw_traffic = true;
                self.dipped = true;
                self.above_since = None;
            }
            Some(false) => {
                self.saw_traffic = true;
                if self.dipped {
                    let since = *self.above_since.get_or_insert(end);
                    if end - since >= window {
                        self.recovered = Some(since);
                        self.done = true;
                    }
                } else if end >= self.start.saturating_add(self.horizon) && end >= self.decide_by {
                    self.masked = true;
                    self.done = true;
                }
            }
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
        let verdict = if self.recovered.is_some() {
            Verdict::Recovered
        } else if self.dipped {
            Verdict::NotRecovered
        } else if self.masked || self.saw_traffic {
            // Never below the threshold for as long as the run lasted.
            Verdict::Masked
        } else {
            Verdict::NoTraffic
        };
        FaultOutcome {
            start: self.start,
            detected: self.detected,
            recovered: self.recovered,
            capacity_restored: self.capacity_restored,
            verdict,
            failover_latency: match verdict {
                Verdict::Masked => Some(0),
                Verdict::Recovered => self.recovered.map(|r| r - self.start),
                _ => None,
            },
            dropped: self.dropped,
        }
    }

    /// Whether the verdict is still open.
    pub fn is_open(&self) -> bool {
        !self.done
    }
}
