//! Little's law and conservation, checked at the end of every run.
//!
//! Over the whole run (warm-up included), with T the end of the run:
//!
//! - **conservation**: every request issued has succeeded, been dropped or
//!   is still in flight, counted by the metrics recorder on one side and by
//!   the clients' request table on the other;
//! - **Little's law**, in its exact finite-horizon form: the area under the
//!   number of requests in the system, ∫₀ᵀ N(t) dt, equals the sum of every
//!   request's time in the system up to T (for a request still in flight,
//!   T minus its issue time). Dividing both by T gives L = λ W with
//!   λ = issued / T and W = that sum / issued. Both sides are integer
//!   nanoseconds, so they must agree exactly: no tolerance is needed.
//!
//! The two sides come from different places: the area is integrated by the
//! clients' request table at every change of N, the times in the system are
//! what the metrics recorder was told (each success's latency, each drop's
//! age) plus the ages of the requests still in the table. A request counted
//! twice or never, released at another time than it was reported, or
//! reported with a wrong latency breaks the equality.

use serde::Serialize;

use crate::engine::{NANOS_PER_SEC, SimTime};

/// Set, this environment variable adds a violation to every run, so tests
/// can check what a broken invariant does to the CLI.
pub const BREAK_ENV: &str = "FAILOVER_SIM_BREAK_INVARIANTS";

/// Requests in the system over time, as the clients' request table sees it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Flow {
    live: u64,
    since: SimTime,
    /// ∫ N(t) dt so far, in request-nanoseconds.
    area: u128,
    entered: u64,
    left: u64,
}

impl Flow {
    #[inline]
    fn integrate(&mut self, now: SimTime) {
        self.area += u128::from(self.live) * u128::from(now - self.since);
        self.since = now;
    }

    /// A request issued at `now` enters the system.
    #[inline]
    pub(crate) fn enter(&mut self, now: SimTime) {
        self.integrate(now);
        self.live += 1;
        self.entered += 1;
    }

    /// A request leaves the system at `now`.
    #[inline]
    pub(crate) fn leave(&mut self, now: SimTime) {
        self.integrate(now);
        self.live -= 1;
        self.left += 1;
    }

    /// Requests in the system now.
    #[inline]
    pub(crate) fn live(&self) -> u64 {
        self.live
    }
}

/// What the other side counted, for the checks.
pub(crate) struct Counts {
    /// Requests the metrics recorder saw issued, and end (succeed or drop),
    /// over the whole run.
    pub issued: u64,
    pub ended: u64,
    /// The ended requests' summed time in the system, as the metrics were
    /// told it (latency of a success, age at the drop of a failure).
    pub ended_time: u128,
    /// The same after warm-up (the summary's figures), and the counted
    /// requests still in flight.
    pub counted_issued: u64,
    pub counted_ended: u64,
    pub counted_in_flight: u64,
    /// Requests in the clients' table at the end, and their summed age.
    pub in_table: u64,
    pub in_table_age: u128,
}

/// Little's law over the whole run, and any invariant that failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invariants {
    /// L: time-average number of requests in the system.
    pub mean_in_system: f64,
    /// λ: requests issued per simulated second.
    pub arrival_rate_per_s: f64,
    /// W: mean time in the system, seconds (requests in flight at the end
    /// counted up to the end).
    pub mean_time_in_system_s: f64,
    /// One line per failed check; empty when every invariant holds.
    pub violations: Vec<String>,
}

impl Invariants {
    pub fn hold(&self) -> bool {
        self.violations.is_empty()
    }
}

/// What a run does with its invariants' verdict: every test build stops at
/// a broken one; a release build reports it (`sim run` exits 3). The
/// [`BREAK_ENV`] hook adds a violation instead, for the CLI's tests.
pub(crate) fn enforce(mut inv: Invariants) -> Invariants {
    if std::env::var_os(BREAK_ENV).is_some() {
        inv.violations
            .push(format!("forced by {BREAK_ENV} (a test hook)"));
    } else {
        debug_assert!(inv.hold(), "invariants failed: {:?}", inv.violations);
    }
    inv
}

