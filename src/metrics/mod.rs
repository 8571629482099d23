//! Streaming metrics in fixed memory: counters, latency histograms, the
//! sliding success-ratio window that judges failover latency, and time
//! buckets that are handed to a sink as soon as they close (so memory does
//! not grow with simulated duration).
//!
//! Definitions follow DESIGN.md: a request is counted once whatever its
//! attempts; availability = succeeded / issued after warm-up; a dropped
//! request is counted by the reason of its last attempt; failover latency is
//! the time from a fault's start until the windowed success ratio is back at
//! or above the threshold and stays there for one window.

mod batch;
mod faults;
mod fleet;
mod monitor;
mod timeseries;

use batch::Batches;
pub use batch::{BATCHES, Confidence, Interval, LEVEL, ratio_interval, t_quantile};
pub use faults::{FaultOutcome, FaultTracker, Verdict};
use fleet::FleetGauges;
pub use fleet::FleetRow;
pub use monitor::{AlarmChange, AlarmOutcome, Monitor};
pub use timeseries::{NullSink, Row, RowSink, VecSink};

use hdrhistogram::Histogram;

use crate::engine::{NANOS_PER_MICRO, SimTime};

/// Why a request was dropped (the reason of its last attempt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The LB had no target to send to (503).
    NoHealthyTarget,
    /// The target refused or closed the connection (502).
    ConnectionReset,
    /// No response before the client's timeout.
    Timeout,
    /// The instance's queue was full.
    QueueFull,
    /// No load balancer node could be reached.
    LbUnreachable,
    /// The app could not reach a database node able to serve the query
    /// (down, failing over, read-only, or its queue full).
    DbUnavailable,
    /// The user's session was gone: the user must log in again. Not retried.
    SessionLost,
    /// The external session store could not be read.
    SessionStoreUnavailable,
    /// The clients' circuit breaker was open: the attempt was not sent.
    /// Not retried.
    CircuitOpen,
    /// The load balancer shed the attempt: every target it could use had
    /// `max_outstanding` attempts in flight (a fast 503).
    LoadShed,
}

impl DropReason {
    /// Every reason, in report order.
    pub const ALL: [DropReason; 10] = [
        DropReason::NoHealthyTarget,
        DropReason::ConnectionReset,
        DropReason::Timeout,
        DropReason::QueueFull,
        DropReason::LbUnreachable,
        DropReason::DbUnavailable,
        DropReason::SessionLost,
        DropReason::SessionStoreUnavailable,
        DropReason::CircuitOpen,
        DropReason::LoadShed,
    ];

    /// Stable name used in summary.json and CSV headers.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::NoHealthyTarget => "no_healthy_target",
            DropReason::ConnectionReset => "connection_reset",
            DropReason::Timeout => "timeout",
            DropReason::QueueFull => "queue_full",
            DropReason::LbUnreachable => "lb_unreachable",
            DropReason::DbUnavailable => "db_unavailable",
            DropReason::SessionLost => "session_lost",
            DropReason::SessionStoreUnavailable => "session_store_unavailable",
            DropReason::CircuitOpen => "circuit_open",
            DropReason::LoadShed => "load_shed",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Resolution of the sliding window: the success ratio is evaluated every
/// 100 ms of simulated time.
pub const SUB_BUCKET: SimTime = 100 * crate::engine::NANOS_PER_MILLI;

/// What the recorder needs to know about the run.
#[derive(Debug, Clone)]
pub struct MetricsSetup {
    pub warmup: SimTime,
    /// End of the run: the measured period is [warmup, end).
    pub end: SimTime,
    /// Row width; a multiple of [`SUB_BUCKET`].
    pub bucket: SimTime,
    /// Sliding window; a multiple of [`SUB_BUCKET`].
    pub window: SimTime,
    pub threshold: f64,
}

/// Request counts by outcome.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub issued: u64,
    pub succeeded: u64,
    pub dropped: [u64; DropReason::ALL.len()],
}

