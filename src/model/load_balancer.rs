//! The load balancer: one node per AZ reached through DNS, a target per
//! instance with ALB-style health checks, routing, fail-open, and connection
//! draining (deregistration delay) for targets taken out of service.
//!
//! Standby AZs (`load_balancer.standby_azs`) make the app tier
//! active-passive: a node routes to its healthy targets in the active AZs
//! and, only when it has none, to its healthy targets in the standby AZs,
//! like Route 53 failover routing in front of a warm standby. The LB also
//! keeps the standby's cost: its registered instances integrated over time,
//! and the part of that when no node routed to them (paid for and idle).
//!
//! A cold standby (`standby_mode: cold`) waits stopped: its targets are not
//! registered and cost nothing. The first time a node that is up has no
//! healthy target in an active AZ (when a warm standby would take traffic)
//! the failover is triggered; `standby_start_delay` later the automation
//! starts the instances, which boot, are registered once running, and take
//! traffic after `healthy_threshold` passing checks. They stay running:
//! failback is manual.
//!
//! Without health checks (`health_check: none`) every registered target is
//! in service from its registration on, whatever its state.

use rand::Rng;

use super::instance::Status;
use super::topology::Topology;
use super::{Event, Sim, trace::TraceEvent};
use crate::engine::{SimTime, Stream, stream};
use crate::metrics::DropReason;
use crate::scenario::{Algorithm, Scenario, StandbyMode};

/// The LB's verdict on a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Newly registered: not routed to until it passes the healthy threshold.
    Initial,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Health::Initial => "initial",
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
        }
    }
}

#[derive(Debug, Clone)]
struct Target {
    az: usize,
    /// In the target group (deregistered targets get no checks, no traffic).
    registered: bool,
    /// Bumped at each registration: checks of an earlier one are void.
    reg: u32,
    health: Health,
    ok_run: u32,
    fail_run: u32,
    /// Attempts routed here and not finished (for least_outstanding).
    outstanding: u32,
    /// Bumped at each health change; stale drain timers compare it.
    health_epoch: u32,
}

#[derive(Debug, Clone)]
struct Node {
    az: usize,
    /// Active power-off faults of the node's AZ.
    down: u16,
    /// Targets this node may route to (from the topology), ascending.
    targets: Vec<u32>,
    /// What the node routes to, ascending: its healthy targets in active
    /// AZs or, with none, its healthy targets in standby AZs.
    healthy: Vec<u32>,
    cursor: usize,
    /// When DNS stopped returning this node; clients' caches then expire
    /// uniformly over one TTL.
    dns_removed_at: Option<SimTime>,
}

/// The targets a node may route to: its healthy ones or, with none and
/// fail-open (ALB), all of them; `None` means 503.
fn routable<'a>(healthy: &'a [u32], targets: &'a [u32], fail_open: bool) -> Option<&'a [u32]> {
    if !healthy.is_empty() {
        Some(healthy)
    } else if fail_open {
        Some(targets)
    } else {
        None
    }
}

/// The standby's time integrals, in instance-nanoseconds, kept exact in
/// integers. `registered` and `in_use` hold since `since`: they change only
/// in [`LoadBalancer::refresh_standby`], after [`LoadBalancer::account`]
/// closed the interval.
#[derive(Debug, Clone, Default)]
struct StandbyAccount {
    since: SimTime,
    /// Registered targets in standby AZs.
    registered: u64,
    /// Some node that is up routes to a standby target.
    in_use: bool,
    registered_area: u128,
    idle_area: u128,
}

/// Where a cold standby is in its one-way start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColdPhase {
    /// Stopped: unregistered, unpaid.
    Stopped,
    /// A node lost its last active healthy target; the start call comes
    /// after the start delay.
    Triggered,
    /// Started at `at`: paid from then on, registered as each is running.
    Started { at: SimTime },
}

