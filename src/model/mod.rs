//! The actors of a multi-AZ web tier and the event loop that drives them.
//!
//! One `Sim` owns every actor; each actor's state and handlers live in their
//! own file (`client`, `load_balancer`, `instance`, `faults`). Events are a
//! closed, `Copy` enum: no allocation per event. Timers that are often
//! obsolete (client timeouts, service completions of a crashed instance) are
//! cancelled lazily: each carries a generation or epoch that the handler
//! compares with the current one.

mod arrivals;
mod autoscaler;
mod client;
mod database;
mod dist;
mod faults;
mod instance;
mod invariants;
mod kv;
mod load_balancer;
mod multi_writer;
mod retry;
mod route53;
mod sessions;
pub mod topology;
mod trace;
mod workers;

use std::io::Write;

use crate::engine::{Lane, Scheduler, SimTime, Stream, Traced, stream};
use crate::metrics::{DropReason, FaultOutcome, MetricsReport, MetricsSetup, Recorder, RowSink};
use crate::scenario::Scenario;

use autoscaler::Asg;
pub use autoscaler::AsgReport;
use client::Clients;
use database::Db;
pub use database::DbFailover;
use faults::FaultState;
use instance::Instance;
pub use invariants::Invariants;
use kv::{Kv, KvId};
use load_balancer::LoadBalancer;
pub use route53::DnsChange;
use route53::Route53;
use sessions::SessionState;
pub use topology::Topology;
pub use trace::{KEPT_EVENTS, TraceEvent};

/// Every event of the model.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    /// The next client request arrives.
    Arrival,
    /// An attempt reaches an instance.
    AtInstance {
        inst: u32,
        req: u32,
        attempt: u32,
    },
    /// A worker slot of an instance finishes its job (if `epoch` is current).
    ServiceDone {
        inst: u32,
        slot: u32,
        epoch: u32,
    },
    /// A response reaches the client.
    Response {
        req: u32,
        attempt: u32,
    },
    /// An attempt failed with a known reason (reset, 503, queue full).
    AttemptFailed {
        req: u32,
        attempt: u32,
        reason: DropReason,
    },
    /// The client's per-attempt timeout.
    Timeout {
        req: u32,
        attempt: u32,
    },
    /// The client retries after its backoff.
    Retry {
        req: u32,
    },
    /// The LB starts a health check of a target (registration `reg`).
    HealthCheck {
        target: u32,
        reg: u32,
    },
    /// The health check's verdict reaches the LB.
    HealthResult {
        target: u32,
        reg: u32,
        ok: bool,
    },
    /// Connections to an unhealthy target are closed (deregistration delay).
    DrainExpired {
        target: u32,
        health_epoch: u32,
    },
    FaultStart {
        fault: u32,
    },
    FaultEnd {
        fault: u32,
    },
    RandomFailure {
        inst: u32,
        launch: u32,
    },
    RandomRepair {
        inst: u32,
        launch: u32,
    },
    BootDone {
        inst: u32,
        epoch: u32,
    },
    /// An app worker's database call reaches node `node`.
    DbArrive {
        node: u32,
        gslot: u32,
        epoch: u32,
    },
    /// A database worker finishes a call (if `epoch` is the node's).
    DbDone {
        node: u32,
        slot: u32,
        epoch: u32,
    },
    /// The database's answer reaches app worker `gslot`.
    DbReply {
        gslot: u32,
        epoch: u32,
        ok: bool,
    },
    /// The primary's failure is noticed.
    DbDetect {
        epoch: u32,
    },
    /// A standby finishes its promotion to primary.
    DbPromoted {
        epoch: u32,
        node: u32,
    },
    /// A database node fails or is repaired (random failure process).
    DbRandom {
        node: u32,
    },
    /// The app instances notice that writer `node` of a `multi_writer`
    /// database is down (if `epoch` is still the writer's).
    DbWriterDetect {
        node: u32,
        epoch: u32,
    },
    /// A store's replica finishes its promotion.
    KvFailover {
        store: u32,
        epoch: u32,
    },
    /// A store node fails or is repaired (random failure process).
    KvRandom {
        store: u32,
        node: u32,
    },
    /// A CloudWatch metric period ends: the group's policy looks at it.
    AsgTick,
    /// EC2 status checks of every instance.
    StatusCheck,
    /// An instance's health check grace period ends.
    GraceEnd {
        inst: u32,
        launch: u32,
    },
    /// A terminating instance's deregistration delay is over.
    Deregistered {
        inst: u32,
        launch: u32,
    },
    /// A scheduled action of the group.
    Scheduled {
        action: u32,
    },
    /// Route 53 probes the primary region.
    Route53Check,
    /// One DNS TTL after the answer changed (if `epoch` is current).
    DnsSettled {
        epoch: u32,
    },
    /// The automation starts a cold standby's instances.
    ColdStandbyStart,
    End,
}