/// What the data tier did, counted over the whole run (warm-up included).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct TierCounts {
    /// Calls from the app to the database (one per request that needs it).
    pub db_calls: u64,
    /// Calls that failed (`db_unavailable`).
    pub db_calls_failed: u64,
    /// Failed calls that carried writes.
    pub db_write_errors: u64,
    /// Queries executed by database nodes.
    pub db_queries: u64,
    /// Writes acknowledged by the primary (or the writers).
    pub db_writes: u64,
    /// `multi_writer`: acknowledged writes that hit a key another writer
    /// had written and not yet replicated here (last-writer-wins drops one).
    pub db_write_conflicts: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub sessions_lost: u64,
}

impl Counts {
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &Counts) {
        self.issued += o.issued;
        self.succeeded += o.succeeded;
        for (a, b) in self.dropped.iter_mut().zip(&o.dropped) {
            *a += b;
        }
    }
}

impl TierCounts {
    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &TierCounts) {
        self.db_calls += o.db_calls;
        self.db_calls_failed += o.db_calls_failed;
        self.db_write_errors += o.db_write_errors;
        self.db_queries += o.db_queries;
        self.db_writes += o.db_writes;
        self.db_write_conflicts += o.db_write_conflicts;
        self.cache_hits += o.cache_hits;
        self.cache_misses += o.cache_misses;
        self.sessions_lost += o.sessions_lost;
    }
}

impl ClientCounts {
    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &ClientCounts) {
        self.attempts += o.attempts;
        self.retries += o.retries;
        self.retries_refused += o.retries_refused;
    }
}

/// What the clients did besides issuing requests.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ClientCounts {
    /// Attempts sent towards the load balancer, first ones and retries: the
    /// offered load.
    pub attempts: u64,
    /// Of those, retries.
    pub retries: u64,
    /// Retries the retry budget refused; each ended its request.
    pub retries_refused: u64,
}

/// Latency figures of succeeded requests, in milliseconds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LatencySummary {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    /// Exact mean (not from the histogram).
    pub mean: f64,
}

/// Healthy-target statistics after warm-up, from the load balancer's view.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CapacitySummary {
    pub min_healthy: u32,
    pub mean_healthy: f64,
    pub zero_healthy_s: f64,
    pub zero_healthy_fraction: f64,
    /// Element k: the fraction of the measured time with exactly k healthy
    /// targets (all AZs together); empty when no time was measured.
    pub healthy_time_fractions: Vec<f64>,
}

/// Everything the recorder measured, at the end of a run.
#[derive(Debug, Clone)]
pub struct MetricsReport {
    /// Requests issued after warm-up and their outcomes.
    pub counts: Counts,
    /// Attempts of the counted requests.
    pub attempts: u64,
    /// Of those, the ones that found every worker of their instance busy
    /// and waited in its queue.
    pub queued: u64,
    /// Counted requests neither succeeded nor dropped at the end.
    pub in_flight: u64,
    pub latency: Option<LatencySummary>,
    pub capacity: CapacitySummary,
    pub faults: Vec<FaultOutcome>,
    pub tier: TierCounts,
    /// Retries and refusals of the counted requests.
    pub client: ClientCounts,
    /// What each of the scenario's alarms did.
    pub alarms: Vec<AlarmOutcome>,
    /// Batch-means intervals of the steady-state figures; `None` for an
    /// empty measured period.
    pub confidence: Option<Confidence>,
}

/// The streaming recorder fed by the model.
pub struct Recorder {
    /// Requests issued and ended (succeeded or dropped) over the whole run,
    /// warm-up included: one side of the conservation check.
    run_issued: u64,
    run_ended: u64,
    /// Their summed time in the system (latency of a success, age at the
    /// drop of a failure): Little's law's W side, as the metrics saw it.
    run_time_ns: u128,
    setup: MetricsSetup,
    /// Time of the last `advance`: the time of what is recorded.
    now: SimTime,
    /// End of the sub-bucket being filled.
    sub_end: SimTime,
    /// Current sub-bucket's succeeded / failed completions (all requests).
    sub_ok: u64,
    sub_fail: u64,
    /// Ring of the last `window / SUB_BUCKET` sub-buckets and its sums.
    ring: Vec<(u64, u64)>,
    ring_pos: usize,
    win_ok: u64,
    win_fail: u64,
    /// Row being filled (all requests, warm-up included).
    row: Counts,
    row_tier: TierCounts,
    tier: TierCounts,
    row_client: ClientCounts,
    client: ClientCounts,
    row_start: SimTime,
    row_hist: Histogram<u64>,
    sink: Box<dyn RowSink>,
    /// Totals after warm-up.
    totals: Counts,
    attempts: u64,
    queued: u64,
    hist: Histogram<u64>,
    latency_sum_ns: u128,
    /// Per-batch sums of the measured period, for batch-means intervals.
    batches: Batches,
    /// Healthy targets per AZ, as the LB sees them, and their time integral.
    healthy: Vec<u32>,
    healthy_total: u32,
    min_healthy: u32,
    gauge_since: SimTime,
    healthy_integral: u128,
    zero_healthy_ns: SimTime,
    /// Measured time spent with exactly k healthy targets, indexed by k
    /// (as long as the largest count seen: bounded by the fleet).
    healthy_ns: Vec<SimTime>,
    faults: Vec<FaultTracker>,
    fleet: FleetGauges,
    monitor: Monitor,
}

