//! Guardrails: what a run will cost, estimated from the scenario before it
//! starts, so a typo like `duration: 1000d` or `rate: 1e8/s` is refused with
//! the numbers instead of eating the machine for a day.
//!
//! The estimate is deliberately simple: requests from the peak rate,
//! events per request from the benchmark (first attempts only: a retry
//! storm costs up to `retries + 1` times more), memory from the worst case
//! of every request in flight at once (all of them timing out), disk from
//! the rows of `timeseries.csv` and the `--metrics-out` samples.
//! `--allow-large` skips the check.

use crate::engine::{NANOS_PER_SEC, SimTime, as_secs_f64};
use crate::model::max_request_lifetime;
use crate::scenario::Scenario;

/// Events one run may simulate without `--allow-large`: about 15 to 30
/// minutes of one core at the measured 70-135 ns per event (`sim bench`).
pub const MAX_EVENTS: f64 = 1e10;
/// Memory one run may need without `--allow-large`.
pub const MAX_MEMORY: f64 = 4.0 * GIB;
/// Events a whole sweep or comparison may simulate without `--allow-large`.
pub const MAX_STUDY_EVENTS: f64 = 1e11;
/// Bytes one run may write without `--allow-large`.
pub const MAX_DISK: f64 = 4.0 * GIB;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// Events per request: 4.0 on az-outage (10.87 M events for 2.70 M
/// requests, `sim bench --case az-outage`): arrival, hops, service,
/// response. Each database query adds a round trip.
const EVENTS_PER_REQUEST: f64 = 4.0;
const EVENTS_PER_QUERY: f64 = 2.0;
/// Bytes per request in flight: measured 70 (599k requests held by a hung
/// instance with a 1 h timeout took 41 MiB more than with 2 s); doubled
/// for the growth of the tables that hold them.
const BYTES_PER_REQUEST: f64 = 160.0;
/// Bytes per instance (its queue's ring, health and metrics state).
const BYTES_PER_INSTANCE: f64 = 4096.0;
/// `--metrics-out` keeps every scrape until the end: about 2 KB of text per
/// scrape on az-outage (338 KB for 180 scrapes of 3 AZs), more with AZs.
const BYTES_PER_SCRAPE: f64 = 1024.0;
const BYTES_PER_SCRAPE_AZ: f64 = 320.0;
/// The binary, fonts, charts and what every run holds whatever its size.
const BASE_MEMORY: f64 = 32.0 * MIB;
/// A `timeseries.csv` row: 52 bytes with 2 AZs and no data tier (measured),
/// longer with more AZs and tiers.
const BYTES_PER_ROW: f64 = 64.0;
const BYTES_PER_ROW_AZ: f64 = 12.0;

/// What a run will cost, roughly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Client requests (first attempts), from the peak rate.
    pub requests: f64,
    /// Simulation events, retries not counted.
    pub events: f64,
    /// Peak memory in bytes, with every request able to be in flight at
    /// once.
    pub memory: f64,
    /// Bytes written (without `--trace`, whose size follows the faults).
    pub disk: f64,
}

/// The estimate for `s`; `metrics_out` when the run exports OpenMetrics.
pub fn estimate(s: &Scenario, metrics_out: bool) -> Estimate {
    let secs = as_secs_f64(s.duration);
    let w = &s.workload;
    let peak = w.pattern.peak(w.rate);
    let requests = peak * secs;
    let queries = if s.database.is_some() { w.queries } else { 0 };
    let per_request = EVENTS_PER_REQUEST + EVENTS_PER_QUERY * f64::from(queries);
    let instances = s
        .autoscaling
        .as_ref()
        .map_or(0, |a| a.max as usize)
        .max(s.instance_count()) as f64;
    // Health checks (a probe and its answer) and one metrics row per bucket.
    let interval = s
        .load_balancer
        .health_check
        .as_ref()
        .map_or(30 * NANOS_PER_SEC, |h| h.interval)
        .max(1);
    let periodic = instances * 2.0 * (s.duration as f64 / interval as f64)
        + s.duration as f64 / s.metrics.bucket.max(1) as f64;
    let events = requests * per_request + periodic;
    let lifetime: SimTime = max_request_lifetime(s).min(s.duration);
    let in_flight = peak * as_secs_f64(lifetime);
    let scrapes = if metrics_out {
        s.duration as f64 / s.monitoring.scrape_interval.max(1) as f64
    } else {
        0.0
    };
    let azs = s.azs.len() as f64;
    let exported = scrapes * (BYTES_PER_SCRAPE + BYTES_PER_SCRAPE_AZ * azs);
    let memory =
        BASE_MEMORY + in_flight * BYTES_PER_REQUEST + instances * BYTES_PER_INSTANCE + exported;
    let rows = s.duration as f64 / s.metrics.bucket.max(1) as f64;
    let disk = rows * (BYTES_PER_ROW + BYTES_PER_ROW_AZ * azs) + exported;
    Estimate {
        requests,
        events,
        memory,
        disk,
    }
}

