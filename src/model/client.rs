//! Clients: open-loop arrivals, attempts with a timeout, retries, outcomes.
//!
//! A request's work (its service demand) is drawn once at arrival from the
//! workload's own stream, so the same request needs the same work whatever
//! design serves it (common random numbers across designs).

use std::collections::VecDeque;

use rand::Rng;

use super::arrivals::Arrivals;
use super::dist::Sampler;
use super::invariants::Flow;
use super::retry::{Breaker, Budget, jittered};

use super::{Event, Sim};
use crate::engine::{SimTime, Stream, stream};
use crate::metrics::DropReason;
use crate::scenario::{Backoff, Jitter, Scenario, Sessions};

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
    /// Issued after warm-up: its outcome counts.
    pub(crate) counted: bool,
    /// The user it belongs to (sticky and external sessions).
    pub(crate) user: u32,
    /// Database queries it makes: writes and reads.
    pub(crate) writes: u16,
    pub(crate) reads: u16,
    /// The circuit breaker's epoch when the live attempt was admitted.
    breaker_epoch: u32,
}

/// The client population and its requests in flight.
pub(crate) struct Clients {
    slab: Vec<Request>,
    free: Vec<u32>,
    arrivals: Arrivals,
    service_rng: Stream,
    pub(crate) dns_rng: Stream,
    /// Which user sends each request, and its query mix.
    user_rng: Stream,
    mix_rng: Stream,
    /// Whether each read hits the cache.
    pub(crate) cache_rng: Stream,
    /// Jitter of retry waits.
    jitter_rng: Stream,
    budget: Option<Budget>,
    pub(crate) breaker: Option<Breaker>,
    users: u32,
    /// Database queries per request (0 without a database).
    queries: u32,
    write_fraction: f64,
    demand: Sampler,
    /// Requests in the system over time, for Little's law.
    pub(crate) flow: Flow,
    /// Every attempt's timeout, in deadline order (the timeout is the same
    /// for all). Only the first live one is an event in the scheduler:
    /// most attempts end before their timeout, and their timeouts are
    /// dropped here without ever being events.
    timeouts: VecDeque<PendingTimeout>,
    /// Whether the front timeout is scheduled.
    timeout_armed: bool,
}

/// An attempt's timeout: when, and the sequence number it took when the
/// attempt started, so it fires in the same order among equal times as an
/// event scheduled then would.
#[derive(Debug, Clone, Copy)]
struct PendingTimeout {
    at: SimTime,
    seq: u64,
    req: u32,
    attempt: u32,
}

/// The requests still in flight at the end of a run.
#[derive(Debug, Default)]
pub(crate) struct InFlight {
    pub all: u64,
    /// Of those, the ones issued after warm-up.
    pub counted: u64,
    /// Their summed age, and the oldest one's.
    pub age: u128,
    pub oldest: Option<SimTime>,
}

/// Whether `attempt` is the live attempt of request `req` in `slab`.
#[inline]
fn live(slab: &[Request], req: u32, attempt: u32) -> bool {
    let r = &slab[req as usize];
    r.in_use && r.attempt_live && r.attempt == attempt
}

impl Clients {
    pub(crate) fn new(s: &Scenario) -> Clients {
        Clients {
            slab: Vec::new(),
            free: Vec::new(),
            arrivals: Arrivals::new(&s.workload, s.seed, s.duration),
            service_rng: stream(s.seed, "workload.service"),
            dns_rng: stream(s.seed, "clients.dns"),
            user_rng: stream(s.seed, "workload.users"),
            mix_rng: stream(s.seed, "workload.queries"),
            cache_rng: stream(s.seed, "cache.hits"),
            jitter_rng: stream(s.seed, "workload.jitter"),
            budget: s.workload.retry_budget.as_ref().map(Budget::new),
            breaker: s.workload.circuit_breaker.as_ref().map(Breaker::new),
            users: match s.app.sessions {
                Sessions::Jwt => 0,
                Sessions::Sticky | Sessions::External => s.workload.users,
            },
            queries: if s.database.is_some() {
                s.workload.queries
            } else {
                0
            },
            write_fraction: s.workload.write_fraction,
            demand: Sampler::new(s.app.service_time),
            flow: Flow::default(),
            timeouts: VecDeque::new(),
            timeout_armed: false,
        }
    }

    /// Whether `attempt` is the live attempt of request `req`.
    #[inline]
    pub(crate) fn is_live(&self, req: u32, attempt: u32) -> bool {
        live(&self.slab, req, attempt)
    }