/// Adds the latency histogram `h` (a row's) into `acc`, starting it if
/// empty.
pub fn accumulate_latency(acc: &mut Option<Histogram<u64>>, h: &Histogram<u64>) {
    if h.is_empty() {
        return;
    }
    match acc {
        None => *acc = Some(h.clone()),
        // Every row histogram has the same bounds: adding cannot fail.
        Some(m) => m.add(h).expect("row histograms share their bounds"),
    }
}

fn histogram(sigfig: u8) -> Histogram<u64> {
    // 1 us .. 1 h in microseconds; bounds are constants, so this cannot fail.
    Histogram::new_with_bounds(1, 3_600_000_000, sigfig).expect("constant histogram bounds")
}

impl Recorder {
    /// A recorder whose closed rows go to `sink`; `healthy` is the initial
    /// healthy-target count per AZ.
    pub fn new(setup: MetricsSetup, healthy: Vec<u32>, sink: Box<dyn RowSink>) -> Self {
        assert!(setup.bucket.is_multiple_of(SUB_BUCKET) && setup.window.is_multiple_of(SUB_BUCKET));
        assert!(setup.window > 0 && setup.bucket > 0);
        let slots = (setup.window / SUB_BUCKET) as usize;
        let healthy_total: u32 = healthy.iter().sum();
        Recorder {
            run_issued: 0,
            run_ended: 0,
            run_time_ns: 0,
            now: 0,
            sub_end: SUB_BUCKET,
            sub_ok: 0,
            sub_fail: 0,
            ring: vec![(0, 0); slots],
            ring_pos: 0,
            win_ok: 0,
            win_fail: 0,
            row: Counts::default(),
            row_tier: TierCounts::default(),
            tier: TierCounts::default(),
            row_client: ClientCounts::default(),
            client: ClientCounts::default(),
            row_start: 0,
            row_hist: histogram(2),
            sink,
            totals: Counts::default(),
            attempts: 0,
            queued: 0,
            hist: histogram(3),
            latency_sum_ns: 0,
            batches: Batches::new(setup.warmup, setup.end),
            healthy,
            healthy_total,
            min_healthy: u32::MAX,
            gauge_since: setup.warmup,
            healthy_integral: 0,
            zero_healthy_ns: 0,
            healthy_ns: vec![0; healthy_total as usize + 1],
            faults: Vec::new(),
            fleet: FleetGauges::default(),
            monitor: Monitor::new(&crate::scenario::Monitoring::default(), setup.bucket),
            setup,
        }
    }

    /// Closes every sub-bucket (and row) that ends at or before `now`.
    /// The model calls this before recording anything at `now`.
    #[inline]
    pub fn advance(&mut self, now: SimTime) {
        self.now = now;
        while now >= self.sub_end {
            self.close_sub_bucket();
        }
    }

    fn close_sub_bucket(&mut self) {
        let end = self.sub_end;
        let (old_ok, old_fail) = self.ring[self.ring_pos];
        self.ring[self.ring_pos] = (self.sub_ok, self.sub_fail);
        self.ring_pos = (self.ring_pos + 1) % self.ring.len();
        self.win_ok = self.win_ok + self.sub_ok - old_ok;
        self.win_fail = self.win_fail + self.sub_fail - old_fail;
        self.sub_ok = 0;
        self.sub_fail = 0;
        if !self.faults.is_empty() {
            let total = self.win_ok + self.win_fail;
            let below =
                (total > 0).then_some((self.win_ok as f64) < self.setup.threshold * total as f64);
            for f in &mut self.faults {
                f.observe(end, below, self.setup.window);
            }
        }
        if end - self.row_start >= self.setup.bucket {
            self.emit_row(end);
        }
        self.sub_end += SUB_BUCKET;
    }