/// A cold standby's state: its instances (slots) and its phase.
#[derive(Debug, Clone)]
pub(crate) struct Cold {
    pub start_delay: SimTime,
    pub phase: ColdPhase,
    pub slots: Vec<u32>,
}

/// Load balancer state.
pub(crate) struct LoadBalancer {
    nodes: Vec<Node>,
    targets: Vec<Target>,
    cross_zone: bool,
    /// Per AZ: a warm standby, routed to only when the active AZs fail.
    standby: Vec<bool>,
    /// Some AZ is a standby (else every standby step is skipped).
    has_standby: bool,
    /// A cold standby, if `standby_mode: cold`.
    pub cold: Option<Cold>,
    account: StandbyAccount,
    /// Attempts routed to a target since the group last read it.
    pub routed: u64,
    /// Phase of each target's first health check.
    phase_rng: Stream,
    algorithm: Algorithm,
    fail_open: bool,
    /// Load shedding: most attempts in flight per target.
    max_outstanding: u32,
    dns_ttl: SimTime,
    routing_rng: Stream,
    /// Scratch buffer for weighted node choice, reused to avoid allocation.
    weights: Vec<f64>,
    /// Region of each AZ (= node), and the nodes of each region ascending:
    /// a node routes only to targets of its region.
    region_of: Vec<usize>,
    region_nodes: Vec<Vec<usize>>,
}

impl LoadBalancer {
    pub(crate) fn new(s: &Scenario, topo: &Topology) -> LoadBalancer {
        let cold_az = |az: usize| {
            matches!(s.load_balancer.standby_mode, StandbyMode::Cold { .. })
                && s.load_balancer.standby_azs.contains(&az)
        };
        let targets: Vec<Target> = s
            .initial_azs()
            .into_iter()
            .map(|az| Target {
                az,
                // A cold standby's stopped instances are not in the group.
                registered: !cold_az(az),
                reg: 0,
                // The initial fleet starts in service.
                health: Health::Healthy,
                ok_run: 0,
                fail_run: 0,
                outstanding: 0,
                health_epoch: 0,
            })
            .collect();
        let targets_reg: Vec<bool> = targets.iter().map(|t| t.registered).collect();
        let nodes = (0..s.azs.len())
            .map(|az| {
                let mut targets = topo.targets_of(az);
                targets.retain(|&t| targets_reg[t as usize]);
                Node {
                    az,
                    down: 0,
                    healthy: targets.clone(),
                    targets,
                    cursor: 0,
                    dns_removed_at: None,
                }
            })
            .collect();
        let mut standby = vec![false; s.azs.len()];
        for &az in &s.load_balancer.standby_azs {
            standby[az] = true;
        }
        let cold = match s.load_balancer.standby_mode {
            StandbyMode::Warm => None,
            StandbyMode::Cold { start_delay } => Some(Cold {
                start_delay,
                phase: ColdPhase::Stopped,
                slots: (0..targets.len() as u32)
                    .filter(|&t| !targets[t as usize].registered)
                    .collect(),
            }),
        };
        let mut lb = LoadBalancer {
            nodes,
            targets,
            cross_zone: s.load_balancer.cross_zone,
            has_standby: standby.contains(&true),
            standby,
            cold,
            account: StandbyAccount::default(),
            routed: 0,
            phase_rng: stream(s.seed, "lb.health_phase"),
            algorithm: s.load_balancer.algorithm,
            max_outstanding: s.load_balancer.max_outstanding.unwrap_or(u32::MAX),
            fail_open: s.load_balancer.fail_open,
            dns_ttl: s.load_balancer.dns_ttl,
            routing_rng: stream(s.seed, "lb.routing"),
            weights: Vec::with_capacity(s.azs.len()),
            region_of: s.region_of_az(),
            region_nodes: s.region_azs(),
        };
        if lb.has_standby {
            // The initial fleet is healthy: nodes keep to the active AZs.
            lb.rebuild_healthy();
            lb.refresh_standby();
        }
        lb.refresh_dns(0);
        lb
    }