impl Estimate {
    /// Refuses a run over the limits, saying by how much and how to run it
    /// anyway.
    pub fn check(&self, allow_large: bool) -> Result<(), String> {
        if allow_large
            || (self.events <= MAX_EVENTS && self.memory <= MAX_MEMORY && self.disk <= MAX_DISK)
        {
            return Ok(());
        }
        let mut over = Vec::new();
        if self.events > MAX_EVENTS {
            over.push(format!(
                "about {} requests and {} events (roughly {} of CPU at 100 ns per event; \
                 the limit is {} events)",
                sci(self.requests),
                sci(self.events),
                cpu_time(self.events),
                sci(MAX_EVENTS)
            ));
        }
        if self.memory > MAX_MEMORY {
            over.push(format!(
                "up to {} of memory (the limit is {})",
                bytes(self.memory),
                bytes(MAX_MEMORY)
            ));
        }
        if self.disk > MAX_DISK {
            over.push(format!(
                "{} of files (the limit is {}; a wider `metrics.bucket` writes fewer rows)",
                bytes(self.disk),
                bytes(MAX_DISK)
            ));
        }
        Err(format!(
            "this run is too large: {}. Shorten `duration`, lower `workload.rate` \
             (or `workload.timeout` for memory), or pass --allow-large to run it anyway",
            over.join(", and ")
        ))
    }
}

/// Refuses a study whose runs add up to more than [`MAX_STUDY_EVENTS`], or
/// whose runs at once (`jobs`, or fewer when there are fewer runs) need
/// more than [`MAX_MEMORY`] together (the base memory counted once: they
/// share one process).
pub fn check_study(
    runs: &[(Estimate, usize)],
    jobs: usize,
    allow_large: bool,
) -> Result<(), String> {
    if allow_large {
        return Ok(());
    }
    for (e, _) in runs {
        e.check(false)?;
    }
    let events: f64 = runs.iter().map(|(e, n)| e.events * *n as f64).sum();
    let total: usize = runs.iter().map(|(_, n)| n).sum();
    let at_once = jobs.clamp(1, total.max(1)) as f64;
    let each = runs.iter().map(|(e, _)| e.memory).fold(0.0, f64::max) - BASE_MEMORY;
    let memory = BASE_MEMORY + each.max(0.0) * at_once;
    if events > MAX_STUDY_EVENTS {
        return Err(format!(
            "this study is too large: its runs add up to about {} events (roughly {} of CPU \
             at 100 ns per event; the limit is {}). Use fewer seeds or points, shorter runs, \
             --shard K/N across machines, or pass --allow-large to run it anyway",
            sci(events),
            cpu_time(events),
            sci(MAX_STUDY_EVENTS)
        ));
    }
    if memory > MAX_MEMORY {
        return Err(format!(
            "this study is too large: {jobs} runs at once need up to {} of memory (the limit \
             is {}). Use fewer --jobs, or pass --allow-large to run it anyway",
            bytes(memory),
            bytes(MAX_MEMORY)
        ));
    }
    Ok(())
}

/// 8.6e9
fn sci(x: f64) -> String {
    if x < 1e6 {
        format!("{x:.0}")
    } else {
        format!("{x:.1e}")
    }
}

