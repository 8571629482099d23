//! Injected faults (fixed times from the scenario) and the random failure
//! process of each instance (exponential time to failure and to repair).

use super::dist::UpDown;

use super::database::Db;
use super::instance::{Instance, Life, Status};
use super::kv::KvId;
use super::{Event, Sim, trace::TraceEvent};
use crate::engine::SimTime;
use crate::scenario::{FaultKind, LatencyTarget, Scenario};

/// Per-fault bookkeeping.
#[derive(Debug, Clone)]
struct Active {
    /// Instances (= targets) the fault acts on, with their launch: an
    /// instance the group terminated is not touched again (its slot may
    /// hold a new instance).
    targets: Vec<(u32, u32)>,
    /// Instances serving when the fault started (capacity to get back when
    /// the group replaced some of the targets).
    serving_before: u32,
    /// Database nodes it acts on (role faults pick theirs at the start).
    db_nodes: Vec<usize>,
    /// Store nodes it acts on.
    kv_nodes: Vec<(KvId, usize)>,
    /// The metrics tracker, once started.
    tracker: Option<usize>,
    ended: bool,
}

pub(crate) struct FaultState {
    faults: Vec<Active>,
    /// How long after a fault's start its effect must show in completions
    /// before it is declared masked.
    horizon: SimTime,
    /// Time to failure and time to repair (ns) of the random failure process.
    pub random: Option<UpDown>,
    /// Active power faults per AZ, and the latency they add: what an
    /// instance launched there now starts with.
    pub az_off: Vec<u16>,
    pub az_extra: Vec<SimTime>,
}

impl FaultState {
    pub(crate) fn new(s: &Scenario) -> FaultState {
        let faults = s
            .faults
            .iter()
            .map(|_| Active {
                targets: Vec::new(),
                serving_before: 0,
                db_nodes: Vec::new(),
                kv_nodes: Vec::new(),
                tracker: None,
                ended: false,
            })
            .collect();
        // A request started at the fault has its outcome within its longest
        // lifetime; the window then has to see it.
        let horizon = s
            .metrics
            .window
            .saturating_add(super::max_request_lifetime(s));
        let random = s.app.failures.map(UpDown::new);
        FaultState {
            faults,
            horizon,
            random,
            az_off: vec![0; s.azs.len()],
            az_extra: vec![0; s.azs.len()],
        }
    }

    /// The metrics tracker of each scenario fault, if it started.
    pub(crate) fn trackers(&self) -> Vec<Option<usize>> {
        self.faults.iter().map(|f| f.tracker).collect()
    }
}