    /// Adds the standby's cost from the last change up to `now`. Called
    /// before every change of registrations, target health or node power,
    /// and at the end of the run.
    pub(crate) fn account(&mut self, now: SimTime) {
        if !self.has_standby {
            return;
        }
        let a = &mut self.account;
        let area = u128::from(a.registered) * u128::from(now.saturating_sub(a.since));
        a.registered_area += area;
        if !a.in_use {
            a.idle_area += area;
        }
        a.since = now;
    }

    /// Re-reads what the standby costs and whether it takes traffic, after
    /// a change ([`LoadBalancer::account`] came first); returns the new
    /// `in_use` when it flipped.
    pub(crate) fn refresh_standby(&mut self) -> Option<bool> {
        if !self.has_standby {
            return None;
        }
        let standby = &self.standby;
        let targets = &self.targets;
        let is_standby = |t: u32| standby[targets[t as usize].az];
        self.account.registered = match &self.cold {
            // Paid from the start call on, booting included; nothing before.
            Some(c) => match c.phase {
                ColdPhase::Started { .. } => c.slots.len() as u64,
                ColdPhase::Stopped | ColdPhase::Triggered => 0,
            },
            None => targets
                .iter()
                .filter(|t| t.registered && standby[t.az])
                .count() as u64,
        };
        // A node's healthy set is all active or all standby; failing open,
        // it routes to all its targets, standby ones included.
        let in_use = self.nodes.iter().any(|n| {
            n.down == 0
                && match n.healthy.first() {
                    Some(&t) => is_standby(t),
                    None => self.fail_open && n.targets.iter().any(|&t| is_standby(t)),
                }
        });
        let flipped = in_use != self.account.in_use;
        self.account.in_use = in_use;
        flipped.then_some(in_use)
    }

    /// A stopped cold standby whose failover is due now: a node that is up
    /// has no healthy target in an active AZ (a warm standby would take
    /// traffic). Moves it to `Triggered` and returns its start delay.
    pub(crate) fn cold_trigger(&mut self) -> Option<SimTime> {
        let cold = self.cold.as_mut()?;
        if cold.phase != ColdPhase::Stopped {
            return None;
        }
        // Stopped standby targets are in no node's lists: `healthy` holds
        // only active ones.
        let due = self
            .nodes
            .iter()
            .any(|n| n.down == 0 && n.healthy.is_empty());
        due.then(|| {
            cold.phase = ColdPhase::Triggered;
            cold.start_delay
        })
    }

    /// Instance-ns the cold standby's instances spent stopped up to `end`
    /// (0 without a cold standby).
    pub(crate) fn stopped_standby_ns(&self, end: SimTime) -> u128 {
        self.cold.as_ref().map_or(0, |c| {
            let until = match c.phase {
                ColdPhase::Started { at } => at.min(end),
                ColdPhase::Stopped | ColdPhase::Triggered => end,
            };
            c.slots.len() as u128 * u128::from(until)
        })
    }

    /// Some node that is up routes to the standby.
    pub(crate) fn standby_in_use(&self) -> bool {
        self.account.in_use
    }

    /// Instance-ns of registered standby targets so far, and the idle part
    /// (up to the last [`LoadBalancer::account`]).
    pub(crate) fn standby_areas(&self) -> (u128, u128) {
        (self.account.registered_area, self.account.idle_area)
    }

    /// Healthy targets per AZ.
    pub(crate) fn healthy_per_az(&self) -> Vec<u32> {
        let mut out = vec![0; self.nodes.len()];
        for t in &self.targets {
            if t.registered && t.health == Health::Healthy {
                out[t.az] += 1;
            }
        }
        out
    }

    pub(crate) fn health(&self, target: u32) -> Health {
        self.targets[target as usize].health
    }

    /// Healthy and registered: the LB sends it traffic.
    pub(crate) fn serving(&self, target: u32) -> bool {
        let t = &self.targets[target as usize];
        t.registered && t.health == Health::Healthy
    }

