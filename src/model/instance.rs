//! App instances: `workers` parallel slots, a bounded FIFO queue, and a
//! status derived from what is currently done to the instance (power off,
//! crash, hang, boot), so overlapping faults compose instead of fighting.

use super::workers::Workers;

use rand::Rng;

use super::{Event, Sim, trace::TraceEvent};

use crate::engine::SimTime;
use crate::metrics::DropReason;
use crate::scenario::{App, Sessions};

/// What an instance does with a request that reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Serves requests.
    Up,
    /// Process starting: the port is closed, connections are refused.
    Booting,
    /// Accepts connections, never answers.
    Hung,
    /// Process dead, host up: connections are refused.
    Crashed,
    /// No power: nothing answers, not even a refusal.
    Off,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Booting => "booting",
            Status::Hung => "hung",
            Status::Crashed => "crashed",
            Status::Off => "off",
        }
    }

    /// The process runs (its workers count in the CPU column).
    pub fn runs(self) -> bool {
        matches!(self, Status::Up | Status::Hung)
    }

    fn is_down(self) -> bool {
        matches!(self, Status::Crashed | Status::Off)
    }
}

/// A request attempt held by an instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Job {
    pub req: u32,
    pub attempt: u32,
    pub demand: SimTime,
    /// The request's database writes and reads, copied while it was live
    /// (the app goes on with a request whose client gave up).
    pub writes: u16,
    pub reads: u16,
    /// Reads the cache did not answer.
    pub misses: u16,
    /// Waiting for the database (the worker is held meanwhile).
    pub in_db: bool,
}

/// Where an instance is in its life in the fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    /// Part of the fleet (launched, booting, serving or broken).
    Member,
    /// Deregistered from the LB, finishing in-flight work before it is
    /// terminated. `replaced`: an unhealthy instance whose replacement is
    /// launched once it is gone (it still counts toward the capacity).
    Terminating { replaced: bool },
    /// Gone; the slot waits for the next launch.
    Terminated,
}

/// One app instance.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub az: usize,
    pub life: Life,
    /// Identifies this launch: events of an earlier instance in the same
    /// slot carry another number.
    pub launch: u32,
    pub launched_at: SimTime,
    /// Workers holding a job, and their time integral (busy worker-ns)
    /// since launch: the CPU metric.
    busy: u32,
    busy_since: SimTime,
    busy_area: u128,
    /// `busy_area` at the group's last metric datapoint.
    pub busy_mark: u128,
    /// Until then its metrics are left out (warm-up) and its health checks
    /// ignored (grace period); 0 for the initial fleet.
    pub warm_at: SimTime,
    pub grace_until: SimTime,
    /// Active power-off faults (AZ outages).
    pub off: u16,
    /// Active crash faults.
    pub crashed: u16,
    /// Active hang faults.
    pub hung: u16,
    /// Down from the random failure process.
    pub random_down: bool,
    /// A cold standby not started yet: stopped, as if without power.
    pub stopped: bool,
    booting: bool,
    pub status: Status,
    /// Bumped whenever scheduled completions become void.
    pub epoch: u32,
    workers: Workers<Job>,
    /// Added to every response and health check (latency faults).
    pub extra_latency: SimTime,
}

impl Instance {
    /// A fresh instance launched at `now`; `epoch` continues the slot's
    /// count so events of an earlier instance there stay void.
    pub(crate) fn new(az: usize, app: &App, launch: u32, now: SimTime, epoch: u32) -> Instance {
        Instance {
            az,
            life: Life::Member,
            launch,
            launched_at: now,
            busy: 0,
            busy_since: now,
            busy_area: 0,
            busy_mark: 0,
            warm_at: 0,
            grace_until: 0,
            off: 0,
            crashed: 0,
            hung: 0,
            random_down: false,
            stopped: false,
            booting: false,
            status: Status::Up,
            epoch,
            workers: Workers::new(app.workers, app.queue_capacity),
            extra_latency: 0,
        }
    }

    /// Busy worker-ns since launch, up to `now`.
    pub(crate) fn busy_area(&self, now: SimTime) -> u128 {
        self.busy_area + u128::from(self.busy) * u128::from(now.saturating_sub(self.busy_since))
    }

    /// Whether no job is queued or in service.
    pub(crate) fn idle(&self) -> bool {
        self.workers.is_idle()
    }

    /// Starts the boot of a newly launched instance.
    pub(crate) fn start_launch_boot(&mut self) {
        self.booting = true;
        self.status = Status::Booting;
    }

    fn derived_status(&self) -> Status {
        if self.off > 0 || self.stopped {
            Status::Off
        } else if self.crashed > 0 || self.random_down {
            Status::Crashed
        } else if self.booting {
            Status::Booting
        } else if self.hung > 0 {
            Status::Hung
        } else {
            Status::Up
        }
    }