/// Checks the invariants at `end` (the run's last instant).
pub(crate) fn check(mut flow: Flow, end: SimTime, c: &Counts) -> Invariants {
    flow.integrate(end);
    let mut violations = Vec::new();
    let mut require = |ok: bool, what: String| {
        if !ok {
            violations.push(what);
        }
    };
    require(
        c.issued == c.ended + c.in_table,
        format!(
            "conservation: issued {} != ended {} + in flight {}",
            c.issued, c.ended, c.in_table
        ),
    );
    require(
        c.counted_issued == c.counted_ended + c.counted_in_flight,
        format!(
            "conservation after warm-up: issued {} != succeeded + dropped {} + in flight {}",
            c.counted_issued, c.counted_ended, c.counted_in_flight
        ),
    );
    require(
        flow.entered == c.issued && flow.left == c.ended && flow.live == c.in_table,
        format!(
            "the request table saw {} issued, {} ended, {} in flight; the metrics {} and {}",
            flow.entered, flow.left, flow.live, c.issued, c.ended
        ),
    );
    let total_time = c.ended_time + c.in_table_age;
    require(
        flow.area == total_time,
        format!(
            "Little's law: area under N(t) {} request-ns != summed time in system {} request-ns",
            flow.area, total_time
        ),
    );
    let secs = end as f64 / NANOS_PER_SEC as f64;
    let per = |x: f64, n: f64| if n > 0.0 { x / n } else { 0.0 };
    Invariants {
        mean_in_system: per(flow.area as f64 / NANOS_PER_SEC as f64, secs),
        arrival_rate_per_s: per(flow.entered as f64, secs),
        mean_time_in_system_s: per(
            total_time as f64 / NANOS_PER_SEC as f64,
            flow.entered as f64,
        ),
        violations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the metrics would report for `flow`: `ended_time` for the
    /// requests that left, `in_table_age` for those still in.
    fn counts(flow: &Flow, ended_time: u64, in_table_age: u64) -> Counts {
        Counts {
            issued: flow.entered,
            ended: flow.left,
            ended_time: u128::from(ended_time),
            counted_issued: flow.entered,
            counted_ended: flow.left,
            counted_in_flight: flow.live,
            in_table: flow.live,
            in_table_age: u128::from(in_table_age),
        }
    }

    #[test]
    fn l_equals_lambda_w_on_a_hand_made_history() {
        // Requests at [0, 4), [1, 3) and [2, end = 6): N(t) = 1, 2, 3, 2, 1, 1.
        let s = NANOS_PER_SEC;
        let mut f = Flow::default();
        f.enter(0);
        f.enter(s);
        f.enter(2 * s);
        f.leave(3 * s);
        f.leave(4 * s);
        // The two that ended spent 2 s and 4 s; the third is 4 s old.
        let inv = check(f.clone(), 6 * s, &counts(&f, 6 * s, 4 * s));
        assert!(inv.hold(), "{:?}", inv.violations);
        // Area 10 request-s over 6 s; 3 requests in 6 s; W = (4 + 2 + 4) / 3 s.
        assert!((inv.mean_in_system - 10.0 / 6.0).abs() < 1e-12);
        assert!((inv.arrival_rate_per_s - 0.5).abs() < 1e-12);
        assert!((inv.mean_time_in_system_s - 10.0 / 3.0).abs() < 1e-12);
        let l = inv.arrival_rate_per_s * inv.mean_time_in_system_s;
        assert!((inv.mean_in_system - l).abs() < 1e-12);
    }

    #[test]
    fn a_lost_or_mistimed_request_is_a_violation() {
        let s = NANOS_PER_SEC;
        let mut f = Flow::default();
        f.enter(0);
        f.enter(s);
        f.leave(2 * s);
        // Right: the ended request spent 2 s, the other is 1 s old.
        assert!(check(f.clone(), 2 * s, &counts(&f, 2 * s, s)).hold());
        // The metrics forgot the request still in flight.
        let mut c = counts(&f, 2 * s, s);
        c.in_table = 0;
        let inv = check(f.clone(), 2 * s, &c);
        assert!(inv.violations.iter().any(|v| v.starts_with("conservation")));
        // A latency reported 1 ns short: the areas disagree.
        let inv = check(f.clone(), 2 * s, &counts(&f, 2 * s - 1, s));
        assert!(inv.violations.iter().any(|v| v.starts_with("Little")));
    }
}