    fn emit_row(&mut self, end: SimTime) {
        let q = |h: &Histogram<u64>, p: f64| {
            (!h.is_empty()).then(|| h.median_equivalent(h.value_at_quantile(p)) as f64 / 1000.0)
        };
        let row = Row {
            start: self.row_start,
            end,
            counts: std::mem::take(&mut self.row),
            tier: std::mem::take(&mut self.row_tier),
            client: std::mem::take(&mut self.row_client),
            p50_ms: q(&self.row_hist, 0.5),
            p90_ms: q(&self.row_hist, 0.9),
            p99_ms: q(&self.row_hist, 0.99),
            max_ms: (!self.row_hist.is_empty()).then(|| self.row_hist.max() as f64 / 1000.0),
            healthy: self.healthy.clone(),
            fleet: self.fleet.row(end),
        };
        self.monitor.row(&row, &self.row_hist);
        self.sink.latency(&self.row_hist);
        self.sink.row(&row);
        self.row_hist.reset();
        self.row_start = end;
    }

    /// Evaluates `monitor`'s alarms on the rows from now on.
    pub fn set_monitor(&mut self, monitor: Monitor) {
        self.monitor = monitor;
    }

    /// A new request was issued (`counted`: after warm-up).
    #[inline]
    pub fn issued(&mut self, counted: bool) {
        self.run_issued += 1;
        self.row.issued += 1;
        if counted {
            self.totals.issued += 1;
        }
    }

    /// A request sent one more attempt (`retry`: not its first).
    #[inline]
    pub fn attempt(&mut self, counted: bool, retry: bool) {
        let r = u64::from(retry);
        self.row_client.attempts += 1;
        self.row_client.retries += r;
        if counted {
            self.attempts += 1;
            self.client.attempts += 1;
            self.client.retries += r;
        }
    }

    /// An attempt found every worker of its instance busy and was queued.
    #[inline]
    pub fn queued(&mut self, counted: bool) {
        self.queued += u64::from(counted);
    }

    /// The retry budget refused a request's retry.
    #[inline]
    pub fn retry_refused(&mut self, counted: bool) {
        self.row_client.retries_refused += 1;
        if counted {
            self.client.retries_refused += 1;
        }
    }

    /// A request succeeded with end-to-end latency `latency`.
    #[inline]
    pub fn succeeded(&mut self, latency: SimTime, counted: bool) {
        let us = (latency / NANOS_PER_MICRO).max(1);
        self.run_ended += 1;
        self.run_time_ns += u128::from(latency);
        self.sub_ok += 1;
        self.row.succeeded += 1;
        self.row_hist.saturating_record(us);
        if counted {
            self.totals.succeeded += 1;
            self.hist.saturating_record(us);
            self.latency_sum_ns += u128::from(latency);
            self.batches.succeeded(self.now, latency);
        }
    }

    /// A request was dropped for `reason`, `age` after it was issued.
    #[inline]
    pub fn dropped(&mut self, reason: DropReason, counted: bool, age: SimTime) {
        self.run_ended += 1;
        self.run_time_ns += u128::from(age);
        self.sub_fail += 1;
        self.row.dropped[reason.index()] += 1;
        if counted {
            self.totals.dropped[reason.index()] += 1;
            self.batches.dropped(self.now);
        }
        for f in &mut self.faults {
            f.count_drop();
        }
    }

    /// Applies `f` to the tier counters of the current row and of the run.
    #[inline]
    pub fn tier(&mut self, f: impl Fn(&mut TierCounts)) {
        f(&mut self.row_tier);
        f(&mut self.tier);
    }

    /// Busy app workers changed by `delta` at `now` (the CPU column).
    #[inline]
    pub fn busy_workers(&mut self, now: SimTime, delta: i64) {
        self.fleet.busy(now, delta);
    }