impl Sim<'_> {
    pub(super) fn start_faults(&mut self) {
        for (i, f) in self.s.faults.iter().enumerate() {
            if f.at < self.s.duration {
                self.sched.at(f.at, Event::FaultStart { fault: i as u32 });
            }
        }
        if let Some(random) = self.faults.random {
            for inst in 0..self.instances.len() {
                let t = random.next(false, &mut self.failure_rngs[inst]);
                let launch = self.instances[inst].launch;
                self.sched.after(
                    t,
                    Event::RandomFailure {
                        inst: inst as u32,
                        launch,
                    },
                );
            }
        }
    }

    pub(super) fn on_fault_start(&mut self, fault: u32) {
        let now = self.now();
        let f = &self.s.faults[fault as usize];
        let (db_nodes, kv_nodes) = self.data_nodes_hit(f.kind);
        let targets = self.instances_hit(f.kind);
        let serving_before = self.serving_count();
        let active = &mut self.faults.faults[fault as usize];
        active.db_nodes = db_nodes;
        active.kv_nodes = kv_nodes;
        active.targets = targets;
        active.serving_before = serving_before;
        self.apply_fault(fault as usize, true);
        let tracker = self.metrics.fault_started(now, self.faults.horizon);
        self.faults.faults[fault as usize].tracker = Some(tracker);
        self.trace.emit(now, || TraceEvent::FaultStart {
            fault: fault as usize,
            kind: f.kind.name(),
        });
        if let Some(d) = f.duration {
            self.sched.after(d, Event::FaultEnd { fault });
        }
    }

    pub(super) fn on_fault_end(&mut self, fault: u32) {
        let now = self.now();
        let f = &self.s.faults[fault as usize];
        self.apply_fault(fault as usize, false);
        self.faults.faults[fault as usize].ended = true;
        if let Some(id) = self.faults.faults[fault as usize].tracker {
            self.metrics.fault(id).judge_until(now);
        }
        self.trace.emit(now, || TraceEvent::FaultEnd {
            fault: fault as usize,
            kind: f.kind.name(),
        });
        self.check_capacity(fault as usize);
    }

    /// The app instances `kind` hits if it starts now: an instance fault
    /// names an instance of the initial fleet (nothing if the group has
    /// terminated it), an AZ fault every instance in the AZ.
    fn instances_hit(&self, kind: FaultKind) -> Vec<(u32, u32)> {
        let live = |k: usize| self.instances[k].life != Life::Terminated;
        let one = |k: usize| {
            // Instances of the initial fleet have launch number = slot.
            if live(k) && self.instances[k].launch == k as u32 {
                vec![(k as u32, k as u32)]
            } else {
                Vec::new()
            }
        };
        let az = |az: usize| {
            (0..self.instances.len())
                .filter(|&k| live(k) && self.instances[k].az == az)
                .map(|k| (k as u32, self.instances[k].launch))
                .collect()
        };
        match kind {
            FaultKind::InstanceCrash { instance } | FaultKind::InstanceHang { instance } => {
                one(instance)
            }
            FaultKind::AzOutage { .. } | FaultKind::RegionOutage { .. } => {
                self.power_azs(kind).into_iter().flat_map(az).collect()
            }
            FaultKind::Latency { target, .. } => match target {
                LatencyTarget::Az(a) => az(a),
                LatencyTarget::Instance(i) => one(i),
            },
            FaultKind::DbPrimaryFailure
            | FaultKind::DbStandbyFailure
            | FaultKind::CacheFailure
            | FaultKind::SessionStoreFailure => Vec::new(),
        }
    }

    /// The AZs a power fault switches off: the AZ, or every AZ of the region.
    fn power_azs(&self, kind: FaultKind) -> Vec<usize> {
        match kind {
            FaultKind::AzOutage { az } => vec![az],
            FaultKind::RegionOutage { region } => self.s.regions[region].azs.clone(),
            _ => Vec::new(),
        }
    }

    /// Instances serving now: up and healthy in the LB's view.
    pub(super) fn serving_count(&self) -> u32 {
        (0..self.instances.len())
            .filter(|&k| self.lb.serving(k as u32) && self.instances[k].status == Status::Up)
            .count() as u32
    }

    /// The database and store nodes `kind` hits if it starts now.
    fn data_nodes_hit(&self, kind: FaultKind) -> (Vec<usize>, Vec<(KvId, usize)>) {
        let mut db_nodes = Vec::new();
        let mut kv_nodes = Vec::new();
        let stores = [(KvId::Cache, &self.cache), (KvId::Sessions, &self.store)];
        match kind {
            FaultKind::AzOutage { .. } | FaultKind::RegionOutage { .. } => {
                let azs = self.power_azs(kind);
                if let Some(db) = &self.db {
                    db_nodes.extend((0..db.nodes.len()).filter(|&k| azs.contains(&db.nodes[k].az)));
                }
                for (id, kv) in stores {
                    if let Some(kv) = kv {
                        kv_nodes.extend(
                            (0..kv.nodes.len())
                                .filter(|&k| azs.contains(&kv.nodes[k].az))
                                .map(|k| (id, k)),
                        );
                    }
                }
            }
            FaultKind::DbPrimaryFailure => {
                db_nodes.extend(self.db.as_ref().map(|db| db.primary));
            }
            FaultKind::DbStandbyFailure => {
                db_nodes.extend(self.db.as_ref().and_then(Db::first_standby));
            }
            FaultKind::CacheFailure => {
                kv_nodes.extend(self.cache.as_ref().map(|kv| (KvId::Cache, kv.primary)));
            }
            FaultKind::SessionStoreFailure => {
                kv_nodes.extend(self.store.as_ref().map(|kv| (KvId::Sessions, kv.primary)));
            }
            _ => {}
        }
        (db_nodes, kv_nodes)
    }

    /// Starts (`on`) or ends the effect of scenario fault `fault`.
    fn apply_fault(&mut self, fault: usize, on: bool) {
        let kind = self.s.faults[fault].kind;
        let step = |v: &mut u16| {
            if on { *v += 1 } else { *v -= 1 }
        };
        // A dead node's process crashes; a dead AZ's nodes lose power.
        let power = matches!(
            kind,
            FaultKind::AzOutage { .. } | FaultKind::RegionOutage { .. }
        );
        for k in 0..self.faults.faults[fault].db_nodes.len() {
            let node = self.faults.faults[fault].db_nodes[k];
            let nd = &mut self.db.as_mut().expect("db faults need a database").nodes[node];
            step(if power { &mut nd.off } else { &mut nd.crashed });
            self.refresh_db_node(node);
        }
        for k in 0..self.faults.faults[fault].kv_nodes.len() {
            let (id, node) = self.faults.faults[fault].kv_nodes[k];
            let nd = &mut self.kv(id).nodes[node];
            step(if power { &mut nd.off } else { &mut nd.crashed });
            self.refresh_kv_node(id, node);
        }
        // AZ faults also act on instances launched into the AZ meanwhile,
        // so they act on whatever is there at the end.
        let targets = match kind {
            FaultKind::AzOutage { .. } | FaultKind::RegionOutage { .. } if !on => {
                self.instances_hit(kind)
            }
            FaultKind::Latency {
                target: LatencyTarget::Az(az),
                ..
            } if !on => self.instances_hit(FaultKind::AzOutage { az }),
            _ => self.faults.faults[fault].targets.clone(),
        };
        let current = |sim: &Self, (k, launch): (u32, u32)| {
            let i = &sim.instances[k as usize];
            i.launch == launch && i.life != Life::Terminated
        };
        // The instance counter the fault steps, and what it does around it.
        let counter: Option<fn(&mut Instance) -> &mut u16> = match kind {
            FaultKind::InstanceCrash { .. } => Some(|i| &mut i.crashed),
            FaultKind::InstanceHang { .. } => Some(|i| &mut i.hung),
            FaultKind::AzOutage { .. } | FaultKind::RegionOutage { .. } => Some(|i| &mut i.off),
            _ => None,
        };
        let power_azs = self.power_azs(kind);
        for &az in &power_azs {
            step(&mut self.faults.az_off[az]);
        }
        if let Some(counter) = counter {
            for &t in &targets {
                if current(self, t) {
                    step(counter(&mut self.instances[t.0 as usize]));
                    self.refresh_instance(t.0);
                }
            }
        }
        match kind {
            FaultKind::InstanceCrash { .. } | FaultKind::InstanceHang { .. } => {}
            FaultKind::AzOutage { .. } | FaultKind::RegionOutage { .. } => {
                for az in power_azs {
                    self.lb_node_power(az, on);
                }
                if !on {
                    // Launches may go there again; rebalancing follows.
                    self.asg_reconcile();
                }
            }
            FaultKind::Latency { target, extra } => {
                // Saturating: absurd but valid sums must not wrap.
                let apply = |v: SimTime| {
                    if on {
                        v.saturating_add(extra)
                    } else {
                        v.saturating_sub(extra)
                    }
                };
                if let LatencyTarget::Az(az) = target {
                    self.faults.az_extra[az] = apply(self.faults.az_extra[az]);
                }
                for t in targets {
                    if current(self, t) {
                        let i = &mut self.instances[t.0 as usize];
                        i.extra_latency = apply(i.extra_latency);
                    }
                }
            }
            // Applied above through the nodes they hit.
            FaultKind::DbPrimaryFailure
            | FaultKind::DbStandbyFailure
            | FaultKind::CacheFailure
            | FaultKind::SessionStoreFailure => {}
        }
    }

    /// The database noticed its primary `node` failed: the first detection
    /// of the faults that took it down.
    pub(super) fn faults_notice_db(&mut self, node: usize) {
        self.faults_detected(|f| f.db_nodes.contains(&node));
    }

    /// Credits a detection now to every fault that `hit` and whose damage
    /// still lasts: a short crash may end before the LB notices, which then
    /// sees the boot; a fault long repaired gets no credit.
    fn faults_detected(&mut self, hit: impl Fn(&Active) -> bool) {
        let now = self.now();
        for f in &self.faults.faults {
            if let Some(id) = f.tracker
                && !(f.ended && self.metrics.fault(id).is_capacity_restored())
                && hit(f)
            {
                self.metrics.fault(id).detected(now);
            }
        }
    }

    /// A database or store node came back: maybe a fault's capacity is.
    pub(super) fn faults_notice_data_up(&mut self) {
        for k in 0..self.faults.faults.len() {
            let f = &self.faults.faults[k];
            if !f.db_nodes.is_empty() || !f.kv_nodes.is_empty() {
                self.check_capacity(k);
            }
        }
    }

    /// The LB marked `target` unhealthy: the first detection of the faults
    /// acting on it.
    pub(super) fn faults_notice_unhealthy(&mut self, target: u32) {
        let launch = self.instances[target as usize].launch;
        self.faults_detected(|f| f.targets.contains(&(target, launch)));
    }

    /// `target` became healthy in the LB's view or started serving: maybe a
    /// fault's capacity is back.
    pub(super) fn faults_notice_healthy(&mut self, target: u32) {
        let launch = self.instances[target as usize].launch;
        for k in 0..self.faults.faults.len() {
            let f = &self.faults.faults[k];
            // A replacement elsewhere may be what restores a fault's capacity.
            let replaced = self.asg.is_some() && f.targets.iter().any(|&t| self.gone(t));
            if replaced || f.targets.contains(&(target, launch)) {
                self.check_capacity(k);
            }
        }
    }

    /// The group terminated an instance: a fault whose targets are all gone
    /// may have its capacity back.
    pub(super) fn faults_notice_replaced(&mut self) {
        for k in 0..self.faults.faults.len() {
            if self.faults.faults[k].targets.iter().any(|&t| self.gone(t)) {
                self.check_capacity(k);
            }
        }
    }

    /// Whether the instance (slot, launch) was terminated.
    fn gone(&self, (k, launch): (u32, u32)) -> bool {
        let i = &self.instances[k as usize];
        i.launch != launch || i.life == Life::Terminated
    }

    fn check_capacity(&mut self, k: usize) {
        let f = &self.faults.faults[k];
        // A fault still acting has its capacity back only when the group
        // replaced every instance it hit.
        let replaced = !f.targets.is_empty() && f.targets.iter().all(|&t| self.gone(t));
        let (Some(id), true) = (f.tracker, f.ended || replaced) else {
            return;
        };
        // Serving and healthy in the LB's view: a short crash may end before
        // the LB noticed, while the instance still has to boot.
        // Registered too: a target the group is draining serves no more.
        let serving = |&(t, launch): &(u32, u32)| {
            self.lb.serving(t)
                && self.instances[t as usize].status == Status::Up
                && self.instances[t as usize].launch == launch
        };
        // Terminated targets count as restored once the fleet serves as many
        // instances as before the fault (or the group's desired capacity).
        let any_gone = f.targets.iter().any(|&t| self.gone(t));
        let wanted = self
            .asg
            .as_ref()
            .map_or(f.serving_before, |a| f.serving_before.min(a.desired));
        let fleet_back = !any_gone || self.serving_count() >= wanted;
        let db_up = |n: &usize| self.db.as_ref().is_some_and(|db| db.nodes[*n].up());
        let kv_up = |(id, n): &(KvId, usize)| {
            let kv = match id {
                KvId::Cache => &self.cache,
                KvId::Sessions => &self.store,
            };
            kv.as_ref().is_some_and(|kv| kv.nodes[*n].up())
        };
        if f.targets.iter().all(|t| serving(t) || self.gone(*t))
            && fleet_back
            && f.db_nodes.iter().all(db_up)
            && f.kv_nodes.iter().all(kv_up)
            && !self.metrics.fault(id).is_capacity_restored()
        {
            let now = self.now();
            self.metrics.fault(id).capacity_restored(now);
        }
    }

    pub(super) fn on_random_failure(&mut self, inst: u32, launch: u32) {
        if !self.gone((inst, launch)) {
            self.set_random_down(inst, true);
        }
    }

    pub(super) fn on_random_repair(&mut self, inst: u32, launch: u32) {
        if !self.gone((inst, launch)) {
            self.set_random_down(inst, false);
        }
    }

    /// Starts the random failure process of a newly launched instance.
    pub(super) fn start_random_failures(&mut self, inst: u32) {
        if let Some(random) = self.faults.random {
            let t = random.next(false, &mut self.failure_rngs[inst as usize]);
            let launch = self.instances[inst as usize].launch;
            self.sched.after(t, Event::RandomFailure { inst, launch });
        }
    }

    /// Applies a random failure (`down`) or repair, and schedules the next
    /// transition after an exponential time (mean mttr, resp. mtbf).
    fn set_random_down(&mut self, inst: u32, down: bool) {
        self.instances[inst as usize].random_down = down;
        self.refresh_instance(inst);
        let random = self.faults.random.expect("scheduled only with failures");
        let t = random.next(down, &mut self.failure_rngs[inst as usize]);
        let launch = self.instances[inst as usize].launch;
        let next = if down {
            Event::RandomRepair { inst, launch }
        } else {
            Event::RandomFailure { inst, launch }
        };
        self.sched.after(t, next);
    }
}