impl Traced for Event {
    fn kind(&self) -> u16 {
        match self {
            Event::Arrival => 0,
            Event::AtInstance { .. } => 1,
            Event::ServiceDone { .. } => 2,
            Event::Response { .. } => 3,
            Event::AttemptFailed { .. } => 4,
            Event::Timeout { .. } => 5,
            Event::Retry { .. } => 6,
            Event::HealthCheck { .. } => 7,
            Event::HealthResult { .. } => 8,
            Event::DrainExpired { .. } => 9,
            Event::FaultStart { .. } => 10,
            Event::FaultEnd { .. } => 11,
            Event::RandomFailure { .. } => 12,
            Event::RandomRepair { .. } => 13,
            Event::BootDone { .. } => 14,
            Event::End => 15,
            Event::DbArrive { .. } => 16,
            Event::DbDone { .. } => 17,
            Event::DbReply { .. } => 18,
            Event::DbDetect { .. } => 19,
            Event::DbPromoted { .. } => 20,
            Event::DbRandom { .. } => 21,
            Event::KvFailover { .. } => 22,
            Event::KvRandom { .. } => 23,
            Event::AsgTick => 24,
            Event::StatusCheck => 25,
            Event::GraceEnd { .. } => 26,
            Event::Deregistered { .. } => 27,
            Event::Scheduled { .. } => 28,
            Event::DbWriterDetect { .. } => 29,
            Event::Route53Check => 30,
            Event::DnsSettled { .. } => 31,
            Event::ColdStandbyStart => 32,
        }
    }

    fn target(&self) -> u32 {
        match *self {
            Event::Arrival
            | Event::End
            | Event::AsgTick
            | Event::StatusCheck
            | Event::Route53Check
            | Event::ColdStandbyStart => 0,
            Event::DnsSettled { epoch } => epoch,
            Event::AtInstance { inst, .. }
            | Event::ServiceDone { inst, .. }
            | Event::RandomFailure { inst, .. }
            | Event::RandomRepair { inst, .. }
            | Event::BootDone { inst, .. }
            | Event::GraceEnd { inst, .. }
            | Event::Deregistered { inst, .. } => inst,
            Event::Scheduled { action } => action,
            Event::Response { req, .. }
            | Event::AttemptFailed { req, .. }
            | Event::Timeout { req, .. }
            | Event::Retry { req } => req,
            Event::HealthCheck { target, .. }
            | Event::HealthResult { target, .. }
            | Event::DrainExpired { target, .. } => target,
            Event::FaultStart { fault } | Event::FaultEnd { fault } => fault,
            Event::DbArrive { node, .. }
            | Event::DbDone { node, .. }
            | Event::DbPromoted { node, .. }
            | Event::DbRandom { node }
            | Event::DbWriterDetect { node, .. } => node,
            Event::DbReply { gslot, .. } => gslot,
            Event::DbDetect { epoch } => epoch,
            Event::KvFailover { store, .. } => store,
            Event::KvRandom { store, node } => store * 2 + node,
        }
    }
}

/// FIFO lanes for events always scheduled the same delay ahead.
struct Lanes {
    /// One network hop (`network.latency`).
    hop: Lane,
    /// The client's attempt timeout.
    timeout: Lane,
    /// The client's retry backoff.
    backoff: Lane,
    /// The next client arrival: arrivals are drawn in time order, one
    /// pending at a time, so they need no heap.
    arrival: Lane,
}