    /// Workers of app instances whose process runs are now `workers`.
    pub fn running_workers(&mut self, now: SimTime, workers: u64) {
        self.fleet.capacity(now, workers);
    }

    /// The group's desired capacity, serving and booting instances.
    pub fn fleet_sizes(&mut self, desired: u32, in_service: u32, booting: u32) {
        self.fleet.set_sizes(desired, in_service, booting);
    }

    /// The LB's count of healthy targets in `az` changed at `now`.
    pub fn set_healthy(&mut self, now: SimTime, az: usize, count: u32) {
        self.integrate_gauge(now);
        self.healthy_total = self.healthy_total - self.healthy[az] + count;
        self.healthy[az] = count;
    }

    fn integrate_gauge(&mut self, now: SimTime) {
        if now > self.gauge_since {
            let span = now - self.gauge_since;
            // Only values held for a positive time after warm-up count.
            self.min_healthy = self.min_healthy.min(self.healthy_total);
            self.healthy_integral += u128::from(span) * u128::from(self.healthy_total);
            if self.healthy_total == 0 {
                self.zero_healthy_ns += span;
            }
            let k = self.healthy_total as usize;
            if k >= self.healthy_ns.len() {
                self.healthy_ns.resize(k + 1, 0);
            }
            self.healthy_ns[k] += span;
            self.gauge_since = now;
        }
    }

    /// Starts judging a fault that begins at `start`. Its effects must show
    /// within `horizon` of its start and of its end; a fault whose success
    /// ratio has not dipped below the threshold by then is masked.
    pub fn fault_started(&mut self, start: SimTime, horizon: SimTime) -> usize {
        for f in &mut self.faults {
            f.judge_until(start);
        }
        self.faults.push(FaultTracker::new(start, horizon));
        self.faults.len() - 1
    }

    /// Access to a fault's tracker, for the model to report phases.
    pub fn fault(&mut self, id: usize) -> &mut FaultTracker {
        &mut self.faults[id]
    }

    /// Closes the run at `end` and returns the figures.
    /// Requests issued and ended over the whole run, warm-up included, and
    /// the ended ones' summed time in the system.
    pub fn run_flow(&self) -> (u64, u64, u128) {
        (self.run_issued, self.run_ended, self.run_time_ns)
    }

    pub fn finish(mut self, end: SimTime, in_flight: u64) -> MetricsReport {
        self.advance(end);
        if end > self.row_start {
            self.emit_row(end);
        }
        self.integrate_gauge(end);
        self.sink.finish();
        let span = end.saturating_sub(self.setup.warmup);
        let latency = (!self.hist.is_empty()).then(|| {
            let ms = |v: u64| self.hist.median_equivalent(v) as f64 / 1000.0;
            LatencySummary {
                p50: ms(self.hist.value_at_quantile(0.5)),
                p90: ms(self.hist.value_at_quantile(0.9)),
                p99: ms(self.hist.value_at_quantile(0.99)),
                max: self.hist.max() as f64 / 1000.0,
                mean: self.latency_sum_ns as f64 / self.totals.succeeded as f64 / 1e6,
            }
        });
        let capacity = CapacitySummary {
            min_healthy: self.min_healthy.min(self.healthy_total),
            mean_healthy: if span > 0 {
                self.healthy_integral as f64 / span as f64
            } else {
                f64::from(self.healthy_total)
            },
            zero_healthy_s: crate::engine::as_secs_f64(self.zero_healthy_ns),
            zero_healthy_fraction: if span > 0 {
                self.zero_healthy_ns as f64 / span as f64
            } else {
                0.0
            },
            healthy_time_fractions: if span > 0 {
                self.healthy_ns
                    .iter()
                    .map(|&t| t as f64 / span as f64)
                    .collect()
            } else {
                Vec::new()
            },
        };
        let faults = self.faults.iter().map(FaultTracker::outcome).collect();
        MetricsReport {
            counts: self.totals,
            attempts: self.attempts,
            queued: self.queued,
            in_flight,
            latency,
            capacity,
            faults,
            tier: self.tier,
            client: self.client,
            alarms: self.monitor.finish(),
            confidence: self.batches.confidence(),
        }
    }
}

#[cfg(test)]
mod tests;