    /// Registers `target` (an instance in `az`) as a new target: health
    /// checks start, traffic waits for the healthy threshold. Returns the
    /// registration's generation.
    pub(crate) fn register(&mut self, target: u32, az: usize) -> u32 {
        let idx = target as usize;
        if idx >= self.targets.len() {
            self.targets.resize(
                idx + 1,
                Target {
                    az,
                    registered: false,
                    reg: 0,
                    health: Health::Initial,
                    ok_run: 0,
                    fail_run: 0,
                    outstanding: 0,
                    health_epoch: 0,
                },
            );
        }
        let t = &mut self.targets[idx];
        t.az = az;
        t.registered = true;
        t.reg = t.reg.wrapping_add(1);
        t.health = Health::Initial;
        t.ok_run = 0;
        t.fail_run = 0;
        // A new instance: attempts of the slot's old one no longer count.
        t.outstanding = 0;
        t.health_epoch = t.health_epoch.wrapping_add(1);
        let reg = t.reg;
        for node in &mut self.nodes {
            if (self.cross_zone || node.az == az) && self.region_of[node.az] == self.region_of[az] {
                let pos = node.targets.partition_point(|&x| x < target);
                node.targets.insert(pos, target);
            }
        }
        reg
    }

    /// Takes `target` out of the target group: no new traffic, no checks.
    pub(crate) fn deregister(&mut self, target: u32) {
        let t = &mut self.targets[target as usize];
        if !t.registered {
            return;
        }
        t.registered = false;
        t.reg = t.reg.wrapping_add(1);
        t.health_epoch = t.health_epoch.wrapping_add(1);
        for node in &mut self.nodes {
            node.targets.retain(|&x| x != target);
        }
        self.rebuild_healthy();
    }

    /// Whether `target` is in the target group.
    pub(crate) fn registered(&self, target: u32) -> bool {
        self.targets
            .get(target as usize)
            .is_some_and(|t| t.registered)
    }

    /// The current registration generation of `target`.
    pub(crate) fn reg_of(&self, target: u32) -> u32 {
        self.targets[target as usize].reg
    }

    /// Uniform phase of a new target's first check within one interval.
    pub(crate) fn first_check(&mut self, interval: SimTime) -> SimTime {
        self.phase_rng.random_range(0..interval)
    }

    /// Attempts routed to `target` that have not ended.
    pub(crate) fn outstanding(&self, target: u32) -> u32 {
        self.targets[target as usize].outstanding
    }

    /// An attempt routed to `target` ended.
    #[inline]
    pub(crate) fn finished(&mut self, target: u32) {
        let t = &mut self.targets[target as usize];
        t.outstanding = t.outstanding.saturating_sub(1);
    }

    /// The node of `region` (the region the client's DNS answer names) a
    /// client's attempt reaches, and the connect-timeout penalty it paid on
    /// a dead node on the way; `None` if no node of the region is up.
    pub(crate) fn pick_node(
        &mut self,
        region: usize,
        now: SimTime,
        connect_timeout: SimTime,
        rng: &mut Stream,
    ) -> Option<(usize, SimTime)> {
        // Taken out and put back: no allocation, and `self` stays usable.
        let nodes = std::mem::take(&mut self.region_nodes[region]);
        let picked = self.pick_among(&nodes, now, connect_timeout, rng);
        self.region_nodes[region] = nodes;
        picked
    }

