//! Clients: open-loop arrivals, attempts with a timeout, retries, outcomes.
//!
//! A request's work (its service demand) is drawn once at arrival from the
//! workload's own stream, so the same request needs the same work whatever
//! design serves it (common random numbers across designs).

use rand_distr::{Distribution, Exp, LogNormal};

use super::{Event, Sim};
use crate::engine::{SimTime, Stream, from_secs_f64, stream};
use crate::metrics::DropReason;
use crate::scenario::{Arrival, Scenario, ServiceTime};

/// No target: the attempt was not routed to an instance.
pub(crate) const NO_TARGET: u32 = u32::MAX;

/// One logical request, alive from arrival until success or drop.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    issued: SimTime,
    pub(crate) demand: SimTime,
    /// Generation of the current attempt; events of older ones are stale.
    attempt: u32,
    /// An attempt is in progress (not waiting for a retry, not finished).
    attempt_live: bool,
    in_use: bool,
    attempts: u32,
    /// Target instance of the live attempt, or `NO_TARGET`.
    pub(crate) target: u32,
    counted: bool,
}

/// Service-demand sampler, resolved from the scenario once.
#[derive(Debug, Clone)]
enum Demand {
    Constant(SimTime),
    Exponential(Exp<f64>),
    LogNormal(LogNormal<f64>),
}

/// The 0.99 quantile of the standard normal distribution.
const Z99: f64 = 2.326_347_874_040_841;

impl Demand {
    fn new(st: ServiceTime) -> Demand {
        match st {
            ServiceTime::Constant { value } => Demand::Constant(value),
            // Rate in 1/ns; validation guarantees mean > 0.
            ServiceTime::Exponential { mean } => {
                Demand::Exponential(Exp::new(1.0 / mean as f64).expect("mean > 0 validated"))
            }
            ServiceTime::LogNormal { mean, p99 } => {
                // mean = exp(mu + s^2/2), p99 = exp(mu + Z99 s): solve for s,
                // the smaller root (validation checked the discriminant).
                let r = (p99 as f64 / mean as f64).ln();
                let sigma = Z99 - (Z99 * Z99 - 2.0 * r).sqrt();
                let mu = (mean as f64).ln() - sigma * sigma / 2.0;
                Demand::LogNormal(LogNormal::new(mu, sigma).expect("sigma >= 0 validated"))
            }
        }
    }

    #[inline]
    fn sample(&self, rng: &mut Stream) -> SimTime {
        match self {
            Demand::Constant(v) => *v,
            Demand::Exponential(d) => d.sample(rng).round() as SimTime,
            Demand::LogNormal(d) => d.sample(rng).round() as SimTime,
        }
    }
}

/// The client population and its requests in flight.
pub(crate) struct Clients {
    slab: Vec<Request>,
    free: Vec<u32>,
    arrival_rng: Stream,
    service_rng: Stream,
    pub(crate) dns_rng: Stream,
    interarrival: Option<Exp<f64>>,
    constant_gap: SimTime,
    demand: Demand,
}

impl Clients {
    pub(crate) fn new(s: &Scenario) -> Clients {
        let rate = s.workload.rate;
        Clients {
            slab: Vec::new(),
            free: Vec::new(),
            arrival_rng: stream(s.seed, "workload.arrivals"),
            service_rng: stream(s.seed, "workload.service"),
            dns_rng: stream(s.seed, "clients.dns"),
            interarrival: (rate > 0.0 && s.workload.arrival == Arrival::Poisson)
                .then(|| Exp::new(rate).expect("rate > 0")),
            constant_gap: if rate > 0.0 {
                from_secs_f64(1.0 / rate).max(1)
            } else {
                0
            },
            demand: Demand::new(s.app.service_time),
        }
    }

    /// Whether `attempt` is the live attempt of request `req`.
    #[inline]
    pub(crate) fn is_live(&self, req: u32, attempt: u32) -> bool {
        let r = &self.slab[req as usize];
        r.in_use && r.attempt_live && r.attempt == attempt
    }

    #[inline]
    pub(crate) fn get(&self, req: u32) -> &Request {
        &self.slab[req as usize]
    }

    fn alloc(&mut self, r: Request) -> u32 {
        match self.free.pop() {
            Some(i) => {
                // Keep the generation running so old events stay stale.
                let attempt = self.slab[i as usize].attempt;
                self.slab[i as usize] = Request { attempt, ..r };
                i
            }
            None => {
                self.slab.push(r);
                (self.slab.len() - 1) as u32
            }
        }
    }

    fn release(&mut self, req: u32) {
        self.slab[req as usize].in_use = false;
        self.free.push(req);
    }

