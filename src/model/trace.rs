//! `events.jsonl`: state changes of the run (faults, instance status, target
//! health, DNS, the standby taking traffic), one JSON object per line, streamed as they happen. Request
//! level events are left out: they would be millions of lines.
//!
//! The first [`KEPT_EVENTS`] state changes are also kept in memory, traced
//! or not, for the run's timeline.

use std::io::Write;

use serde::Serialize;

use crate::engine::{SimTime, as_secs_f64};

/// One traced state change.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TraceEvent {
    FaultStart {
        fault: usize,
        kind: &'static str,
    },
    FaultEnd {
        fault: usize,
        kind: &'static str,
    },
    InstanceStatus {
        instance: String,
        status: &'static str,
    },
    /// A health check of a healthy target failed: the first of the
    /// `unhealthy_threshold` failures in a row that mark it unhealthy.
    HealthCheckFailed {
        instance: String,
        threshold: u32,
    },
    TargetHealth {
        instance: String,
        health: &'static str,
    },
    Dns {
        lb_node: String,
        in_dns: bool,
    },
    /// No node that is up has a healthy target in an active AZ any more:
    /// traffic goes to the warm standby in `azs`.
    StandbyInUse {
        azs: Vec<String>,
    },
    /// No node that is up routes to the standby in `azs` any more.
    StandbyIdle {
        azs: Vec<String>,
    },
    /// A node that is up has no healthy target in an active AZ: the cold
    /// standby in `azs` will be started `start_delay_s` from now.
    ColdStandbyTriggered {
        azs: Vec<String>,
        start_delay_s: f64,
    },
    /// The cold standby's stopped `instances` are started (they boot).
    ColdStandbyStarting {
        instances: Vec<String>,
    },
    /// A database node went down or came back (node 0 started as primary).
    DbNode {
        node: usize,
        role: &'static str,
        up: bool,
    },
    /// A database failover reached `phase` (`detected`, `promoted`).
    DbFailover {
        phase: &'static str,
        node: usize,
    },
    /// `multi_writer`: the app instances noticed writer `node` is down and
    /// moved its traffic to writer `to` (`null`: no writer left), losing
    /// the writes it had not replicated yet.
    DbRedirect {
        node: usize,
        to: Option<usize>,
        lost_writes: u64,
    },
    StoreNode {
        store: &'static str,
        node: usize,
        up: bool,
    },
    /// A store's replica became its primary.
    StoreFailover {
        store: &'static str,
        node: usize,
    },
    /// The Auto Scaling Group changed its desired capacity.
    AsgCapacity {
        from: u32,
        to: u32,
        reason: &'static str,
    },
    /// Route 53's health check of `region` failed: the first of the
    /// `threshold` failures in a row that mark it unhealthy.
    Route53CheckFailed {
        region: String,
        threshold: u32,
    },
    /// Route 53's health check of `region` changed status.
    Route53Health {
        region: String,
        healthy: bool,
    },
    /// Route 53 answers with `to` instead of `from`; clients follow as
    /// their cached answers expire.
    DnsFailover {
        from: String,
        to: String,
    },
    /// One TTL after a DNS change: every client resolves to `region`.
    DnsSettled {
        region: String,
    },
    /// The group launched an instance.
    AsgLaunch {
        instance: String,
        az: String,
        reason: &'static str,
    },
    /// The group started terminating an instance (it is deregistered).
    AsgTerminate {
        instance: String,
        reason: &'static str,
    },
    /// The instance is gone.
    AsgTerminated {
        instance: String,
    },
}

#[derive(Serialize)]
struct Line<'a> {
    t_s: f64,
    #[serde(flatten)]
    event: &'a TraceEvent,
}

/// State changes kept in memory for the timeline; later ones are counted.
pub const KEPT_EVENTS: usize = 10_000;

/// Writes trace lines when tracing is on, and keeps the first state changes.
pub(crate) struct Tracer {
    out: Option<Box<dyn Write>>,
    error: Option<String>,
    kept: Vec<(SimTime, TraceEvent)>,
    left_out: u64,
}

impl Tracer {
    pub(crate) fn new(out: Option<Box<dyn Write>>) -> Tracer {
        Tracer {
            out,
            error: None,
            kept: Vec::new(),
            left_out: 0,
        }
    }

    /// Records the event built by `make`, and writes it when tracing.
    #[inline]
    pub(crate) fn emit(&mut self, now: SimTime, make: impl FnOnce() -> TraceEvent) {
        if self.kept.len() == KEPT_EVENTS {
            self.left_out += 1;
            if self.out.is_none() {
                return;
            }
        }
        let event = make();
        if self.kept.len() < KEPT_EVENTS {
            self.kept.push((now, event.clone()));
        }
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let line = Line {
            t_s: as_secs_f64(now),
            event: &event,
        };
        let res = serde_json::to_writer(&mut *out, &line)
            .map_err(|e| e.to_string())
            .and_then(|()| out.write_all(b"\n").map_err(|e| e.to_string()));
        if let Err(e) = res {
            // Stop tracing at the first error and report it at the end.
            self.error = Some(e);
            self.out = None;
        }
    }

    /// Flushes; returns the first write error, if any, the kept events
    /// and how many were left out.
    pub(crate) fn finish(mut self) -> (Option<String>, Vec<(SimTime, TraceEvent)>, u64) {
        if let Some(mut out) = self.out.take()
            && let Err(e) = out.flush()
        {
            self.error.get_or_insert(e.to_string());
        }
        (self.error, self.kept, self.left_out)
    }
}