    /// [`LoadBalancer::pick_node`] among `ids`. With one region `ids` is
    /// every node in order, so the draws are those of a single-region run.
    fn pick_among(
        &mut self,
        ids: &[usize],
        now: SimTime,
        connect_timeout: SimTime,
        rng: &mut Stream,
    ) -> Option<(usize, SimTime)> {
        let n = ids.len();
        let chosen = if n == 1 {
            ids[0]
        } else if ids.iter().all(|&i| self.nodes[i].dns_removed_at.is_none()) {
            ids[rng.random_range(0..n)]
        } else {
            ids[self.weighted_node(ids, now, rng)]
        };
        if self.nodes[chosen].down == 0 {
            return Some((chosen, 0));
        }
        // A dead node: the client's connect times out and it tries another
        // address from its DNS answer.
        let up = ids.iter().filter(|&&i| self.nodes[i].down == 0).count();
        if up == 0 {
            return None;
        }
        let k = rng.random_range(0..up);
        let idx = ids
            .iter()
            .copied()
            .filter(|&i| self.nodes[i].down == 0)
            .nth(k)
            .expect("k < up");
        Some((idx, connect_timeout))
    }

    /// Whether Route 53's health check of `region` passes: some node of it
    /// is up with a healthy target (an alias record that evaluates the
    /// load balancer's target health).
    pub(crate) fn region_serves(&self, region: usize) -> bool {
        self.region_nodes[region]
            .iter()
            .any(|&i| self.nodes[i].down == 0 && !self.nodes[i].healthy.is_empty())
    }

    /// Position in `ids` of a node drawn by DNS weight.
    fn weighted_node(&mut self, ids: &[usize], now: SimTime, rng: &mut Stream) -> usize {
        let ttl = self.dns_ttl as f64;
        let all_removed = ids.iter().all(|&i| self.nodes[i].dns_removed_at.is_some());
        self.weights.clear();
        for node in ids.iter().map(|&i| &self.nodes[i]) {
            let w = match node.dns_removed_at {
                // With every node out of DNS, Route 53 answers with all of them.
                _ if all_removed => 1.0,
                None => 1.0,
                Some(at) if ttl > 0.0 => (1.0 - (now - at) as f64 / ttl).max(0.0),
                Some(_) => 0.0,
            };
            self.weights.push(w);
        }
        let total: f64 = self.weights.iter().sum();
        let mut u = rng.random::<f64>() * total;
        for (i, w) in self.weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        // Rounding left u at the top: the last node with weight.
        self.weights
            .iter()
            .rposition(|w| *w > 0.0)
            .expect("some node has weight")
    }

    /// The target node `node` sends an attempt to, or why it answers 503.
    pub(crate) fn route(&mut self, node: usize) -> Result<u32, DropReason> {
        let nd = &mut self.nodes[node];
        let set = routable(&nd.healthy, &nd.targets, self.fail_open)
            .ok_or(DropReason::NoHealthyTarget)?;
        let len = set.len();
        if len == 0 {
            return Err(DropReason::NoHealthyTarget);
        }
        let target = match self.algorithm {
            Algorithm::RoundRobin => {
                nd.cursor = (nd.cursor + 1) % len;
                set[nd.cursor]
            }
            Algorithm::Random => set[self.routing_rng.random_range(0..len)],
            Algorithm::LeastOutstanding => {
                // Lowest outstanding count; ties broken by a rotating start
                // so equal targets share the load.
                nd.cursor = (nd.cursor + 1) % len;
                let mut best = set[nd.cursor];
                let mut best_n = self.targets[best as usize].outstanding;
                for k in 1..len {
                    let t = set[(nd.cursor + k) % len];
                    let o = self.targets[t as usize].outstanding;
                    if o < best_n {
                        best = t;
                        best_n = o;
                    }
                }
                best
            }
        };
        let mut target = target;
        if self.targets[target as usize].outstanding >= self.max_outstanding {
            // Shedding: the least loaded target, if any is under the limit.
            let least = *set
                .iter()
                .min_by_key(|&&t| self.targets[t as usize].outstanding)
                .expect("set is not empty");
            if self.targets[least as usize].outstanding >= self.max_outstanding {
                return Err(DropReason::LoadShed);
            }
            target = least;
        }
        self.targets[target as usize].outstanding += 1;
        self.routed += 1;
        Ok(target)
    }