    /// The jobs a resuming hung process starts over, from their beginning
    /// (a database call it waited for is made again): (slot, demand).
    fn thaw(&mut self) -> Vec<(u32, SimTime)> {
        let busy = self.workers.busy();
        for &(slot, _) in &busy {
            if let Some(j) = self.workers.job_mut(slot) {
                j.in_db = false;
            }
        }
        busy.into_iter().map(|(slot, j)| (slot, j.demand)).collect()
    }

    /// Removes every job (queued and in service); their pending completions
    /// become void. Without jobs nothing changes: a boot in progress (whose
    /// completion carries the epoch too) goes on.
    fn take_jobs(&mut self) -> Vec<Job> {
        if self.workers.is_idle() {
            return Vec::new();
        }
        self.epoch = self.epoch.wrapping_add(1);
        self.workers.take_all()
    }
}

impl Sim<'_> {
    pub(super) fn on_at_instance(&mut self, inst: u32, req: u32, attempt: u32) {
        if !self.clients.is_live(req, attempt) {
            return; // The client gave up before the request arrived.
        }
        let r = self.clients.get(req);
        let (user, writes, reads) = (r.user, r.writes, r.reads);
        let latency = self.s.network.latency;
        let job = Job {
            req,
            attempt,
            demand: r.demand.saturating_add(self.store_round_trips(reads)),
            writes,
            reads,
            misses: 0,
            in_db: false,
        };
        let i = &mut self.instances[inst as usize];
        match i.status {
            Status::Up => {
                if i.workers.full() {
                    self.fail_later(req, attempt, latency, DropReason::QueueFull);
                    return;
                }
                // Admitted: the app looks up the user's session first.
                if let Err(reason) = self.check_session(inst, user) {
                    self.fail_later(req, attempt, latency, reason);
                    return;
                }
                if let Some(slot) = self.instances[inst as usize].workers.place(job) {
                    self.touch_busy(inst);
                    self.start_job(inst, slot, job.demand);
                } else {
                    // Every worker busy: it waits (Erlang C's P(wait)).
                    self.metrics.queued(self.clients.get(req).counted);
                }
            }
            Status::Hung => {
                // A hung process holds what it accepted; once its backlog is
                // full, new connections are not even refused: silence, and
                // the client's timeout decides.
                i.workers.enqueue(job);
            }
            Status::Booting | Status::Crashed => {
                self.fail_later(req, attempt, latency, DropReason::ConnectionReset)
            }
            Status::Off => {} // Silence: the client's timeout decides.
        }
    }

    /// Time the worker spends on round trips to the session store and the
    /// cache (both answer in well under a millisecond once reached).
    fn store_round_trips(&self, reads: u16) -> SimTime {
        let rtt = self.s.network.latency.saturating_mul(2);
        let mut t: SimTime = 0;
        if self.s.app.sessions == Sessions::External {
            t = t.saturating_add(rtt);
        }
        if self.cache.is_some() && reads > 0 {
            t = t.saturating_add(rtt);
        }
        t
    }

    /// The worker in `slot` starts (or restarts) the job it holds.
    fn start_job(&mut self, inst: u32, slot: u32, demand: SimTime) {
        let epoch = self.instances[inst as usize].epoch;
        self.sched
            .after(demand, Event::ServiceDone { inst, slot, epoch });
    }

    pub(super) fn on_service_done(&mut self, inst: u32, slot: u32, epoch: u32) {
        let i = &mut self.instances[inst as usize];
        if epoch != i.epoch {
            return;
        }
        let job = *i
            .workers
            .job(slot)
            .expect("a current-epoch completion has its job");
        if !job.in_db && (job.writes > 0 || job.reads > 0) {
            let (writes, reads) = (job.writes, job.reads);
            let misses = self.cache_misses(reads);
            if writes > 0 || misses > 0 {
                let job = self.instances[inst as usize]
                    .workers
                    .job_mut(slot)
                    .expect("checked above");
                job.misses = misses;
                job.in_db = true;
                let gslot = inst * self.s.app.workers + slot;
                self.db_call(inst, gslot, epoch, writes > 0);
                return;
            }
        }
        self.finish_job(inst, slot, None);
    }

    /// Of `reads` reads, how many the cache does not answer now.
    fn cache_misses(&mut self, reads: u16) -> u16 {
        if self.cache.is_none() || reads == 0 {
            return reads;
        }
        let h = self.cache_hit_ratio(self.now());
        let rng = &mut self.clients.cache_rng;
        let mut misses = 0;
        for _ in 0..reads {
            misses += u16::from(rng.random::<f64>() >= h);
        }
        let hits = u64::from(reads - misses);
        self.metrics.tier(|t| {
            t.cache_hits += hits;
            t.cache_misses += u64::from(misses);
        });
        misses
    }

    /// The call of app worker `gslot` sent at `epoch`: (queries, writes),
    /// if the worker still waits for it.
    pub(super) fn waiting_call(&self, gslot: u32, epoch: u32) -> Option<(u32, u32)> {
        let w = self.s.app.workers;
        let i = &self.instances[(gslot / w) as usize];
        if i.epoch != epoch {
            return None;
        }
        let job = i.workers.job(gslot % w)?;
        job.in_db.then(|| {
            (
                u32::from(job.writes) + u32::from(job.misses),
                u32::from(job.writes),
            )
        })
    }

    pub(super) fn on_db_reply(&mut self, gslot: u32, epoch: u32, ok: bool) {
        if self.waiting_call(gslot, epoch).is_none() {
            return;
        }
        let w = self.s.app.workers;
        let reason = (!ok).then_some(DropReason::DbUnavailable);
        self.finish_job(gslot / w, gslot % w, reason);
    }

    /// The job in `slot` is done: its answer (a response, or the failure
    /// `reason`) goes to the client and the worker takes the next job.
    fn finish_job(&mut self, inst: u32, slot: u32, reason: Option<DropReason>) {
        let i = &mut self.instances[inst as usize];
        let (job, next) = i.workers.finish(slot);
        let extra = i.extra_latency.saturating_add(self.region_latency[i.az]);
        if self.clients.is_live(job.req, job.attempt) {
            let latency = self.s.network.latency;
            match reason {
                None => {
                    let ev = Event::Response {
                        req: job.req,
                        attempt: job.attempt,
                    };
                    if extra == 0 {
                        self.sched.after_on(self.lanes.hop, latency, ev);
                    } else {
                        self.sched.after(latency.saturating_add(extra), ev);
                    }
                }
                Some(r) => self.fail_later(job.req, job.attempt, latency.saturating_add(extra), r),
            }
        }
        match next {
            Some(job) => self.start_job(inst, slot, job.demand),
            None => {
                self.touch_busy(inst);
                self.terminate_if_drained(inst);
            }
        }
    }

    /// Brings the busy-worker count of `inst` (its CPU) up to date.
    #[inline]
    pub(super) fn touch_busy(&mut self, inst: u32) {
        let now = self.now();
        let i = &mut self.instances[inst as usize];
        let b = i.workers.occupied() as u32;
        if b != i.busy {
            i.busy_area = i.busy_area(now);
            i.busy_since = now;
            let delta = i64::from(b) - i64::from(i.busy);
            i.busy = b;
            self.metrics.busy_workers(now, delta);
        }
    }

    /// Serves queued jobs on free workers (after a hang or a boot).
    fn fill_workers(&mut self, inst: u32) {
        for (slot, job) in self.instances[inst as usize].workers.fill() {
            self.start_job(inst, slot, job.demand);
        }
        self.touch_busy(inst);
    }

    /// Resets every job of `inst`: their clients see a closed connection.
    pub(super) fn reset_jobs(&mut self, inst: u32) {
        let latency = self.s.network.latency;
        for job in self.instances[inst as usize].take_jobs() {
            self.fail_later(job.req, job.attempt, latency, DropReason::ConnectionReset);
        }
        self.touch_busy(inst);
    }

    /// Re-derives the instance's status after its flags changed and applies
    /// the transition.
    pub(super) fn refresh_instance(&mut self, inst: u32) {
        let boot_time = self.s.app.boot_time;
        let i = &mut self.instances[inst as usize];
        let old = i.status;
        // Leaving a down state starts a boot (power-on or restart).
        if old.is_down() && !i.derived_status().is_down() && boot_time > 0 {
            i.booting = true;
        }
        let new = i.derived_status();
        if old == new {
            return;
        }
        i.status = new;
        i.epoch = i.epoch.wrapping_add(1);
        let epoch = i.epoch;
        if old.runs() != new.runs() {
            self.running_changed(new.runs());
        }
        if new.is_down() && !old.is_down() {
            // The process is gone, and the sessions in its memory with it.
            self.sessions_instance_died(inst);
        }
        let i = &mut self.instances[inst as usize];
        match new {
            Status::Off => {
                // Power loss: work vanishes silently; clients time out.
                i.booting = false;
                let _ = i.take_jobs();
                self.touch_busy(inst);
            }
            Status::Crashed => {
                i.booting = false;
                self.reset_jobs(inst);
            }
            Status::Booting => {
                self.sched
                    .after(self.s.app.boot_time, Event::BootDone { inst, epoch });
            }
            Status::Hung => {} // Jobs stay, frozen; completions are void.
            Status::Up => {
                if old == Status::Hung {
                    // The process resumes: frozen jobs start over.
                    for (slot, demand) in i.thaw() {
                        self.start_job(inst, slot, demand);
                    }
                }
                self.fill_workers(inst);
                self.cold_standby_running(inst);
                self.faults_notice_healthy(inst);
            }
        }
        self.fleet_changed();
        let now = self.now();
        self.trace.emit(now, || TraceEvent::InstanceStatus {
            instance: self.names[inst as usize].clone(),
            status: new.name(),
        });
    }

    pub(super) fn on_boot_done(&mut self, inst: u32, epoch: u32) {
        let i = &mut self.instances[inst as usize];
        if i.epoch == epoch && i.booting {
            i.booting = false;
            self.refresh_instance(inst);
        }
    }
}
