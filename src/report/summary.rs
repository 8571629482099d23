//! `summary.json`: the run's numbers under stable field names.

use serde::Serialize;

use crate::engine::{SimTime, as_secs_f64};
use crate::metrics::{CapacitySummary, DropReason, LatencySummary, Verdict};
use crate::model::RunOutput;
use crate::scenario::{FaultKind, LatencyTarget, Scenario};

/// Dropped requests by reason.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dropped {
    pub total: u64,
    pub no_healthy_target: u64,
    pub connection_reset: u64,
    pub timeout: u64,
    pub queue_full: u64,
    pub lb_unreachable: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Requests {
    /// Requests issued after warm-up.
    pub total: u64,
    pub succeeded: u64,
    pub dropped: Dropped,
    /// Issued but neither succeeded nor dropped when the run ended.
    pub in_flight: u64,
}

/// One injected fault and its phases, in seconds of simulated time.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FaultSummary {
    pub kind: &'static str,
    /// What it hit, e.g. `az a` or `instance a-1`.
    pub target: String,
    pub start_s: f64,
    pub end_s: Option<f64>,
    /// False when the fault starts after the end of the run.
    pub started: bool,
    /// First component that noticed (the LB marking a target unhealthy).
    pub detected_s: Option<f64>,
    /// Success ratio back at or above the threshold (traffic restored).
    pub recovered_s: Option<f64>,
    /// Every target the fault took out healthy again.
    pub capacity_restored_s: Option<f64>,
    pub failover_latency_s: Option<f64>,
    /// The success ratio never went below the threshold.
    pub masked: bool,
    /// `masked`, `recovered`, `not_recovered`, `no_traffic`, or
    /// `not_started` (the fault starts after the end of the run).
    pub verdict: &'static str,
    /// Requests dropped from the start until recovery.
    pub dropped: u64,
}

/// The machine-readable result of one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub sim_version: &'static str,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub requests: Requests,
    /// Attempts of counted requests (retries included).
    pub attempts: u64,
    pub attempts_per_request: Option<f64>,
    /// Succeeded / (succeeded + dropped) of requests issued after warm-up;
    /// `null` when none has an outcome.
    pub availability: Option<f64>,
    /// Of succeeded requests, retries included; `null` when none succeeded.
    pub latency_ms: Option<LatencySummary>,
    pub faults: Vec<FaultSummary>,
    pub capacity: CapacitySummary,
    pub events_processed: u64,
    /// FNV-1a of the processed (time, kind, target) stream, hex.
    pub event_hash: String,
}

fn secs(t: SimTime) -> f64 {
    as_secs_f64(t)
}

fn fault_target(s: &Scenario, kind: &FaultKind) -> String {
    match *kind {
        FaultKind::InstanceCrash { instance } | FaultKind::InstanceHang { instance } => {
            format!("instance {}", s.instance_name(instance))
        }
        FaultKind::AzOutage { az } => format!("az {}", s.azs[az]),
        FaultKind::Latency { target, .. } => match target {
            LatencyTarget::Az(az) => format!("az {}", s.azs[az]),
            LatencyTarget::Instance(i) => format!("instance {}", s.instance_name(i)),
        },
    }
}

impl Summary {
    /// Builds the summary of `out`, a run of `s`.
    pub fn new(s: &Scenario, out: &RunOutput) -> Summary {
        let m = &out.metrics;
        let c = &m.counts;
        let d = |r: DropReason| c.dropped[r as usize];
        let faults = s
            .faults
            .iter()
            .zip(&out.faults)
            .map(|(f, o)| FaultSummary {
                kind: f.kind.name(),
                target: fault_target(s, &f.kind),
                start_s: secs(f.at),
                end_s: f.duration.map(|d| secs(f.at.saturating_add(d))),
                started: o.is_some(),
                detected_s: o.as_ref().and_then(|o| o.detected).map(secs),
                recovered_s: o.as_ref().and_then(|o| o.recovered).map(secs),
                capacity_restored_s: o.as_ref().and_then(|o| o.capacity_restored).map(secs),
                failover_latency_s: o.as_ref().and_then(|o| o.failover_latency).map(secs),
                masked: o.as_ref().is_some_and(|o| o.verdict == Verdict::Masked),
                verdict: o.as_ref().map_or("not_started", |o| o.verdict.name()),
                dropped: o.as_ref().map_or(0, |o| o.dropped),
            })
            .collect();
        Summary {
            scenario: s.name.clone(),
            description: s.description.clone(),
            seed: s.seed,
            sim_version: env!("CARGO_PKG_VERSION"),
            duration_s: secs(s.duration),
            warmup_s: secs(s.warmup),
            requests: Requests {
                total: c.issued,
                succeeded: c.succeeded,
                dropped: Dropped {
                    total: c.dropped_total(),
                    no_healthy_target: d(DropReason::NoHealthyTarget),
                    connection_reset: d(DropReason::ConnectionReset),
                    timeout: d(DropReason::Timeout),
                    queue_full: d(DropReason::QueueFull),
                    lb_unreachable: d(DropReason::LbUnreachable),
                },
                in_flight: m.in_flight,
            },
            attempts: m.attempts,
            attempts_per_request: (c.issued > 0).then(|| m.attempts as f64 / c.issued as f64),
            // Requests still in flight at the end have no outcome yet: they
            // count neither as successes nor as failures.
            availability: {
                let resolved = c.succeeded + c.dropped_total();
                (resolved > 0).then(|| c.succeeded as f64 / resolved as f64)
            },
            latency_ms: m.latency.clone(),
            faults,
            capacity: m.capacity.clone(),
            events_processed: out.events_processed,
            event_hash: format!("{:016x}", out.event_hash),
        }
    }
}