/// What a run produced besides the rows already handed to the sink.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub metrics: MetricsReport,
    pub events_processed: u64,
    /// Hash of the processed (time, kind, target) stream.
    pub event_hash: u64,
    /// Age of the oldest request still in flight at the end. Every request
    /// ends within [`max_request_lifetime`]: a larger age means a request
    /// was lost by the model (tests check it).
    pub oldest_in_flight: Option<SimTime>,
    /// Verdict per scenario fault (same order); `None` if it never started.
    pub faults: Vec<Option<FaultOutcome>>,
    /// Trace lines that could not be written, if any (first error).
    pub trace_error: Option<String>,
    /// The first state changes of the run (what `events.jsonl` holds), for
    /// the timeline, and how many more there were.
    pub events: Vec<(SimTime, TraceEvent)>,
    pub events_left_out: u64,
    /// Every primary failure of the database and how it ended.
    pub db_failovers: Vec<DbFailover>,
    /// Replica promotions of the cache and of the session store.
    pub cache_failovers: u32,
    pub session_store_failovers: u32,
    /// What the Auto Scaling Group did, if there is one.
    pub autoscaling: Option<AsgReport>,
    /// Times the clients' circuit breaker opened, and how long it stayed
    /// open in all (whole run, warm-up included).
    pub circuit_opened: u32,
    pub circuit_open: SimTime,
    /// App instances registered in standby AZs, integrated over the run
    /// (instance-nanoseconds; 0 without standby AZs).
    pub standby_instance_ns: u128,
    /// The part of `standby_instance_ns` during which no LB node that was
    /// up routed to the standby: paid for and idle.
    pub idle_standby_ns: u128,
    /// Route 53's answer changes (empty without `dns:`).
    pub dns_changes: Vec<DnsChange>,
    /// Instance-ns a cold standby's instances spent stopped (unpaid; 0
    /// without a cold standby).
    pub stopped_standby_ns: u128,
    /// Little's law and conservation over the run, and what failed.
    pub invariants: Invariants,
}

/// The whole simulated system.
pub(crate) struct Sim<'s> {
    s: &'s Scenario,
    sched: Scheduler<Event>,
    lanes: Lanes,
    metrics: Recorder,
    clients: Clients,
    lb: LoadBalancer,
    /// Route 53 failover routing between regions, with `dns:`.
    route53: Option<Route53>,
    /// Extra one-way client latency of each AZ's region.
    region_latency: Vec<SimTime>,
    instances: Vec<Instance>,
    /// Display name of the instance in each slot (`a-1`, `b-4`, ...).
    names: Vec<String>,
    /// Instances whose process runs (up or hung): the CPU column's capacity.
    running: u32,
    asg: Option<Asg>,
    db: Option<Db>,
    cache: Option<Kv>,
    store: Option<Kv>,
    sessions: SessionState,
    faults: FaultState,
    failure_rngs: Vec<Stream>,
    trace: trace::Tracer,
    progress: Option<Progress>,
}

/// Called now and then with the current simulated time, for progress bars.
pub type Progress = Box<dyn FnMut(SimTime)>;

/// How many events pass between two progress reports.
const PROGRESS_EVERY: u64 = 1 << 20;

/// Runs `scenario` to its end, streaming closed time buckets to `rows` and,
/// when given, state-change events as JSON lines to `trace`.
pub fn simulate(
    scenario: &Scenario,
    rows: Box<dyn RowSink>,
    trace: Option<Box<dyn Write>>,
) -> RunOutput {
    simulate_with_progress(scenario, rows, trace, None)
}

/// [`simulate`], reporting the simulated time to `progress` every million
/// events or so.
pub fn simulate_with_progress(
    scenario: &Scenario,
    rows: Box<dyn RowSink>,
    trace: Option<Box<dyn Write>>,
    progress: Option<Progress>,
) -> RunOutput {
    let topology = Topology::build(scenario);
    let mut sim = Sim::new(scenario, &topology, rows, trace);
    sim.progress = progress;
    sim.run();
    sim.finish()
}

/// The longest a request can live: every attempt ends by its timeout, and
/// retry n waits at most its un-jittered backoff (jitter only shortens it).
pub fn max_request_lifetime(s: &Scenario) -> SimTime {
    let w = &s.workload;
    let attempts = SimTime::from(w.retries) + 1;
    let waits = (1..=w.retries)
        .map(|n| w.backoff_wait(n))
        .fold(0, SimTime::saturating_add);
    attempts.saturating_mul(w.timeout).saturating_add(waits)
}

