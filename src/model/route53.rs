//! Route 53 failover routing between two regions (`dns:`): a health check
//! probes the primary region every `interval`; after `failure_threshold`
//! failed probes in a row DNS answers with the secondary region, and after
//! as many passing ones with the primary again (Route 53 Developer Guide:
//! the threshold counts consecutive checks "to change the current status"
//! either way). The secondary has no health check: Route 53 then always
//! considers it healthy.
//!
//! A probe passes when some load-balancer node of the primary region is up
//! with a healthy target, as an alias record with "evaluate target health"
//! sees it. Route 53 aggregates about 15 checkers that probe out of phase
//! (healthy if over 18% agree); the model uses one checker probing at every
//! multiple of `interval`, so detection takes between
//! (threshold - 1) x interval (a fault at a probe instant is seen by that
//! probe) and threshold x interval (a fault just after a probe).
//!
//! Clients cache an answer for `ttl`: after a change, each attempt uses the
//! new answer with probability (now - change) / ttl, the same uniform
//! expiry over one TTL as the load balancer's node DNS. A change while the
//! previous one is still spreading starts a new spread from the answer
//! before it (a simplification for flapping checks).

use rand::Rng;

use super::{Event, Sim, trace::TraceEvent};
use crate::engine::{SimTime, Stream, stream};
use crate::scenario::{Dns, Scenario};

/// One change of Route 53's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsChange {
    pub at: SimTime,
    /// Region indices.
    pub from: usize,
    pub to: usize,
    /// One TTL later, when every cached answer had expired (`None` if the
    /// run ended first or the answer changed again).
    pub settled: Option<SimTime>,
}

/// What Route 53 answers and what clients hold in their caches.
pub(crate) struct Route53 {
    /// The region DNS answers with now.
    answer: usize,
    /// The region it answered with before the last change.
    previous: usize,
    /// When the answer last changed.
    changed_at: Option<SimTime>,
    ttl: SimTime,
    /// The primary's health check status, and its runs of results.
    healthy: bool,
    ok_run: u32,
    fail_run: u32,
    /// Bumped at each change: a stale "clients moved" event is void.
    pub epoch: u32,
    /// Which answer each attempt's client still holds.
    rng: Stream,
    pub changes: Vec<DnsChange>,
}

impl Route53 {
    pub(crate) fn new(s: &Scenario, d: &Dns) -> Route53 {
        Route53 {
            answer: d.primary,
            previous: d.primary,
            changed_at: None,
            ttl: d.ttl,
            healthy: true,
            ok_run: 0,
            fail_run: 0,
            epoch: 0,
            rng: stream(s.seed, "route53.answers"),
            changes: Vec::new(),
        }
    }

    /// The region a client starting an attempt at `now` resolves to.
    pub(crate) fn region(&mut self, now: SimTime) -> usize {
        match self.changed_at {
            Some(at) if now - at < self.ttl => {
                let moved = (now - at) as f64 / self.ttl as f64;
                if self.rng.random::<f64>() < moved {
                    self.answer
                } else {
                    self.previous
                }
            }
            _ => self.answer,
        }
    }

    fn change(&mut self, now: SimTime, to: usize) {
        self.changes.push(DnsChange {
            at: now,
            from: self.answer,
            to,
            settled: None,
        });
        self.previous = self.answer;
        self.answer = to;
        self.changed_at = Some(now);
        self.epoch = self.epoch.wrapping_add(1);
    }
}

impl Sim<'_> {
    /// The first probe, one interval into the run.
    pub(super) fn start_route53(&mut self) {
        let s = self.s;
        if let Some(d) = &s.dns {
            self.sched.at(d.interval, Event::Route53Check);
        }
    }

    pub(super) fn on_route53_check(&mut self) {
        let s = self.s;
        let d = s.dns.as_ref().expect("scheduled only with dns");
        self.sched.after(d.interval, Event::Route53Check);
        let ok = self.lb.region_serves(d.primary);
        let now = self.now();
        let name = |r: usize| s.regions[r].name.clone();
        let r = self.route53.as_mut().expect("dns has its state");
        let flip = if ok {
            r.ok_run += 1;
            r.fail_run = 0;
            !r.healthy && r.ok_run >= d.failure_threshold
        } else {
            r.fail_run += 1;
            r.ok_run = 0;
            if r.fail_run == 1 && r.healthy {
                self.trace.emit(now, || TraceEvent::Route53CheckFailed {
                    region: name(d.primary),
                    threshold: d.failure_threshold,
                });
            }
            r.healthy && r.fail_run >= d.failure_threshold
        };
        if !flip {
            return;
        }
        r.healthy = ok;
        let to = if ok { d.primary } else { d.secondary };
        let from = r.answer;
        r.change(now, to);
        let epoch = r.epoch;
        self.trace.emit(now, || TraceEvent::Route53Health {
            region: name(d.primary),
            healthy: ok,
        });
        self.trace.emit(now, || TraceEvent::DnsFailover {
            from: name(from),
            to: name(to),
        });
        self.sched.after(d.ttl, Event::DnsSettled { epoch });
    }

    /// One TTL after a change: every cached answer has expired.
    pub(super) fn on_dns_settled(&mut self, epoch: u32) {
        let r = self.route53.as_mut().expect("dns has its state");
        if r.epoch != epoch {
            return;
        }
        let now = self.sched.now();
        if let Some(c) = r.changes.last_mut() {
            c.settled = Some(now);
        }
        let region = self.s.regions[r.answer].name.clone();
        self.trace.emit(now, || TraceEvent::DnsSettled { region });
    }
}
