//! Injected faults (fixed times from the scenario) and the random failure
//! process of each instance (exponential time to failure and to repair).

use super::dist::UpDown;

use super::database::Db;
use super::instance::Status;
use super::kv::KvId;
use super::load_balancer::Health;
use super::{Event, Sim, trace::TraceEvent};
use crate::engine::SimTime;
use crate::scenario::{FaultKind, LatencyTarget, Scenario};

/// Per-fault bookkeeping.
#[derive(Debug, Clone)]
struct Active {
    /// Instances (= targets) the fault acts on.
    targets: Vec<u32>,
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
    random: Option<UpDown>,
}

impl FaultState {
    pub(crate) fn new(s: &Scenario) -> FaultState {
        let per = s.app.instances_per_az;
        let faults = s
            .faults
            .iter()
            .map(|f| {
                let az_targets = |az: usize| (0..per).map(move |k| (az as u32) * per + k).collect();
                let targets = match f.kind {
                    FaultKind::InstanceCrash { instance }
                    | FaultKind::InstanceHang { instance } => {
                        vec![instance as u32]
                    }
                    FaultKind::AzOutage { az } => az_targets(az),
                    FaultKind::Latency { target, .. } => match target {
                        LatencyTarget::Az(az) => az_targets(az),
                        LatencyTarget::Instance(i) => vec![i as u32],
                    },
                    FaultKind::DbPrimaryFailure
                    | FaultKind::DbStandbyFailure
                    | FaultKind::CacheFailure
                    | FaultKind::SessionStoreFailure => Vec::new(),
                };
                Active {
                    targets,
                    db_nodes: Vec::new(),
                    kv_nodes: Vec::new(),
                    tracker: None,
                    ended: false,
                }
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
                self.sched
                    .after(t, Event::RandomFailure { inst: inst as u32 });
            }
        }
    }

    pub(super) fn on_fault_start(&mut self, fault: u32) {
        let now = self.now();
        let f = &self.s.faults[fault as usize];
        let (db_nodes, kv_nodes) = self.data_nodes_hit(f.kind);
        let active = &mut self.faults.faults[fault as usize];
        active.db_nodes = db_nodes;
        active.kv_nodes = kv_nodes;
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

    /// The database and store nodes `kind` hits if it starts now.
    fn data_nodes_hit(&self, kind: FaultKind) -> (Vec<usize>, Vec<(KvId, usize)>) {
        let mut db_nodes = Vec::new();
        let mut kv_nodes = Vec::new();
        let stores = [(KvId::Cache, &self.cache), (KvId::Sessions, &self.store)];
        match kind {
            FaultKind::AzOutage { az } => {
                if let Some(db) = &self.db {
                    db_nodes.extend((0..db.nodes.len()).filter(|&k| db.nodes[k].az == az));
                }
                for (id, kv) in stores {
                    if let Some(kv) = kv {
                        kv_nodes.extend(
                            (0..kv.nodes.len())
                                .filter(|&k| kv.nodes[k].az == az)
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
        let power = matches!(kind, FaultKind::AzOutage { .. });
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
        match kind {
            FaultKind::InstanceCrash { instance } => {
                step(&mut self.instances[instance].crashed);
                self.refresh_instance(instance as u32);
            }
            FaultKind::InstanceHang { instance } => {
                step(&mut self.instances[instance].hung);
                self.refresh_instance(instance as u32);
            }
            FaultKind::AzOutage { az } => {
                for inst in 0..self.instances.len() {
                    if self.instances[inst].az == az {
                        step(&mut self.instances[inst].off);
                        self.refresh_instance(inst as u32);
                    }
                }
                self.lb_node_power(az, on);
            }
            FaultKind::Latency { target, extra } => {
                for inst in 0..self.instances.len() {
                    let hit = match target {
                        LatencyTarget::Az(az) => self.instances[inst].az == az,
                        LatencyTarget::Instance(i) => i == inst,
                    };
                    if hit {
                        let i = &mut self.instances[inst];
                        // Saturating: absurd but valid sums must not wrap.
                        i.extra_latency = if on {
                            i.extra_latency.saturating_add(extra)
                        } else {
                            i.extra_latency.saturating_sub(extra)
                        };
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
        self.faults_detected(|f| f.targets.contains(&target));
    }

    /// `target` became healthy in the LB's view or started serving: maybe a
    /// fault's capacity is back.
    pub(super) fn faults_notice_healthy(&mut self, target: u32) {
        for k in 0..self.faults.faults.len() {
            if self.faults.faults[k].targets.contains(&target) {
                self.check_capacity(k);
            }
        }
    }

    fn check_capacity(&mut self, k: usize) {
        let f = &self.faults.faults[k];
        let (Some(id), true) = (f.tracker, f.ended) else {
            return;
        };
        // Serving and healthy in the LB's view: a short crash may end before
        // the LB noticed, while the instance still has to boot.
        let serving = |t: &u32| {
            self.lb.health(*t) == Health::Healthy
                && self.instances[*t as usize].status == Status::Up
        };
        let db_up = |n: &usize| self.db.as_ref().is_some_and(|db| db.nodes[*n].up());
        let kv_up = |(id, n): &(KvId, usize)| {
            let kv = match id {
                KvId::Cache => &self.cache,
                KvId::Sessions => &self.store,
            };
            kv.as_ref().is_some_and(|kv| kv.nodes[*n].up())
        };
        if f.targets.iter().all(serving)
            && f.db_nodes.iter().all(db_up)
            && f.kv_nodes.iter().all(kv_up)
            && !self.metrics.fault(id).is_capacity_restored()
        {
            let now = self.now();
            self.metrics.fault(id).capacity_restored(now);
        }
    }

    pub(super) fn on_random_failure(&mut self, inst: u32) {
        self.set_random_down(inst, true);
    }

    pub(super) fn on_random_repair(&mut self, inst: u32) {
        self.set_random_down(inst, false);
    }

    /// Applies a random failure (`down`) or repair, and schedules the next
    /// transition after an exponential time (mean mttr, resp. mtbf).
    fn set_random_down(&mut self, inst: u32, down: bool) {
        self.instances[inst as usize].random_down = down;
        self.refresh_instance(inst);
        let random = self.faults.random.expect("scheduled only with failures");
        let t = random.next(down, &mut self.failure_rngs[inst as usize]);
        let next = if down {
            Event::RandomRepair { inst }
        } else {
            Event::RandomFailure { inst }
        };
        self.sched.after(t, next);
    }
}