impl<'s> Sim<'s> {
    fn new(
        s: &'s Scenario,
        topology: &Topology,
        rows: Box<dyn RowSink>,
        trace: Option<Box<dyn Write>>,
    ) -> Self {
        let mut sched = Scheduler::new();
        let lanes = Lanes {
            hop: sched.add_lane(),
            timeout: sched.add_lane(),
            backoff: sched.add_lane(),
            arrival: sched.add_lane(),
        };
        let mut instances: Vec<Instance> = s
            .initial_azs()
            .into_iter()
            .enumerate()
            .map(|(id, az)| Instance::new(az, &s.app, id as u32, 0, 0))
            .collect();
        let names: Vec<String> = (0..instances.len()).map(|id| s.instance_name(id)).collect();
        let lb = LoadBalancer::new(s, topology);
        if let Some(cold) = &lb.cold {
            for &k in &cold.slots {
                let i = &mut instances[k as usize];
                i.stopped = true;
                i.status = instance::Status::Off;
            }
        }
        let running = instances.iter().filter(|i| i.status.runs()).count() as u32;
        let mut metrics = Recorder::new(
            MetricsSetup {
                warmup: s.warmup,
                end: s.duration,
                bucket: s.metrics.bucket,
                window: s.metrics.window,
                threshold: s.metrics.threshold,
            },
            lb.healthy_per_az(),
            rows,
        );
        metrics.set_monitor(crate::metrics::Monitor::new(
            &s.monitoring,
            s.metrics.bucket,
        ));
        let failure_rngs = names
            .iter()
            .map(|name| stream(s.seed, &format!("instance.{name}.failures")))
            .collect();
        let mut metrics = metrics;
        metrics.running_workers(0, u64::from(running) * u64::from(s.app.workers));
        Sim {
            s,
            sched,
            lanes,
            metrics,
            clients: Clients::new(s),
            lb,
            route53: s.dns.as_ref().map(|d| Route53::new(s, d)),
            region_latency: s.client_latency_of_az(),
            running,
            asg: s.autoscaling.as_ref().map(|a| Asg::new(s, a)),
            instances,
            names,
            db: s.database.as_ref().map(|d| Db::new(s, d)),
            cache: s.cache.as_ref().map(|c| Kv::new(s, &c.store, KvId::Cache)),
            store: s
                .session_store
                .as_ref()
                .map(|c| Kv::new(s, c, KvId::Sessions)),
            sessions: SessionState::new(s),
            faults: FaultState::new(s),
            failure_rngs,
            trace: trace::Tracer::new(trace),
            progress: None,
        }
    }

    fn run(&mut self) {
        self.start();
        self.run_until(SimTime::MAX);
    }

    fn start(&mut self) {
        self.sched.at(self.s.duration, Event::End);
        self.start_clients();
        self.start_health_checks();
        self.start_faults();
        self.start_db_failures();
        self.start_kv_failures();
        self.start_asg();
        self.start_route53();
        if self.lb.standby_in_use() {
            // No active AZ starts with a healthy target.
            self.trace_standby(true);
        }
        self.standby_refresh();
    }