fn cpu_time(events: f64) -> String {
    let secs = events * 100e-9;
    if secs < 3600.0 {
        format!("{:.0} min", (secs / 60.0).ceil())
    } else if secs < 2.0 * 86400.0 {
        format!("{:.0} h", secs / 3600.0)
    } else {
        format!("{:.0} days", secs / 86400.0)
    }
}

fn bytes(b: f64) -> String {
    if b >= GIB {
        format!("{:.1} GiB", b / GIB)
    } else {
        format!("{:.0} MiB", b / MIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    fn load(yaml: &str) -> Scenario {
        load_str(yaml, "t.yaml", "t", &[]).unwrap()
    }

    #[test]
    fn an_ordinary_run_passes_and_its_estimate_is_the_right_size() {
        let s = load(
            "duration: 45m\nazs: [a, b, c]\napp: {instances_per_az: 2}\n\
             workload: {rate: 1000/s, timeout: 2s, retries: 2}",
        );
        let e = estimate(&s, false);
        // 2.7 M requests; the benchmark counted 10.87 M events for them.
        assert_eq!(e.requests, 2.7e6);
        assert!((1.0e7..1.2e7).contains(&e.events), "{e:?}");
        // Base memory plus 1000/s x 6 s of requests in flight.
        assert!(e.memory < 40.0 * MIB, "{e:?}");
        assert_eq!(e.check(false), Ok(()));
    }

    #[test]
    fn a_huge_run_is_refused_with_its_estimate_and_the_flag() {
        let s = load("duration: 3000d\nworkload: {rate: 100000/s}");
        let e = estimate(&s, false);
        assert!(e.events > MAX_EVENTS);
        let err = e.check(false).unwrap_err();
        assert!(err.contains("2.6e13 requests"), "{err}");
        assert!(err.contains("--allow-large"), "{err}");
        assert_eq!(e.check(true), Ok(()));
    }

    #[test]
    fn rows_written_count_against_disk() {
        // 100 ms rows for 300 days without a request: 2.6e8 rows.
        let s = load("duration: 300d\nworkload: {rate: 0/s}\nmetrics: {bucket: 100ms}");
        let e = estimate(&s, false);
        assert!(e.events < MAX_EVENTS && e.memory < MAX_MEMORY, "{e:?}");
        let err = e.check(false).unwrap_err();
        assert!(err.contains("GiB of files"), "{err}");
    }

    #[test]
    fn requests_held_by_a_long_timeout_count_against_memory() {
        // 1e6/s for 10 min, each able to wait an hour: all 6e8 in flight.
        let s = load("duration: 10m\nworkload: {rate: 1000000/s, timeout: 1h, retries: 0}");
        let e = estimate(&s, false);
        assert!(e.events < MAX_EVENTS, "{e:?}");
        assert!(e.memory > 6e8 * 100.0, "{e:?}");
        let err = e.check(false).unwrap_err();
        assert!(err.contains("GiB of memory"), "{err}");
    }

    #[test]
    fn a_study_is_limited_by_its_total_and_by_runs_at_once() {
        let s = load("duration: 1d\nworkload: {rate: 10000/s}");
        let e = estimate(&s, false);
        assert_eq!(e.check(false), Ok(()));
        assert_eq!(check_study(&[(e, 10)], 2, false), Ok(()));
        let err = check_study(&[(e, 1000)], 2, false).unwrap_err();
        assert!(err.contains("study is too large"), "{err}");
        assert_eq!(check_study(&[(e, 1000)], 2, true), Ok(()));
        let big = Estimate {
            memory: 3.0 * GIB,
            ..e
        };
        assert!(check_study(&[(big, 2)], 2, false).is_err());
        assert_eq!(check_study(&[(big, 2)], 1, false), Ok(()));
        // 128 threads but 2 runs: 2 at once.
        assert!(check_study(&[(e, 2)], 128, false).is_ok());
        let ordinary = Estimate {
            events: 1e7,
            memory: 40.0 * MIB,
            ..e
        };
        assert!(check_study(&[(ordinary, 100)], 128, false).is_ok());
    }
}
