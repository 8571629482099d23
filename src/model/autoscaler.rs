//! The Auto Scaling Group (EC2 Auto Scaling semantics, cited in
//! `scenario/defaults.rs`): it keeps `desired` instances spread over the
//! AZs that have power, replaces unhealthy ones (EC2 status checks always;
//! the LB's verdict with `health_check: elb`) once their grace period is
//! over, rebalances when an AZ returns (launch first, then terminate), and
//! changes `desired` from CloudWatch-like metric periods through a target
//! tracking or step policy and scheduled actions.
//!
//! Terminating an instance deregisters it from the LB first: it finishes
//! its in-flight work until the deregistration delay ends (or sooner, when
//! it is idle), then it is gone. An unhealthy instance is replaced the AWS
//! way: terminated first, its replacement launched once it is gone.

use std::collections::VecDeque;

use rand::Rng;

use super::instance::{Instance, Life, Status};
use super::load_balancer::Health;
use super::{Event, Sim, trace::TraceEvent};
use crate::engine::{NANOS_PER_SEC, SimTime, Stream, stream};
use crate::scenario::{
    Adjustment, AsgHealthCheck, AutoScaling, ScalingMetric, ScalingPolicy, Scenario,
};

/// What the group did over the run (`summary.json` `autoscaling`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AsgReport {
    /// Instances launched during the run (the initial fleet excluded).
    pub launches: u64,
    /// Instances terminated during the run.
    pub terminations: u64,
    /// Unhealthy instances the group replaced.
    pub replaced_unhealthy: u64,
    /// Most instances alive at once (booting and draining included).
    pub max_instances: u32,
    /// Instance-hours of every instance alive during the run (the cost).
    pub instance_hours: f64,
    /// Policy activities that raised, resp. lowered, the desired capacity.
    pub scale_outs: u64,
    pub scale_ins: u64,
    pub max_desired: u32,
    pub final_desired: u32,
}

/// Group state.
pub(crate) struct Asg {
    pub min: u32,
    pub max: u32,
    pub desired: u32,
    launches: u64,
    terminations: u64,
    replaced: u64,
    scale_outs: u64,
    scale_ins: u64,
    max_desired: u32,
    /// Instances alive (not terminated), their most and their time integral.
    live: u32,
    max_live: u32,
    live_since: SimTime,
    live_area: u128,
    /// The policy metric's last datapoints, newest last.
    history: VecDeque<f64>,
    keep: usize,
    /// When a step policy last changed the capacity.
    last_step: Option<SimTime>,
    /// A rebalancing launch waiting to serve: (slot, launch).
    rebalance: Option<(u32, u32)>,
    /// A reconciliation is running (terminations call back into it), and
    /// one more pass is needed when it ends.
    reconciling: bool,
    again: bool,
    /// Slots of terminated instances, reused by launches.
    free: Vec<u32>,
    next_launch: u32,
    /// Next instance number per AZ (for names like `b-4`).
    seq: Vec<u32>,
    termination_rng: Stream,
    /// End of the previous metric period.
    last_tick: SimTime,
}

impl Asg {
    pub(crate) fn new(s: &Scenario, a: &AutoScaling) -> Asg {
        let keep = match &a.policy {
            Some(ScalingPolicy::TargetTracking {
                out_periods,
                in_periods,
                ..
            }) => (*out_periods).max(*in_periods),
            Some(ScalingPolicy::Step { periods, .. }) => *periods,
            None => 1,
        } as usize;
        let live = s.instance_count() as u32;
        Asg {
            min: a.min,
            max: a.max,
            desired: a.desired,
            launches: 0,
            terminations: 0,
            replaced: 0,
            scale_outs: 0,
            scale_ins: 0,
            max_desired: a.desired,
            live,
            max_live: live,
            live_since: 0,
            live_area: 0,
            history: VecDeque::with_capacity(keep),
            keep,
            last_step: None,
            rebalance: None,
            reconciling: false,
            again: false,
            free: Vec::new(),
            next_launch: live,
            seq: s.fleet.iter().map(|n| n + 1).collect(),
            termination_rng: stream(s.seed, "asg.termination"),
            last_tick: 0,
        }
    }

    fn set_live(&mut self, now: SimTime, live: u32) {
        self.live_area += u128::from(self.live) * u128::from(now.saturating_sub(self.live_since));
        self.live_since = self.live_since.max(now);
        self.live = live;
        self.max_live = self.max_live.max(live);
    }