    #[inline]
    pub(crate) fn get(&self, req: u32) -> &Request {
        &self.slab[req as usize]
    }

    fn alloc(&mut self, r: Request) -> u32 {
        self.flow.enter(r.issued);
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

    fn release(&mut self, req: u32, now: SimTime) {
        let r = &mut self.slab[req as usize];
        self.flow.leave(now);
        r.in_use = false;
        self.free.push(req);
    }

    /// Drops the timeouts of ended attempts once they outnumber the
    /// requests in flight (plus slack): otherwise a timeout longer than the
    /// run would keep every attempt's. The scheduled front stays, and the
    /// rest keep their order, so nothing fires differently. Amortised O(1):
    /// at most one live timeout per request in flight survives.
    fn compact_timeouts(&mut self) {
        if self.timeouts.len() <= 2 * self.flow.live() as usize + 1024 {
            return;
        }
        let slab = &self.slab;
        let mut keep_front = self.timeout_armed;
        self.timeouts.retain(|t| {
            let keep = keep_front || live(slab, t.req, t.attempt);
            keep_front = false;
            keep
        });
    }

    /// The requests still in flight at `now`, in one pass over the table.
    pub(crate) fn in_flight(&self, now: SimTime) -> InFlight {
        let mut f = InFlight::default();
        for r in self.slab.iter().filter(|r| r.in_use) {
            let age = now - r.issued;
            f.all += 1;
            f.counted += u64::from(r.counted);
            f.age += u128::from(age);
            f.oldest = f.oldest.max(Some(age));
        }
        f
    }
}

impl Sim<'_> {
    pub(super) fn start_clients(&mut self) {
        self.schedule_arrival();
    }

    fn schedule_arrival(&mut self) {
        if let Some(t) = self.clients.arrivals.next(self.now()) {
            self.sched.at_on(self.lanes.arrival, t, Event::Arrival);
        }
    }

    pub(super) fn on_arrival(&mut self) {
        self.schedule_arrival();
        let now = self.now();
        let counted = now >= self.s.warmup;
        let demand = self.clients.demand.sample(&mut self.clients.service_rng);
        let c = &mut self.clients;
        let user = if c.users > 0 {
            c.user_rng.random_range(0..c.users)
        } else {
            0
        };
        let mut writes = 0;
        for _ in 0..c.queries {
            writes += u16::from(c.mix_rng.random_bool(c.write_fraction));
        }
        let reads = c.queries as u16 - writes;
        let req = self.clients.alloc(Request {
            issued: now,
            demand,
            attempt: 0,
            attempt_live: false,
            in_use: true,
            attempts: 0,
            target: NO_TARGET,
            counted,
            user,
            writes,
            reads,
            breaker_epoch: 0,
        });
        self.metrics.issued(counted);
        self.start_attempt(req);
    }