    /// The node in `target`'s AZ, if it is up and in DNS (a node DNS
    /// dropped sends the user elsewhere, which ends the stickiness).
    pub(crate) fn home_node(&self, target: u32) -> Option<usize> {
        let az = self.targets[target as usize].az;
        let nd = &self.nodes[az];
        (nd.down == 0 && nd.dns_removed_at.is_none()).then_some(az)
    }

    /// `target` if node `node` may route to it now (a sticky session's
    /// cookie): healthy and reachable, or any of its targets when it fails
    /// open.
    pub(crate) fn route_to(&mut self, node: usize, target: u32) -> Option<u32> {
        let nd = &self.nodes[node];
        routable(&nd.healthy, &nd.targets, self.fail_open)?
            .binary_search(&target)
            .ok()?;
        if self.targets[target as usize].outstanding >= self.max_outstanding {
            return None;
        }
        self.targets[target as usize].outstanding += 1;
        self.routed += 1;
        Some(target)
    }

    /// Applies DNS failover: a node leaves DNS when it is down or its AZ has
    /// no healthy target (ELB DNS failover threshold 1), and returns when not.
    fn refresh_dns(&mut self, now: SimTime) -> Vec<(usize, bool)> {
        let healthy = self.healthy_per_az();
        let mut changes = Vec::new();
        for node in &mut self.nodes {
            let serve = node.down == 0 && healthy[node.az] > 0;
            match (serve, node.dns_removed_at) {
                (false, None) => {
                    node.dns_removed_at = Some(now);
                    changes.push((node.az, false));
                }
                (true, Some(_)) => {
                    node.dns_removed_at = None;
                    changes.push((node.az, true));
                }
                _ => {}
            }
        }
        changes
    }

    /// Recomputes each node's routing set: healthy targets in active AZs,
    /// else healthy targets in standby AZs. Done here, on health and
    /// registration changes, so `route` stays a lookup.
    fn rebuild_healthy(&mut self) {
        let standby = &self.standby;
        let targets = &self.targets;
        let healthy = |t: u32| targets[t as usize].health == Health::Healthy;
        for node in &mut self.nodes {
            node.healthy.clear();
            for &t in &node.targets {
                if healthy(t) && !standby[targets[t as usize].az] {
                    node.healthy.push(t);
                }
            }
            if node.healthy.is_empty() && self.has_standby {
                for &t in &node.targets {
                    if healthy(t) && standby[targets[t as usize].az] {
                        node.healthy.push(t);
                    }
                }
            }
            if node.cursor >= node.healthy.len().max(1) {
                node.cursor = 0;
            }
        }
    }
}