    pub(crate) fn report(&mut self, end: SimTime) -> AsgReport {
        self.set_live(end, self.live);
        AsgReport {
            launches: self.launches,
            terminations: self.terminations,
            replaced_unhealthy: self.replaced,
            max_instances: self.max_live,
            instance_hours: self.live_area as f64 / (3600.0 * NANOS_PER_SEC as f64),
            scale_outs: self.scale_outs,
            scale_ins: self.scale_ins,
            max_desired: self.max_desired,
            final_desired: self.desired,
        }
    }

    /// Whether the last `n` datapoints all satisfy `pred`.
    fn last(&self, n: u32, pred: impl Fn(f64) -> bool) -> bool {
        let n = n as usize;
        self.history.len() >= n && self.history.iter().rev().take(n).all(|&v| pred(v))
    }
}

/// Instances `change` adds to (or removes from) a capacity of `base`.
fn step_size(change: Adjustment, base: u32) -> u32 {
    match change {
        Adjustment::Count(n) => n.clamp(0, i64::from(u32::MAX)) as u32,
        // At least one instance, as AWS's MinAdjustmentMagnitude of 1.
        Adjustment::Percent(p) => ((f64::from(base) * p).ceil() as u32).max(1),
    }
}

/// The step whose `over` the breach reaches (steps ascend from 0).
fn step_for(steps: &[crate::scenario::Step], breach: f64) -> Adjustment {
    steps
        .iter()
        .rev()
        .find(|s| breach >= s.over)
        .map_or(steps[0].change, |s| s.change)
}