    /// Sends a new attempt of `req` through DNS, an LB node and its routing.
    pub(super) fn start_attempt(&mut self, req: u32) {
        if let Some(b) = self.clients.breaker.as_mut() {
            let now = self.sched.now();
            let r = &mut self.clients.slab[req as usize];
            if !b.admit(now) {
                // Failed at once and not retried: the breaker would refuse
                // the retry too, and it exists to shed this load.
                self.metrics
                    .dropped(DropReason::CircuitOpen, r.counted, now - r.issued);
                self.clients.release(req, now);
                return;
            }
            r.breaker_epoch = b.epoch();
        }
        let w = &self.s.workload;
        let (attempt, counted, first) = {
            let r = &mut self.clients.slab[req as usize];
            r.attempt = r.attempt.wrapping_add(1);
            r.attempt_live = true;
            r.attempts += 1;
            r.target = NO_TARGET;
            (r.attempt, r.counted, r.attempts == 1)
        };
        self.metrics.attempt(counted, !first);
        if first && let Some(b) = self.clients.budget.as_mut() {
            b.first_attempt(self.sched.now());
        }
        let now = self.now();
        let seq = self.sched.reserve_seq();
        self.clients.timeouts.push_back(PendingTimeout {
            at: now.saturating_add(w.timeout),
            seq,
            req,
            attempt,
        });
        self.clients.compact_timeouts();
        self.arm_timeout();
        // Without `dns:` every client resolves to the first region.
        let region = self.route53.as_mut().map_or(0, |r| r.region(now));
        let Some((node, penalty)) =
            self.lb
                .pick_node(region, now, w.connect_timeout, &mut self.clients.dns_rng)
        else {
            self.fail_later(req, attempt, w.connect_timeout, DropReason::LbUnreachable);
            return;
        };
        // A sticky session's cookie pins the user to its instance while the
        // LB may still route there. Without cross-zone routing only that
        // AZ's node can: a pinned user keeps it, as a client keeps its
        // cached DNS answer.
        let pin = self.sessions.pinned(self.clients.slab[req as usize].user);
        let node = match pin {
            Some(t) if !self.s.load_balancer.cross_zone => self.lb.home_node(t).unwrap_or(node),
            _ => node,
        };
        // The hop to the node's region, and back: `region_latency` each way.
        let latency = self
            .s
            .network
            .latency
            .saturating_add(self.region_latency[node]);
        let pinned = pin.and_then(|t| self.lb.route_to(node, t));
        match pinned.ok_or(()).or_else(|()| self.lb.route(node)) {
            Err(reason) => self.fail_later(
                req,
                attempt,
                penalty.saturating_add(latency.saturating_mul(2)),
                reason,
            ),
            Ok(target) => {
                self.clients.slab[req as usize].target = target;
                let ev = Event::AtInstance {
                    inst: target,
                    req,
                    attempt,
                };
                if penalty == 0 && latency == self.s.network.latency {
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

    /// The front timeout fired: the attempt fails if it is still live.
    pub(super) fn on_timeout(&mut self, req: u32, attempt: u32) {
        let t = self.clients.timeouts.pop_front();
        debug_assert!(t.is_some_and(|t| (t.req, t.attempt) == (req, attempt)));
        self.clients.timeout_armed = false;
        if self.clients.is_live(req, attempt) {
            self.fail_attempt(req, DropReason::Timeout);
        }
        self.arm_timeout();
    }

    /// Schedules the first timeout whose attempt is still live, unless one
    /// is scheduled. An attempt that ended never becomes live again, so its
    /// timeout would have done nothing: it is dropped without an event.
    fn arm_timeout(&mut self) {
        let c = &mut self.clients;
        if c.timeout_armed {
            return;
        }
        while let Some(&t) = c.timeouts.front() {
            if c.is_live(t.req, t.attempt) {
                let ev = Event::Timeout {
                    req: t.req,
                    attempt: t.attempt,
                };
                self.sched.at_seq_on(self.lanes.timeout, t.at, t.seq, ev);
                c.timeout_armed = true;
                return;
            }
            c.timeouts.pop_front();
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
            self.attempt_left(target);
        }
        // A lost session is the service answering properly, not failing.
        self.breaker_outcome(req, reason == DropReason::SessionLost);
        // A lost session is a logged-out user, not a glitch to retry.
        if attempts <= self.s.workload.retries && reason != DropReason::SessionLost {
            let now = self.now();
            if self
                .clients
                .budget
                .as_mut()
                .is_none_or(|b| b.try_retry(now))
            {
                self.schedule_retry(req, attempts);
                return;
            }
            self.metrics.retry_refused(counted);
        }
        let now = self.now();
        let age = now - self.clients.slab[req as usize].issued;
        self.metrics.dropped(reason, counted, age);
        self.clients.release(req, now);
    }

    /// Reports the outcome of `req`'s attempt to the circuit breaker.
    fn breaker_outcome(&mut self, req: u32, ok: bool) {
        if let Some(b) = self.clients.breaker.as_mut() {
            let epoch = self.clients.slab[req as usize].breaker_epoch;
            b.record(self.sched.now(), epoch, ok);
        }
    }

    /// Schedules retry `n` (1 for the first) of `req` after its backoff.
    fn schedule_retry(&mut self, req: u32, n: u32) {
        let w = &self.s.workload;
        if let (Backoff::Constant, Jitter::None) = (w.backoff, w.jitter) {
            // Always the same delay: the FIFO lane keeps it cheap.
            self.sched
                .after_on(self.lanes.backoff, w.retry_backoff, Event::Retry { req });
        } else {
            let wait = jittered(w.backoff_wait(n), w.jitter, &mut self.clients.jitter_rng);
            self.sched.after(wait, Event::Retry { req });
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
            self.attempt_left(target);
        }
        self.breaker_outcome(req, true);
        self.metrics.succeeded(latency, counted);
        self.clients.release(req, now);
    }
}