    /// Age at `now` of the oldest request still in flight, if any.
    pub(crate) fn oldest_age(&self, now: SimTime) -> Option<SimTime> {
        self.slab
            .iter()
            .filter(|r| r.in_use)
            .map(|r| now - r.issued)
            .max()
    }

    /// Counted requests still in flight.
    pub(crate) fn counted_in_flight(&self) -> u64 {
        self.slab.iter().filter(|r| r.in_use && r.counted).count() as u64
    }

    fn next_gap(&mut self) -> Option<SimTime> {
        match &self.interarrival {
            // At least 1 ns: the clock must move even at absurd rates.
            Some(exp) => Some(from_secs_f64(exp.sample(&mut self.arrival_rng)).max(1)),
            None if self.constant_gap > 0 => Some(self.constant_gap),
            None => None,
        }
    }
}

impl Sim<'_> {
    pub(super) fn start_clients(&mut self) {
        if let Some(gap) = self.clients.next_gap() {
            self.sched.after(gap, Event::Arrival);
        }
    }

    pub(super) fn on_arrival(&mut self) {
        if let Some(gap) = self.clients.next_gap() {
            self.sched.after(gap, Event::Arrival);
        }
        let now = self.now();
        let counted = now >= self.s.warmup;
        let demand = self.clients.demand.sample(&mut self.clients.service_rng);
        let req = self.clients.alloc(Request {
            issued: now,
            demand,
            attempt: 0,
            attempt_live: false,
            in_use: true,
            attempts: 0,
            target: NO_TARGET,
            counted,
        });
        self.metrics.issued(counted);
        self.start_attempt(req);
    }

    /// Sends a new attempt of `req` through DNS, an LB node and its routing.
    pub(super) fn start_attempt(&mut self, req: u32) {
        let w = &self.s.workload;
        let (attempt, counted) = {
            let r = &mut self.clients.slab[req as usize];
            r.attempt = r.attempt.wrapping_add(1);
            r.attempt_live = true;
            r.attempts += 1;
            r.target = NO_TARGET;
            (r.attempt, r.counted)
        };
        self.metrics.attempt(counted);
        self.sched.after_on(
            self.lanes.timeout,
            w.timeout,
            Event::Timeout { req, attempt },
        );
        let now = self.now();
        let Some((node, penalty)) =
            self.lb
                .pick_node(now, w.connect_timeout, &mut self.clients.dns_rng)
        else {
            self.fail_later(req, attempt, w.connect_timeout, DropReason::LbUnreachable);
            return;
        };
        let latency = self.s.network.latency;
        match self.lb.route(node) {
            None => self.fail_later(
                req,
                attempt,
                penalty.saturating_add(latency.saturating_mul(2)),
                DropReason::NoHealthyTarget,
            ),
            Some(target) => {
                self.clients.slab[req as usize].target = target;
                let ev = Event::AtInstance {
                    inst: target,
                    req,
                    attempt,
                };
                if penalty == 0 {
                    self.sched.after_on(self.lanes.hop, latency, ev);
                } else {
                    self.sched.after(penalty.saturating_add(latency), ev);
                }
            }
        }
    }

    /// Fails the attempt after `delay`, unless the timeout comes first.
    pub(super) fn fail_later(
        &mut self,
        req: u32,
        attempt: u32,
        delay: SimTime,
        reason: DropReason,
    ) {
        if delay < self.s.workload.timeout {
            self.sched.after(
                delay,
                Event::AttemptFailed {
                    req,
                    attempt,
                    reason,
                },
            );
        }
    }

    /// The live attempt of `req` failed: retry or drop the request.
    pub(super) fn fail_attempt(&mut self, req: u32, reason: DropReason) {
        let (target, attempts, counted) = {
            let r = &mut self.clients.slab[req as usize];
            r.attempt_live = false;
            let t = r.target;
            r.target = NO_TARGET;
            (t, r.attempts, r.counted)
        };
        if target != NO_TARGET {
            self.lb.finished(target);
        }
        if attempts <= self.s.workload.retries {
            self.sched.after_on(
                self.lanes.backoff,
                self.s.workload.retry_backoff,
                Event::Retry { req },
            );
        } else {
            self.metrics.dropped(reason, counted);
            self.clients.release(req);
        }
    }

    pub(super) fn on_response(&mut self, req: u32, attempt: u32) {
        if !self.clients.is_live(req, attempt) {
            return;
        }
        let now = self.now();
        let r = &mut self.clients.slab[req as usize];
        r.attempt_live = false;
        let (target, latency, counted) = (r.target, now - r.issued, r.counted);
        if target != NO_TARGET {
            self.lb.finished(target);
        }
        self.metrics.succeeded(latency, counted);
        self.clients.release(req);
    }
}