impl Sim<'_> {
    fn cfg(&self) -> &AutoScaling {
        self.s
            .autoscaling
            .as_ref()
            .expect("group events only with a group")
    }

    fn group(&mut self) -> &mut Asg {
        self.asg.as_mut().expect("group events only with a group")
    }

    pub(super) fn start_asg(&mut self) {
        let Some(a) = &self.s.autoscaling else { return };
        self.sched.after(a.metric_period, Event::AsgTick);
        // Status checks are not aligned with the run's clock (or a fault).
        let first =
            stream(self.s.seed, "asg.status_phase").random_range(0..a.status_check_interval);
        self.sched.after(first, Event::StatusCheck);
        for (k, act) in a.scheduled.iter().enumerate() {
            self.sched.at(act.at, Event::Scheduled { action: k as u32 });
        }
        self.fleet_changed();
    }

    /// An instance whose process runs (up or hung) more (`on`) or less:
    /// the CPU column's capacity.
    pub(super) fn running_changed(&mut self, on: bool) {
        if on {
            self.running += 1;
        } else {
            self.running -= 1;
        }
        let now = self.now();
        self.metrics
            .running_workers(now, u64::from(self.running) * u64::from(self.s.app.workers));
    }

    /// Whether `k` is in the group and not a rebalancing launch still
    /// waiting to serve.
    fn is_member(&self, k: usize) -> bool {
        self.instances[k].life == Life::Member
            && self
                .asg
                .as_ref()
                .and_then(|a| a.rebalance)
                .is_none_or(|(slot, _)| slot as usize != k)
    }

    /// Members per AZ, a rebalancing launch counted or not.
    fn members_per_az(&self, with_rebalance: bool) -> Vec<u32> {
        let mut per = vec![0u32; self.s.azs.len()];
        for (k, i) in self.instances.iter().enumerate() {
            let counted = if with_rebalance {
                i.life == Life::Member
            } else {
                self.is_member(k)
            };
            if counted {
                per[i.az] += 1;
            }
        }
        per
    }

    /// The instances that make up the capacity: members, and unhealthy ones
    /// whose replacement waits for their termination.
    fn capacity_count(&self) -> u32 {
        (0..self.instances.len())
            .filter(|&k| {
                self.is_member(k) || self.instances[k].life == Life::Terminating { replaced: true }
            })
            .count() as u32
    }

    /// Updates the time series' fleet columns.
    pub(super) fn fleet_changed(&mut self) {
        let Some(asg) = &self.asg else { return };
        let desired = asg.desired;
        let (mut serving, mut booting) = (0, 0);
        for (k, i) in self.instances.iter().enumerate() {
            if i.life != Life::Member {
                continue;
            }
            if i.status == Status::Booting {
                booting += 1;
            } else if i.status == Status::Up && self.lb.serving(k as u32) {
                serving += 1;
            }
        }
        self.metrics.fleet_sizes(desired, serving, booting);
    }

    /// Launches or terminates instances until the capacity is the desired
    /// one; when it is, rebalances the AZs.
    pub(super) fn asg_reconcile(&mut self) {
        let Some(asg) = self.asg.as_mut() else { return };
        if asg.reconciling {
            asg.again = true;
            return;
        }
        asg.reconciling = true;
        loop {
            self.group().again = false;
            self.reconcile_once();
            if !self.group().again {
                break;
            }
        }
        self.group().reconciling = false;
        self.fleet_changed();
    }

    fn reconcile_once(&mut self) {
        let desired = self.group().desired;
        let count = self.capacity_count();
        if count < desired {
            for _ in count..desired {
                let Some(az) = self.launch_az() else { break };
                self.launch(az, "capacity");
            }
        } else if count > desired {
            let mut excess = count - desired;
            // Instances leaving anyway no longer wait for a replacement.
            for k in 0..self.instances.len() {
                if excess > 0 && self.instances[k].life == (Life::Terminating { replaced: true }) {
                    self.instances[k].life = Life::Terminating { replaced: false };
                    excess -= 1;
                }
            }
            for _ in 0..excess {
                let Some(k) = self.pick_to_terminate() else {
                    break;
                };
                self.begin_termination(k, false, "scale_in");
            }
        } else {
            self.maybe_rebalance();
        }
    }

    /// The AZ with power and the fewest members (the first of equals).
    fn launch_az(&self) -> Option<usize> {
        let per = self.members_per_az(true);
        (0..self.s.azs.len())
            .filter(|&az| self.faults.az_off[az] == 0)
            .min_by_key(|&az| (per[az], az))
    }

    /// The default termination policy, simplified: a random member of the
    /// AZ with the most members (equal AZs drawn at random too).
    fn pick_to_terminate(&mut self) -> Option<u32> {
        let per = self.members_per_az(false);
        let most = *per.iter().max()?;
        if most == 0 {
            return None;
        }
        let azs: Vec<usize> = (0..per.len()).filter(|&az| per[az] == most).collect();
        let rng = &mut self.group().termination_rng;
        let az = azs[rng.random_range(0..azs.len())];
        let candidates: Vec<usize> = (0..self.instances.len())
            .filter(|&k| self.is_member(k) && self.instances[k].az == az)
            .collect();
        let rng = &mut self.group().termination_rng;
        Some(candidates[rng.random_range(0..candidates.len())] as u32)
    }

    /// AZ rebalancing: when an AZ with power has two fewer members than
    /// another, launch there first (up to 10% or 1 over max); the surplus
    /// is terminated once the new instance serves.
    fn maybe_rebalance(&mut self) {
        let Some(asg) = &self.asg else { return };
        if asg.rebalance.is_some() {
            return;
        }
        let allowance = (asg.max / 10).max(1);
        if asg.live >= asg.max.saturating_add(allowance) {
            return;
        }
        let per = self.members_per_az(true);
        let Some(lo) = self.launch_az() else { return };
        let hi = per.iter().copied().max().unwrap_or(0);
        if hi > per[lo] + 1 {
            let slot = self.launch(lo, "rebalance");
            let launch = self.instances[slot as usize].launch;
            self.group().rebalance = Some((slot, launch));
        }
    }

    /// A rebalancing launch that never passes the LB's checks (with `ec2`
    /// health checks nothing replaces it) would hold rebalancing forever:
    /// once it is up and had the time to pass them, it counts as a member.
    fn rebalance_deadline(&mut self) {
        let Some((k, launch)) = self.asg.as_ref().and_then(|a| a.rebalance) else {
            return;
        };
        // Without health checks a registered instance serves at once.
        let checks = self.s.load_balancer.health_check.as_ref().map_or(0, |hc| {
            hc.interval
                .saturating_mul(SimTime::from(hc.healthy_threshold))
                .saturating_add(hc.timeout)
        });
        let i = &self.instances[k as usize];
        let deadline = i
            .launched_at
            .saturating_add(self.cfg().boot_time)
            .saturating_add(checks)
            .max(i.grace_until);
        if i.launch == launch && i.status == Status::Up && self.now() >= deadline {
            self.group().rebalance = None;
            self.asg_reconcile();
        }
    }

    /// Launches a new instance into `az`; returns its slot.
    fn launch(&mut self, az: usize, reason: &'static str) -> u32 {
        let now = self.now();
        let (boot_time, grace, warmup) = {
            let a = self.cfg();
            (a.boot_time, a.grace_period, a.warmup)
        };
        let seed = self.s.seed;
        let asg = self.asg.as_mut().expect("launch needs a group");
        let launch = asg.next_launch;
        asg.next_launch = asg.next_launch.wrapping_add(1);
        let name = format!("{}-{}", self.s.azs[az], asg.seq[az]);
        asg.seq[az] += 1;
        asg.launches += 1;
        let live = asg.live + 1;
        asg.set_live(now, live);
        let slot = match asg.free.pop() {
            Some(slot) => slot as usize,
            None => self.instances.len(),
        };
        let epoch = self
            .instances
            .get(slot)
            .map_or(0, |i| i.epoch.wrapping_add(1));
        let mut inst = Instance::new(az, &self.s.app, launch, now, epoch);
        inst.off = self.faults.az_off[az];
        inst.extra_latency = self.faults.az_extra[az];
        inst.warm_at = now.saturating_add(warmup);
        inst.grace_until = now.saturating_add(grace);
        inst.start_launch_boot();
        let rng = stream(seed, &format!("instance.{name}.failures"));
        if slot == self.instances.len() {
            self.instances.push(inst);
            self.names.push(name);
            self.failure_rngs.push(rng);
        } else {
            self.instances[slot] = inst;
            self.names[slot] = name;
            self.failure_rngs[slot] = rng;
        }
        let k = slot as u32;
        self.sessions.ensure(k);
        if let Some(db) = self.db.as_mut() {
            db.app_launched(slot);
        }
        let epoch = self.instances[slot].epoch;
        self.sched
            .after(boot_time, Event::BootDone { inst: k, epoch });
        self.lb_register(k);
        if grace > 0 {
            self.sched.after(grace, Event::GraceEnd { inst: k, launch });
        }
        self.start_random_failures(k);
        self.trace.emit(now, || TraceEvent::AsgLaunch {
            instance: self.names[slot].clone(),
            az: self.s.azs[az].clone(),
            reason,
        });
        k
    }

    /// Deregisters `k` and terminates it once drained; `replaced`: an
    /// unhealthy instance whose replacement follows its termination.
    fn begin_termination(&mut self, k: u32, replaced: bool, reason: &'static str) {
        let now = self.now();
        let i = &mut self.instances[k as usize];
        if i.life != Life::Member {
            return;
        }
        i.life = Life::Terminating { replaced };
        let launch = i.launch;
        if let Some(asg) = self.asg.as_mut()
            && asg.rebalance.is_some_and(|(slot, _)| slot == k)
        {
            asg.rebalance = None;
        }
        self.lb_deregister(k);
        self.trace.emit(now, || TraceEvent::AsgTerminate {
            instance: self.names[k as usize].clone(),
            reason,
        });
        if self.drained(k) {
            self.terminate(k);
        } else {
            self.sched.after(
                self.s.load_balancer.deregistration_delay,
                Event::Deregistered { inst: k, launch },
            );
        }
        self.fleet_changed();
    }

    /// Nothing in flight: no job on the instance and no attempt the LB sent
    /// it still on its way (or its answer on the way back).
    fn drained(&self, k: u32) -> bool {
        self.instances[k as usize].idle() && self.lb.outstanding(k) == 0
    }

    /// Terminates `k` early if it is being terminated and has drained.
    pub(super) fn terminate_if_drained(&mut self, k: u32) {
        if matches!(self.instances[k as usize].life, Life::Terminating { .. }) && self.drained(k) {
            self.terminate(k);
        }
    }

    /// An attempt routed to `target` ended (answered, failed or given up).
    pub(super) fn attempt_left(&mut self, target: u32) {
        self.lb.finished(target);
        if self.asg.is_some() {
            self.terminate_if_drained(target);
        }
    }

    pub(super) fn on_deregistered(&mut self, inst: u32, launch: u32) {
        let i = &self.instances[inst as usize];
        if i.launch == launch && matches!(i.life, Life::Terminating { .. }) {
            self.terminate(inst);
        }
    }

    /// The instance is gone: what it still held is reset, its slot freed.
    pub(super) fn terminate(&mut self, k: u32) {
        let now = self.now();
        self.reset_jobs(k);
        let status = self.instances[k as usize].status;
        if !matches!(status, Status::Crashed | Status::Off) {
            self.sessions_instance_died(k);
        }
        if status.runs() {
            self.running_changed(false);
        }
        let i = &mut self.instances[k as usize];
        i.status = Status::Off;
        i.life = Life::Terminated;
        i.epoch = i.epoch.wrapping_add(1);
        self.standby_account();
        self.lb.deregister(k);
        self.standby_refresh();
        let asg = self.asg.as_mut().expect("only a group terminates");
        asg.free.push(k);
        asg.terminations += 1;
        let live = asg.live - 1;
        asg.set_live(now, live);
        self.trace.emit(now, || TraceEvent::AsgTerminated {
            instance: self.names[k as usize].clone(),
        });
        self.faults_notice_replaced();
        self.asg_reconcile();
    }

    /// Replaces `k` if the group may judge it now (out of its grace period).
    fn replace_unhealthy(&mut self, k: u32, reason: &'static str) {
        let now = self.now();
        let i = &self.instances[k as usize];
        if i.life != Life::Member || now < i.grace_until {
            return;
        }
        self.group().replaced += 1;
        // The group noticed: a detection of the faults acting on it.
        self.faults_notice_unhealthy(k);
        self.begin_termination(k, true, reason);
    }

    /// The LB marked `target` unhealthy.
    pub(super) fn asg_target_unhealthy(&mut self, target: u32) {
        let Some(a) = &self.s.autoscaling else { return };
        if a.health_check == AsgHealthCheck::Elb {
            self.replace_unhealthy(target, "elb_health_check");
        }
        self.fleet_changed();
    }

    /// The LB marked `target` healthy: a rebalancing launch that serves
    /// lets the group terminate the surplus.
    pub(super) fn asg_target_healthy(&mut self, target: u32) {
        let Some(asg) = self.asg.as_mut() else { return };
        if asg.rebalance.is_some_and(|(slot, _)| slot == target) {
            asg.rebalance = None;
            if self.capacity_count() > self.group().desired
                && let Some(k) = self.pick_to_terminate()
            {
                self.begin_termination(k, false, "rebalance");
            }
            self.asg_reconcile();
        }
        self.fleet_changed();
    }

    pub(super) fn on_grace_end(&mut self, inst: u32, launch: u32) {
        let i = &self.instances[inst as usize];
        if i.launch != launch || i.life != Life::Member {
            return;
        }
        if self.cfg().health_check == AsgHealthCheck::Elb
            && self.lb.health(inst) == Health::Unhealthy
        {
            self.replace_unhealthy(inst, "elb_health_check");
        }
    }

    /// EC2 status checks: an instance without power (or hardware) is
    /// impaired. A process that crashed or hangs passes them.
    pub(super) fn on_status_check(&mut self) {
        let interval = self.cfg().status_check_interval;
        self.sched.after(interval, Event::StatusCheck);
        self.rebalance_deadline();
        for k in 0..self.instances.len() {
            if self.instances[k].life == Life::Member && self.instances[k].status == Status::Off {
                self.replace_unhealthy(k as u32, "ec2_status_check");
            }
        }
    }

    pub(super) fn on_scheduled(&mut self, action: u32) {
        let act = self.cfg().scheduled[action as usize].clone();
        let asg = self.group();
        if let Some(min) = act.min {
            asg.min = min;
        }
        if let Some(max) = act.max {
            asg.max = max;
        }
        if asg.min > asg.max {
            asg.max = asg.min;
        }
        let wanted = act.desired.unwrap_or(asg.desired);
        let (lo, hi) = (asg.min, asg.max);
        self.set_desired(wanted.clamp(lo, hi), "scheduled");
        self.asg_reconcile();
    }

    /// Sets the desired capacity (within min and max) and acts on it.
    fn set_desired(&mut self, to: u32, reason: &'static str) {
        let now = self.now();
        let asg = self.group();
        let to = to.clamp(asg.min, asg.max);
        let from = asg.desired;
        if to == from {
            return;
        }
        asg.desired = to;
        asg.max_desired = asg.max_desired.max(to);
        if reason != "scheduled" {
            if to > from {
                asg.scale_outs += 1;
            } else {
                asg.scale_ins += 1;
            }
        }
        self.trace
            .emit(now, || TraceEvent::AsgCapacity { from, to, reason });
        self.asg_reconcile();
    }

    /// One metric period ended: a datapoint, the policy, the capacity.
    pub(super) fn on_asg_tick(&mut self) {
        let now = self.now();
        let period = self.cfg().metric_period;
        self.sched.after(period, Event::AsgTick);
        let start = std::mem::replace(&mut self.group().last_tick, now);
        let policy = self.cfg().policy.clone();
        let datapoint = policy.as_ref().and_then(|p| self.datapoint(p, start, now));
        if let (Some(p), Some((value, counted))) = (policy, datapoint) {
            let asg = self.group();
            asg.history.push_back(value);
            while asg.history.len() > asg.keep {
                asg.history.pop_front();
            }
            self.apply_policy(&p, value, counted);
        }
        self.asg_reconcile();
    }

    /// The policy metric over the period [start, now] and the number of
    /// instances it covers (members past warm-up with power); `None` when
    /// no instance reports.
    fn datapoint(&mut self, p: &ScalingPolicy, start: SimTime, now: SimTime) -> Option<(f64, u32)> {
        let metric = match p {
            ScalingPolicy::TargetTracking { metric, .. } | ScalingPolicy::Step { metric, .. } => {
                *metric
            }
        };
        let workers = f64::from(self.s.app.workers);
        let (mut sum, mut counted) = (0.0, 0u32);
        for k in 0..self.instances.len() {
            let i = &mut self.instances[k];
            if i.life == Life::Terminated {
                continue;
            }
            let area = i.busy_area(now);
            let used = area - i.busy_mark.min(area);
            i.busy_mark = area;
            let reports = i.life == Life::Member && i.status != Status::Off && now >= i.warm_at;
            if !reports {
                continue;
            }
            let span = now - i.launched_at.max(start);
            if span > 0 {
                sum += used as f64 / (workers * span as f64);
                counted += 1;
            }
        }
        let routed = std::mem::take(&mut self.lb.routed);
        if counted == 0 {
            return None;
        }
        let value = match metric {
            ScalingMetric::Cpu => sum / f64::from(counted),
            ScalingMetric::RequestsPerTarget => {
                let targets = (0..self.instances.len())
                    .filter(|&k| self.lb.serving(k as u32))
                    .count();
                if targets == 0 {
                    return None;
                }
                let per_minute = 60.0 * NANOS_PER_SEC as f64 / (now - start) as f64;
                // The load spreads over every serving target, warming or
                // not: the capacity the proportional rule scales is theirs.
                counted = targets as u32;
                routed as f64 * per_minute / targets as f64
            }
        };
        Some((value, counted))
    }

    /// Whether a launched instance is still warming up.
    fn any_warming(&self) -> bool {
        let now = self.now();
        self.instances
            .iter()
            .any(|i| i.life == Life::Member && now < i.warm_at)
    }

    fn apply_policy(&mut self, p: &ScalingPolicy, value: f64, counted: u32) {
        let now = self.now();
        let desired = self.group().desired;
        match *p {
            ScalingPolicy::TargetTracking {
                target,
                disable_scale_in,
                out_periods,
                in_periods,
                ..
            } => {
                // Proportional: the capacity at which the counted instances'
                // load would sit at the target. Warming instances are part of
                // `desired` but not of `counted`, so a repeated alarm adds
                // only what they do not already cover.
                let wanted = (f64::from(counted) * value / target).ceil().min(1e9) as u32;
                let asg = self.group();
                if asg.last(out_periods, |v| v > target) {
                    if wanted > desired {
                        self.set_desired(wanted, "target_tracking");
                    }
                } else if !disable_scale_in
                    && asg.last(in_periods, |v| {
                        v < crate::scenario::defaults::TT_IN_FRACTION * target
                    })
                    && !self.any_warming()
                    && wanted < desired
                {
                    self.set_desired(wanted, "target_tracking");
                }
            }
            ScalingPolicy::Step {
                ref scale_out,
                ref scale_in,
                periods,
                cooldown,
                ..
            } => {
                let asg = self.group();
                if asg
                    .last_step
                    .is_some_and(|t| now < t.saturating_add(cooldown))
                {
                    return;
                }
                if let Some(out) = scale_out
                    && asg.last(periods, |v| v > out.threshold)
                {
                    let add = step_size(step_for(&out.steps, value - out.threshold), counted);
                    let wanted = counted.saturating_add(add);
                    if wanted > desired {
                        self.group().last_step = Some(now);
                        self.set_desired(wanted, "step");
                    }
                } else if let Some(inn) = scale_in
                    && asg.last(periods, |v| v < inn.threshold)
                    && !self.any_warming()
                {
                    let remove = step_size(step_for(&inn.steps, inn.threshold - value), desired);
                    let wanted = desired.saturating_sub(remove);
                    if wanted < desired {
                        self.group().last_step = Some(now);
                        self.set_desired(wanted, "step");
                    }
                }
            }
        }
    }
}