impl Sim<'_> {
    pub(super) fn start_health_checks(&mut self) {
        let Some(hc) = &self.s.load_balancer.health_check else {
            return; // No checks: every target stays in service.
        };
        let interval = hc.interval;
        for target in 0..self.instances.len() as u32 {
            // Checks of different targets are not synchronised.
            let first = self.lb.first_check(interval);
            // A stopped cold standby is checked once it runs.
            if self.lb.registered(target) {
                self.sched
                    .after(first, Event::HealthCheck { target, reg: 0 });
            }
        }
    }

    /// Closes the standby's cost interval at now: call before a change of
    /// registrations, target health or LB node power.
    pub(super) fn standby_account(&mut self) {
        let now = self.now();
        self.lb.account(now);
    }

    /// After such a change: re-reads the standby's state and traces when it
    /// starts or stops taking traffic.
    pub(super) fn standby_refresh(&mut self) {
        if let Some(in_use) = self.lb.refresh_standby() {
            self.trace_standby(in_use);
        }
        if let Some(delay) = self.lb.cold_trigger() {
            let now = self.now();
            self.sched.after(delay, Event::ColdStandbyStart);
            let s = self.s;
            self.trace.emit(now, || TraceEvent::ColdStandbyTriggered {
                azs: s
                    .load_balancer
                    .standby_azs
                    .iter()
                    .map(|&az| s.azs[az].clone())
                    .collect(),
                start_delay_s: crate::engine::as_secs_f64(delay),
            });
        }
    }

    /// The automation starts the cold standby's instances: each boots
    /// (`app.boot_time`) and is registered once it runs.
    pub(super) fn on_cold_standby_start(&mut self) {
        let now = self.now();
        if self.lb.cold.as_ref().map(|c| c.phase) != Some(ColdPhase::Triggered) {
            return;
        }
        self.standby_account();
        let cold = self.lb.cold.as_mut().expect("checked above");
        cold.phase = ColdPhase::Started { at: now };
        let slots = cold.slots.clone();
        self.standby_refresh();
        self.trace.emit(now, || TraceEvent::ColdStandbyStarting {
            instances: slots
                .iter()
                .map(|&k| self.names[k as usize].clone())
                .collect(),
        });
        for k in slots {
            self.instances[k as usize].stopped = false;
            self.refresh_instance(k);
        }
    }

    /// `inst` runs: if it is a started cold standby not yet in the target
    /// group, it is registered, and checked from one interval later (ALB
    /// checks a new target at its next interval).
    pub(super) fn cold_standby_running(&mut self, inst: u32) {
        let started = self.lb.cold.as_ref().is_some_and(|c| {
            matches!(c.phase, ColdPhase::Started { .. }) && c.slots.contains(&inst)
        });
        if !started || self.lb.registered(inst) {
            return;
        }
        let interval = self
            .s
            .load_balancer
            .health_check
            .as_ref()
            .expect("a standby has health checks (validated)")
            .interval;
        let az = self.instances[inst as usize].az;
        self.standby_account();
        let reg = self.lb.register(inst, az);
        self.standby_refresh();
        self.sched
            .after(interval, Event::HealthCheck { target: inst, reg });
    }

    pub(super) fn trace_standby(&mut self, in_use: bool) {
        let now = self.now();
        let s = self.s;
        let azs = || {
            s.load_balancer
                .standby_azs
                .iter()
                .map(|&az| s.azs[az].clone())
                .collect()
        };
        self.trace.emit(now, || {
            if in_use {
                TraceEvent::StandbyInUse { azs: azs() }
            } else {
                TraceEvent::StandbyIdle { azs: azs() }
            }
        });
    }

    /// Registers a newly launched instance with the target group.
    pub(super) fn lb_register(&mut self, target: u32) {
        let az = self.instances[target as usize].az;
        self.standby_account();
        let reg = self.lb.register(target, az);
        self.standby_refresh();
        let Some(hc) = &self.s.load_balancer.health_check else {
            // No checks: in service at once, booting or not.
            self.set_health(target, Health::Healthy);
            return;
        };
        let first = self.lb.first_check(hc.interval);
        self.sched.after(first, Event::HealthCheck { target, reg });
    }

    /// Deregisters `target`: it leaves routing at once (its in-flight work
    /// goes on until the group terminates it).
    pub(super) fn lb_deregister(&mut self, target: u32) {
        let was_healthy = self.lb.serving(target);
        self.standby_account();
        self.lb.deregister(target);
        self.standby_refresh();
        if was_healthy {
            let now = self.now();
            let az = self.instances[target as usize].az;
            let count = self.lb.healthy_per_az()[az];
            self.metrics.set_healthy(now, az, count);
            self.refresh_dns();
        }
    }

    pub(super) fn on_health_check(&mut self, target: u32, reg: u32) {
        if self.lb.reg_of(target) != reg {
            return; // Deregistered: its checks stop.
        }
        let Some(hc) = &self.s.load_balancer.health_check else {
            return;
        };
        self.sched
            .after(hc.interval, Event::HealthCheck { target, reg });
        let i = &self.instances[target as usize];
        let rtt = self.s.network.latency.saturating_mul(2);
        let (ok, delay) = match i.status {
            Status::Up => {
                let answer = rtt.saturating_add(i.extra_latency);
                if answer < hc.timeout {
                    (true, answer)
                } else {
                    (false, hc.timeout)
                }
            }
            Status::Booting | Status::Crashed => (false, rtt.min(hc.timeout)),
            Status::Hung | Status::Off => (false, hc.timeout),
        };
        self.sched
            .after(delay, Event::HealthResult { target, reg, ok });
    }

    pub(super) fn on_health_result(&mut self, target: u32, reg: u32, ok: bool) {
        if self.lb.reg_of(target) != reg {
            return;
        }
        let Some(hc) = &self.s.load_balancer.health_check else {
            return;
        };
        let t = &mut self.lb.targets[target as usize];
        let new = if ok {
            t.ok_run += 1;
            t.fail_run = 0;
            (t.health != Health::Healthy && t.ok_run >= hc.healthy_threshold)
                .then_some(Health::Healthy)
        } else {
            t.fail_run += 1;
            t.ok_run = 0;
            if t.fail_run == 1 && t.health == Health::Healthy {
                let threshold = hc.unhealthy_threshold;
                self.trace
                    .emit(self.sched.now(), || TraceEvent::HealthCheckFailed {
                        instance: self.names[target as usize].clone(),
                        threshold,
                    });
            }
            let t = &self.lb.targets[target as usize];
            (t.health != Health::Unhealthy && t.fail_run >= hc.unhealthy_threshold)
                .then_some(Health::Unhealthy)
        };
        if let Some(h) = new {
            self.set_health(target, h);
        }
    }

    /// Changes a target's health and everything that follows from it.
    pub(super) fn set_health(&mut self, target: u32, health: Health) {
        let now = self.now();
        if self.lb.targets[target as usize].health == health {
            return;
        }
        self.standby_account();
        let t = &mut self.lb.targets[target as usize];
        t.health = health;
        t.health_epoch = t.health_epoch.wrapping_add(1);
        let (az, health_epoch) = (t.az, t.health_epoch);
        self.lb.rebuild_healthy();
        let count = self.lb.healthy_per_az()[az];
        self.metrics.set_healthy(now, az, count);
        self.trace.emit(now, || TraceEvent::TargetHealth {
            instance: self.names[target as usize].clone(),
            health: health.name(),
        });
        self.standby_refresh();
        match health {
            Health::Initial => {}
            Health::Unhealthy => {
                self.sched.after(
                    self.s.load_balancer.deregistration_delay,
                    Event::DrainExpired {
                        target,
                        health_epoch,
                    },
                );
                self.faults_notice_unhealthy(target);
                self.asg_target_unhealthy(target);
            }
            Health::Healthy => {
                self.faults_notice_healthy(target);
                self.asg_target_healthy(target);
            }
        }
        self.refresh_dns();
    }

    /// Re-evaluates DNS membership of the LB nodes and traces changes.
    pub(super) fn refresh_dns(&mut self) {
        let now = self.now();
        for (az, in_dns) in self.lb.refresh_dns(now) {
            self.trace.emit(now, || TraceEvent::Dns {
                lb_node: self.s.azs[az].clone(),
                in_dns,
            });
        }
    }

    /// Marks the LB node of `az` down (`delta` 1) or back (`delta` -1).
    pub(super) fn lb_node_power(&mut self, az: usize, down: bool) {
        self.standby_account();
        let node = &mut self.lb.nodes[az];
        if down {
            node.down += 1;
        } else {
            node.down -= 1;
        }
        self.standby_refresh();
        self.refresh_dns();
    }

    pub(super) fn on_drain_expired(&mut self, target: u32, health_epoch: u32) {
        let t = &self.lb.targets[target as usize];
        if t.health == Health::Unhealthy && t.health_epoch == health_epoch {
            // Deregistration delay over: the LB closes what is still open.
            self.reset_jobs(target);
        }
    }
}