    /// Processes events up to and including time `limit` (or the end).
    fn run_until(&mut self, limit: SimTime) {
        while let Some((now, ev)) = self.sched.pop_until(limit) {
            self.metrics.advance(now);
            if self.sched.processed().is_multiple_of(PROGRESS_EVERY)
                && let Some(report) = self.progress.as_mut()
            {
                report(now);
            }
            match ev {
                Event::Arrival => self.on_arrival(),
                Event::AtInstance { inst, req, attempt } => self.on_at_instance(inst, req, attempt),
                Event::ServiceDone { inst, slot, epoch } => self.on_service_done(inst, slot, epoch),
                Event::Response { req, attempt } => self.on_response(req, attempt),
                Event::AttemptFailed {
                    req,
                    attempt,
                    reason,
                } => {
                    if self.clients.is_live(req, attempt) {
                        self.fail_attempt(req, reason);
                    }
                }
                Event::Timeout { req, attempt } => self.on_timeout(req, attempt),
                Event::Retry { req } => self.start_attempt(req),
                Event::HealthCheck { target, reg } => self.on_health_check(target, reg),
                Event::HealthResult { target, reg, ok } => self.on_health_result(target, reg, ok),
                Event::DrainExpired {
                    target,
                    health_epoch,
                } => self.on_drain_expired(target, health_epoch),
                Event::FaultStart { fault } => self.on_fault_start(fault),
                Event::FaultEnd { fault } => self.on_fault_end(fault),
                Event::RandomFailure { inst, launch } => self.on_random_failure(inst, launch),
                Event::RandomRepair { inst, launch } => self.on_random_repair(inst, launch),
                Event::BootDone { inst, epoch } => self.on_boot_done(inst, epoch),
                Event::DbArrive { node, gslot, epoch } => self.on_db_arrive(node, gslot, epoch),
                Event::DbDone { node, slot, epoch } => self.on_db_done(node, slot, epoch),
                Event::DbReply { gslot, epoch, ok } => self.on_db_reply(gslot, epoch, ok),
                Event::DbDetect { epoch } => self.on_db_detect(epoch),
                Event::DbPromoted { epoch, node } => self.on_db_promoted(epoch, node),
                Event::DbRandom { node } => self.on_db_random(node),
                Event::DbWriterDetect { node, epoch } => self.on_db_writer_detect(node, epoch),
                Event::KvFailover { store, epoch } => self.on_kv_failover(store, epoch),
                Event::KvRandom { store, node } => self.on_kv_random(store, node),
                Event::AsgTick => self.on_asg_tick(),
                Event::StatusCheck => self.on_status_check(),
                Event::GraceEnd { inst, launch } => self.on_grace_end(inst, launch),
                Event::Deregistered { inst, launch } => self.on_deregistered(inst, launch),
                Event::Scheduled { action } => self.on_scheduled(action),
                Event::Route53Check => self.on_route53_check(),
                Event::DnsSettled { epoch } => self.on_dns_settled(epoch),
                Event::ColdStandbyStart => self.on_cold_standby_start(),
                Event::End => return,
            }
        }
    }

    fn finish(mut self) -> RunOutput {
        let end = self.sched.now().max(self.s.duration);
        let autoscaling = self.asg.as_mut().map(|a| a.report(end));
        self.lb.account(end);
        let (standby_instance_ns, idle_standby_ns) = self.lb.standby_areas();
        let stopped_standby_ns = self.lb.stopped_standby_ns(end);
        let in_flight = self.clients.in_flight(end);
        let events_processed = self.sched.processed();
        let event_hash = self.sched.event_hash();
        let (trace_error, events, events_left_out) = self.trace.finish();
        let trackers = self.faults.trackers();
        let (run_issued, run_ended, ended_time) = self.metrics.run_flow();
        let metrics = self.metrics.finish(end, in_flight.counted);
        let invariants = invariants::enforce(invariants::check(
            std::mem::take(&mut self.clients.flow),
            end,
            &invariants::Counts {
                issued: run_issued,
                ended: run_ended,
                ended_time,
                counted_issued: metrics.counts.issued,
                counted_ended: metrics.counts.succeeded + metrics.counts.dropped_total(),
                counted_in_flight: in_flight.counted,
                in_table: in_flight.all,
                in_table_age: in_flight.age,
            },
        ));
        let faults = trackers
            .into_iter()
            .map(|t| t.map(|id| metrics.faults[id].clone()))
            .collect();
        RunOutput {
            metrics,
            oldest_in_flight: in_flight.oldest,
            faults,
            events_processed,
            event_hash,
            trace_error,
            events,
            events_left_out,
            db_failovers: self.db.map(|d| d.failovers).unwrap_or_default(),
            cache_failovers: self.cache.map_or(0, |k| k.failovers),
            session_store_failovers: self.store.map_or(0, |k| k.failovers),
            autoscaling,
            circuit_opened: self.clients.breaker.as_ref().map_or(0, |b| b.opened),
            circuit_open: self
                .clients
                .breaker
                .as_ref()
                .map_or(0, |b| b.open_time(end)),
            standby_instance_ns,
            idle_standby_ns,
            dns_changes: self.route53.map(|r| r.changes).unwrap_or_default(),
            stopped_standby_ns,
            invariants,
        }
    }

    #[inline]
    fn now(&self) -> SimTime {
        self.sched.now()
    }
}

#[cfg(test)]
mod apptier_tests;
#[cfg(test)]
mod asg_tests;
#[cfg(test)]
mod client_tests;
#[cfg(test)]
mod data_tests;
#[cfg(test)]
mod multi_writer_tests;
#[cfg(test)]
mod region_tests;
#[cfg(test)]
mod standby_tests;
#[cfg(test)]
mod tests;
