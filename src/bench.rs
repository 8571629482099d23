//! The fixed scenarios `sim bench` times, and how it times them: wall time,
//! events and simulated requests per second, and peak memory.

use std::time::Instant;

use crate::metrics::NullSink;
use crate::model::simulate;
use crate::scenario::{self, Scenario, ScenarioError};

/// One benchmark: a scenario that is part of the binary, so `sim bench`
/// measures the same work on every machine.
pub struct Case {
    pub name: &'static str,
    /// What it stresses, one line.
    pub about: &'static str,
    yaml: &'static str,
    /// A shorter run (a `--set` override) whose peak memory the case is
    /// compared with: memory must not grow with simulated time.
    pub baseline: Option<&'static str>,
}

/// The suite `sim bench` runs without a file.
pub const CASES: &[Case] = &[
    Case {
        name: "az-outage",
        about: "the shipped az-outage scenario: 6 instances, 1,000 req/s, an AZ outage",
        yaml: include_str!("../scenarios/az-outage.yaml"),
        baseline: None,
    },
    Case {
        name: "large-fleet",
        about: "1,000 instances in 4 AZs, 100,000 req/s, an AZ outage",
        yaml: "name: large-fleet
duration: 10m
warmup: 0s
azs: [a, b, c, d]
network: { latency: 500us }
load_balancer:
  algorithm: round_robin
  health_check: { interval: 10s, timeout: 5s, healthy_threshold: 3, unhealthy_threshold: 2 }
app:
  instances_per_az: 250
  workers: 8
  queue_capacity: 100
  service_time: { dist: lognormal, mean: 20ms, p99: 120ms }
  boot_time: 60s
workload: { rate: 100000/s, arrival: poisson, timeout: 2s, retries: 2, retry_backoff: 100ms }
faults:
  - { at: 3m, kind: az_outage, az: a, duration: 4m }
",
        baseline: None,
    },
    Case {
        name: "long-run",
        about: "a day at 20 req/s on 6 instances that fail and are repaired at random",
        yaml: "name: long-run
duration: 24h
warmup: 0s
azs: [a, b, c]
load_balancer:
  health_check: { interval: 10s, timeout: 5s, healthy_threshold: 3, unhealthy_threshold: 2 }
app:
  instances_per_az: 2
  workers: 8
  service_time: { dist: lognormal, mean: 20ms, p99: 120ms }
  mtbf: 2h
  mttr: 10m
workload: { rate: 20/s, arrival: poisson, timeout: 2s, retries: 2 }
",
        baseline: Some("duration=1h"),
    },
];

/// The suite case called `name`.
pub fn case(name: &str) -> Option<&'static Case> {
    CASES.iter().find(|c| c.name == name)
}

/// `set` after `warmup=0s`: a benchmark counts every request unless told
/// otherwise.
pub fn overrides(set: &[String]) -> Vec<String> {
    std::iter::once("warmup=0s".to_string())
        .chain(set.iter().cloned())
        .collect()
}

impl Case {
    /// The case's scenario with [`overrides`] of `set` applied.
    pub fn scenario(&self, set: &[String]) -> Result<Scenario, ScenarioError> {
        scenario::load_str(
            self.yaml,
            &format!("{}.yaml (built in)", self.name),
            self.name,
            &overrides(set),
        )
    }
}

/// What one benchmark measured.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// Best wall time of the repetitions, seconds.
    pub wall_s: f64,
    pub events: u64,
    pub requests: u64,
    /// Peak resident memory while this scenario ran, MiB (Linux only).
    pub peak_rss_mib: Option<f64>,
}

impl Measurement {
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s
    }
    pub fn requests_per_s(&self) -> f64 {
        self.requests as f64 / self.wall_s
    }
    pub fn ns_per_event(&self) -> f64 {
        self.wall_s * 1e9 / self.events as f64
    }
}

/// Runs `s` `repeat` times (at least once) and keeps the best wall time.
/// The peak memory is the process's high-water mark, reset first where the
/// kernel allows it, so it belongs to this scenario, not to an earlier one.
pub fn measure(s: &Scenario, repeat: u32) -> Measurement {
    let reset = reset_peak_rss();
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let t = Instant::now();
        let out = simulate(s, Box::new(NullSink), None);
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    let out = last.expect("at least one repetition");
    assert!(
        out.invariants.hold(),
        "internal error: invariant failed: {:?}",
        out.invariants.violations
    );
    Measurement {
        wall_s: best,
        events: out.events_processed,
        requests: out.metrics.counts.issued,
        peak_rss_mib: if reset { peak_rss_mib() } else { None },
    }
}

/// Resets the peak-RSS counter of this process (Linux 4.0+) to its current
/// size, which includes the binary and what the allocator kept from earlier
/// runs: compare cases run alone (`--case`), and see `tests/memory.rs` for
/// heap bytes counted exactly.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident memory of this process since the last reset, in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_case_loads_and_counts_every_request() {
        for c in CASES {
            let s = c
                .scenario(&[])
                .unwrap_or_else(|e| panic!("{}: {e}", c.name));
            assert_eq!(s.warmup, 0, "{}", c.name);
            assert_eq!(s.name, c.name);
        }
        assert!(case("large-fleet").is_some());
        assert!(case("nope").is_none());
    }

    #[test]
    fn the_large_fleet_is_a_thousand_instances_at_100k_per_second() {
        let s = case("large-fleet").unwrap().scenario(&[]).unwrap();
        assert_eq!(s.initial_azs().len(), 1000);
        assert_eq!(s.duration, 600 * crate::engine::NANOS_PER_SEC);
    }

    #[test]
    fn a_measurement_counts_the_run() {
        let s = case("long-run")
            .unwrap()
            .scenario(&["duration=10m".into()])
            .unwrap();
        let m = measure(&s, 1);
        // 20 req/s for 600 s: Poisson, 12,000 expected, sd 110.
        assert!((11_400..12_600).contains(&m.requests), "{}", m.requests);
        assert!(m.events > m.requests);
        assert!(m.wall_s > 0.0);
    }
}
