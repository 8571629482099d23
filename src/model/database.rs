//! The database tier: a primary, its failover targets (standby, cluster
//! standbys or Aurora replicas) and read replicas, each a node with query
//! workers and a bounded queue.
//!
//! A failover has three phases. The primary fails; `detection` later the
//! service notices; `promotion` later a standby serves as the new primary;
//! then each app instance moves to it. Through a DNS endpoint an instance
//! keeps the old address until its cached record expires (uniform over the
//! TTL, independently per instance) and then reconnects; through a proxy
//! every instance moves `proxy_switch` after the promotion, without DNS.
//!
//! Lost writes (RPO): under async replication a write acknowledged at time
//! t reaches the standby at t + lag. The writes whose copy is still on the
//! way when the primary fails are gone if a standby is promoted.
//!
//! `multi_writer` has no primary and no promotion: see `multi_writer.rs`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;

use super::dist::{Sampler, UpDown};
use super::multi_writer::MultiWriter;
use super::workers::Workers;
use super::{Event, Sim, trace::TraceEvent};
use crate::engine::{SimTime, Stream, stream};
use crate::scenario::{Database, DbMode, Endpoint, Reads, Replication, Scenario};

/// What a node does in the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Takes writes (and reads).
    Primary,
    /// A failover target.
    Standby,
    /// An asynchronous read replica, never promoted automatically.
    Replica,
    /// One of the writers of a `multi_writer` database (reads and writes).
    Writer,
}

/// A query job: the database work of one request, from one app worker.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DbJob {
    /// Global worker slot of the app instance waiting for it.
    pub gslot: u32,
    /// The app instance's epoch when it sent the call.
    pub epoch: u32,
    pub demand: SimTime,
    pub queries: u32,
    pub writes: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct DbNode {
    pub az: usize,
    pub role: Role,
    pub crashed: u16,
    pub off: u16,
    pub random_down: bool,
    /// Whether the node was up after its last status refresh.
    was_up: bool,
    /// Missed writes while down and has not resynced from a live primary
    /// since: it may not be promoted (no failover to an out-of-sync
    /// standby).
    stale: bool,
    /// Bumped when the node's jobs are void (it went down).
    epoch: u32,
    workers: Workers<DbJob>,
}

impl DbNode {
    pub fn up(&self) -> bool {
        self.crashed == 0 && self.off == 0 && !self.random_down
    }
}

/// One primary failure and how the service got a primary back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DbFailover {
    pub start: SimTime,
    pub detected: Option<SimTime>,
    pub promoted: Option<SimTime>,
    /// When the last app instance reached the new primary.
    pub endpoint_switched: Option<SimTime>,
    /// The old primary served again without a promotion (single mode, or
    /// back before detection).
    pub repaired: Option<SimTime>,
    pub lost_writes: u64,
}

pub(crate) struct Db {
    pub nodes: Vec<DbNode>,
    pub primary: usize,
    mode: DbMode,
    replication: Replication,
    endpoint: Endpoint,
    reads: Reads,
    dns_ttl: SimTime,
    reconnect_time: SimTime,
    proxy_switch: SimTime,
    pub(super) detection: SimTime,
    promotion: SimTime,
    /// Per app instance: the node its connections reach, the node it will
    /// reach from `switch_at` on.
    resolved: Vec<u32>,
    pending: Vec<u32>,
    switch_at: Vec<SimTime>,
    /// The node the endpoint's DNS name answers with now (what a newly
    /// launched app instance resolves).
    answer: u32,
    reader_cursor: usize,
    /// Acknowledged writes not yet on the standby: (arrival there, count).
    in_transit: BinaryHeap<Reverse<(SimTime, u32)>>,
    /// Bumped to void pending detection and promotion events.
    pub epoch: u32,
    /// The failover target being promoted.
    promoting: Option<usize>,
    /// The primary is down and no standby can take over yet.
    waiting: bool,
    /// A primary failure is being handled (the last record is open).
    open: bool,
    /// The node whose failure opened it.
    failed: usize,
    /// Acknowledged writes still on their way to the standbys when the
    /// primary failed: lost if a standby is promoted.
    at_risk: u64,
    pub failovers: Vec<DbFailover>,
    query_time: Sampler,
    lag: Sampler,
    query_rng: Stream,
    lag_rng: Stream,
    dns_rng: Stream,
    pub failure_rngs: Vec<Stream>,
    pub random: Option<UpDown>,
    /// The writers' routing, replication and keys (`multi_writer` only).
    pub mw: Option<MultiWriter>,
}

impl Db {
    pub(crate) fn new(s: &Scenario, d: &Database) -> Db {
        let n = d.node_count() as usize;
        let standbys = d.standbys() as usize;
        let nodes = (0..n)
            .map(|k| DbNode {
                az: d.node_az(k, s.azs.len()),
                role: match k {
                    _ if d.mode == DbMode::MultiWriter => Role::Writer,
                    0 => Role::Primary,
                    k if k <= standbys => Role::Standby,
                    _ => Role::Replica,
                },
                crashed: 0,
                off: 0,
                random_down: false,
                was_up: true,
                stale: false,
                epoch: 0,
                workers: Workers::new(d.workers, d.queue_capacity),
            })
            .collect();
        let apps = s.instance_count();
        Db {
            nodes,
            primary: 0,
            mode: d.mode,
            replication: d.replication,
            endpoint: d.endpoint,
            reads: d.reads,
            dns_ttl: d.dns_ttl,
            reconnect_time: d.reconnect_time,
            proxy_switch: d.proxy_switch,
            detection: d.detection,
            promotion: d.promotion,
            resolved: vec![0; apps],
            pending: vec![0; apps],
            switch_at: vec![0; apps],
            answer: 0,
            reader_cursor: 0,
            in_transit: BinaryHeap::new(),
            epoch: 0,
            promoting: None,
            waiting: false,
            open: false,
            failed: 0,
            at_risk: 0,
            failovers: Vec::new(),
            query_time: Sampler::new(d.query_time),
            lag: Sampler::new(d.replication_lag),
            query_rng: stream(s.seed, "db.query"),
            lag_rng: stream(s.seed, "db.replication"),
            dns_rng: stream(s.seed, "db.dns"),
            failure_rngs: (0..n)
                .map(|k| stream(s.seed, &format!("db.{k}.failures")))
                .collect(),
            random: d.failures.map(UpDown::new),
            mw: (d.mode == DbMode::MultiWriter).then(|| MultiWriter::new(s, d)),
        }
    }

    /// One replication lag.
    pub(super) fn sample_lag(&mut self) -> SimTime {
        self.lag.sample(&mut self.lag_rng)
    }

    /// App instance slot `inst` was launched: it resolves the endpoint now.
    pub(crate) fn app_launched(&mut self, inst: usize) {
        if self.resolved.len() <= inst {
            self.resolved.resize(inst + 1, 0);
            self.pending.resize(inst + 1, 0);
            self.switch_at.resize(inst + 1, 0);
        }
        self.resolved[inst] = self.answer;
        self.pending[inst] = self.answer;
        self.switch_at[inst] = 0;
    }

    /// The node app instance `inst`, in AZ `az`, sends a call to at `now`.
    pub(crate) fn route(&mut self, inst: usize, az: usize, writes: bool, now: SimTime) -> u32 {
        if let Some(mw) = &self.mw {
            return mw.route(az) as u32;
        }
        if !writes && self.reads == Reads::Replicas {
            let n = self.nodes.len();
            for k in 1..=n {
                let i = (self.reader_cursor + k) % n;
                if self.nodes[i].up() && self.readable(i) {
                    self.reader_cursor = i;
                    return i as u32;
                }
            }
        }
        if now >= self.switch_at[inst] {
            self.resolved[inst] = self.pending[inst];
        }
        self.resolved[inst]
    }

    /// Whether `node` serves reads while not primary: read replicas, and
    /// the standbys of a cluster or Aurora (not a Multi-AZ instance's).
    fn readable(&self, node: usize) -> bool {
        match self.nodes[node].role {
            Role::Replica => true,
            Role::Standby => matches!(self.mode, DbMode::MultiAzCluster | DbMode::Aurora),
            Role::Primary => false,
            Role::Writer => true,
        }
    }

    /// Whether `node` can take this call now.
    fn accepts(&self, node: usize, writes: bool) -> bool {
        let nd = &self.nodes[node];
        nd.up()
            && (matches!(nd.role, Role::Primary | Role::Writer) || (!writes && self.readable(node)))
    }

    /// The time the queries of one call need, commit wait included.
    fn demand(&mut self, queries: u32, writes: u32, rtt: SimTime) -> SimTime {
        let mut t: SimTime = 0;
        for _ in 0..queries {
            t = t.saturating_add(self.query_time.sample(&mut self.query_rng));
        }
        // A synchronous commit waits for the standby (or, for Aurora, the
        // storage quorum in other AZs): one cross-AZ round trip.
        let waits = writes > 0
            && self.replication == Replication::Sync
            && match self.mode {
                // Writers replicate asynchronously (validated).
                DbMode::Single | DbMode::MultiWriter => false,
                DbMode::Aurora => true,
                DbMode::MultiAz | DbMode::MultiAzCluster => {
                    self.nodes.iter().any(|n| n.role == Role::Standby && n.up())
                }
            };
        if waits { t.saturating_add(rtt) } else { t }
    }

    /// Writes acknowledged at `now` start their way to the standby; nodes
    /// that are down miss them.
    fn acknowledged(&mut self, now: SimTime, writes: u32) {
        if writes == 0 {
            return;
        }
        for n in &mut self.nodes {
            if !n.up() {
                n.stale = true;
            }
        }
        if self.replication != Replication::Async {
            return;
        }
        self.forget_replicated(now);
        let lag = self.lag.sample(&mut self.lag_rng);
        self.in_transit
            .push(Reverse((now.saturating_add(lag), writes)));
    }

    /// Drops the writes that reached the standby by `now`.
    fn forget_replicated(&mut self, now: SimTime) {
        while let Some(Reverse((at, _))) = self.in_transit.peek() {
            if *at > now {
                break;
            }
            self.in_transit.pop();
        }
    }

    /// First failover target that is up and in sync, in node order.
    fn candidate(&self) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.role == Role::Standby && n.up() && !n.stale)
    }

    /// Up nodes copy the live primary's data again.
    fn resync(&mut self) {
        if self.nodes[self.primary].up() && self.nodes[self.primary].role == Role::Primary {
            for n in &mut self.nodes {
                if n.up() {
                    n.stale = false;
                }
            }
        }
    }

    /// The failover target a `db_standby_failure` hits: the one being
    /// promoted, else the first standby (up or not) that is not a fenced old
    /// primary.
    pub(crate) fn first_standby(&self) -> Option<usize> {
        self.promoting.or_else(|| {
            (0..self.nodes.len())
                .find(|&k| k != self.primary && self.nodes[k].role == Role::Standby)
        })
    }
}

impl Sim<'_> {
    fn db(&mut self) -> &mut Db {
        self.db
            .as_mut()
            .expect("database events only with a database")
    }

    /// App worker `gslot` sends its request's queries to the database.
    pub(super) fn db_call(&mut self, inst: u32, gslot: u32, epoch: u32, writes: bool) {
        let now = self.now();
        let az = self.instances[inst as usize].az;
        let node = self.db().route(inst as usize, az, writes, now);
        self.metrics.tier(|t| t.db_calls += 1);
        self.sched.after_on(
            self.lanes.hop,
            self.s.network.latency,
            Event::DbArrive { node, gslot, epoch },
        );
    }

    pub(super) fn on_db_arrive(&mut self, node: u32, gslot: u32, epoch: u32) {
        let Some((queries, writes)) = self.waiting_call(gslot, epoch) else {
            return; // The app instance lost the job (crash, drain).
        };
        let rtt = self.s.network.latency.saturating_mul(2);
        let db = self.db.as_mut().expect("database");
        let n = node as usize;
        if !db.accepts(n, writes > 0) {
            self.db_reply(gslot, epoch, false, writes);
            return;
        }
        let demand = db.demand(queries, writes, rtt);
        let job = DbJob {
            gslot,
            epoch,
            demand,
            queries,
            writes,
        };
        let nd = &mut db.nodes[n];
        if nd.workers.full() {
            // "Too many connections": refused at once.
            self.db_reply(gslot, epoch, false, writes);
        } else if let Some(slot) = nd.workers.place(job) {
            self.start_db_job(node, slot, job.demand);
        }
    }

    /// The database worker in `slot` starts the call it holds.
    fn start_db_job(&mut self, node: u32, slot: u32, demand: SimTime) {
        let epoch = self.db().nodes[node as usize].epoch;
        self.sched
            .after(demand, Event::DbDone { node, slot, epoch });
    }

    pub(super) fn on_db_done(&mut self, node: u32, slot: u32, epoch: u32) {
        let now = self.now();
        let db = self.db();
        let nd = &mut db.nodes[node as usize];
        if nd.epoch != epoch {
            return;
        }
        let (job, next) = nd.workers.finish(slot);
        let role = nd.role;
        match role {
            Role::Primary => db.acknowledged(now, job.writes),
            Role::Writer => self.mw_acknowledged(node as usize, job.writes),
            Role::Standby | Role::Replica => {}
        }
        if matches!(role, Role::Primary | Role::Writer) {
            self.metrics.tier(|t| t.db_writes += u64::from(job.writes));
        }
        let queries = job.queries;
        self.metrics.tier(|t| t.db_queries += u64::from(queries));
        self.db_reply(job.gslot, job.epoch, true, job.writes);
        if let Some(j) = next {
            self.start_db_job(node, slot, j.demand);
        }
    }

    /// The answer to a call travels back to the app worker.
    fn db_reply(&mut self, gslot: u32, epoch: u32, ok: bool, writes: u32) {
        if !ok {
            self.metrics.tier(|t| {
                t.db_calls_failed += 1;
                if writes > 0 {
                    t.db_write_errors += 1;
                }
            });
        }
        self.sched.after_on(
            self.lanes.hop,
            self.s.network.latency,
            Event::DbReply { gslot, epoch, ok },
        );
    }

    /// Re-derives a node's up/down state after its fault counters changed.
    pub(super) fn refresh_db_node(&mut self, node: usize) {
        let now = self.now();
        let db = self.db();
        let nd = &mut db.nodes[node];
        let up = nd.up();
        if up == nd.was_up {
            return;
        }
        nd.was_up = up;
        let role = nd.role;
        if !up {
            // Open connections break: every call on the node fails.
            nd.epoch = nd.epoch.wrapping_add(1);
            for job in nd.workers.take_all() {
                self.db_reply(job.gslot, job.epoch, false, job.writes);
            }
        }
        self.trace.emit(now, || TraceEvent::DbNode {
            node,
            role: role_name(role),
            up,
        });
        match (up, role) {
            (false, Role::Writer) => self.mw_writer_down(node),
            (true, Role::Writer) => self.mw_writer_back(node),
            (false, Role::Primary) => self.db_primary_down(node),
            (true, Role::Primary) => self.db_primary_back(node),
            (true, _) => {
                let db = self.db();
                db.resync();
                if db.open && db.waiting && db.candidate().is_some() {
                    db.waiting = false;
                    let c = db.candidate().expect("checked");
                    self.db_start_promotion(c);
                }
            }
            _ => {}
        }
        if up {
            self.faults_notice_data_up();
        }
    }

    fn db_primary_down(&mut self, node: usize) {
        let now = self.now();
        let db = self.db();
        if db.open {
            return; // Defensive: a fenced old primary has the standby role.
        }
        db.forget_replicated(now);
        db.at_risk = db
            .in_transit
            .iter()
            .map(|Reverse((_, w))| u64::from(*w))
            .sum();
        db.in_transit.clear();
        db.open = true;
        db.failed = node;
        db.failovers.push(DbFailover {
            start: now,
            ..DbFailover::default()
        });
        db.epoch = db.epoch.wrapping_add(1);
        let epoch = db.epoch;
        let detection = db.detection;
        self.sched.after(detection, Event::DbDetect { epoch });
    }

    /// The failed primary serves again.
    fn db_primary_back(&mut self, node: usize) {
        let now = self.now();
        let db = self.db();
        if !db.open {
            return;
        }
        if db.promoting.is_some() {
            // Too late to call the promotion off: the old primary is fenced
            // (takes no writes) and waits as a standby with all its data.
            db.nodes[node].role = Role::Standby;
            db.nodes[node].stale = false;
            return;
        }
        // Back before any promotion: no failover happened, nothing is lost.
        if let Some(f) = db.failovers.last_mut() {
            f.repaired = Some(now);
        }
        db.open = false;
        db.at_risk = 0;
        db.waiting = false;
        db.epoch = db.epoch.wrapping_add(1);
        db.resync();
    }

    pub(super) fn on_db_detect(&mut self, epoch: u32) {
        let now = self.now();
        let db = self.db();
        if db.epoch != epoch {
            return;
        }
        if let Some(f) = db.failovers.last_mut() {
            f.detected = Some(now);
        }
        let primary = db.primary;
        self.faults_notice_db(primary);
        self.trace.emit(now, || TraceEvent::DbFailover {
            phase: "detected",
            node: primary,
        });
        match self.db().candidate() {
            Some(c) => self.db_start_promotion(c),
            None => self.db().waiting = true,
        }
    }

    fn db_start_promotion(&mut self, node: usize) {
        let db = self.db();
        db.promoting = Some(node);
        db.epoch = db.epoch.wrapping_add(1);
        let (epoch, promotion) = (db.epoch, db.promotion);
        self.sched.after(
            promotion,
            Event::DbPromoted {
                epoch,
                node: node as u32,
            },
        );
    }

    pub(super) fn on_db_promoted(&mut self, epoch: u32, node: u32) {
        let now = self.now();
        let n = node as usize;
        let db = self.db();
        if db.epoch != epoch {
            return;
        }
        db.promoting = None;
        if !db.nodes[n].up() {
            // The target died on the way: try the next one.
            match db.candidate() {
                Some(c) => self.db_start_promotion(c),
                None => self.db().waiting = true,
            }
            return;
        }
        let old = db.primary;
        db.nodes[old].role = Role::Standby;
        db.nodes[n].role = Role::Primary;
        db.primary = n;
        db.open = false;
        db.epoch = db.epoch.wrapping_add(1);
        db.resync();
        let mut last = now;
        db.answer = node;
        for i in 0..db.switch_at.len() {
            let delay = match db.endpoint {
                Endpoint::Proxy => db.proxy_switch,
                Endpoint::Dns => {
                    let u: f64 = db.dns_rng.random();
                    let wait = (u * db.dns_ttl as f64) as SimTime;
                    wait.saturating_add(db.reconnect_time)
                }
            };
            // An instance still on an older address moves straight on.
            if now >= db.switch_at[i] {
                db.resolved[i] = db.pending[i];
            }
            db.pending[i] = node;
            db.switch_at[i] = now.saturating_add(delay);
            last = last.max(db.switch_at[i]);
        }
        // Promoting the fenced old primary itself loses nothing.
        let at_risk = std::mem::take(&mut db.at_risk);
        let lost = if n == db.failed { 0 } else { at_risk };
        if let Some(f) = db.failovers.last_mut() {
            f.promoted = Some(now);
            f.endpoint_switched = Some(last);
            f.lost_writes = lost;
        }
        self.trace.emit(now, || TraceEvent::DbFailover {
            phase: "promoted",
            node: n,
        });
    }

    /// Starts the random failure process of every database node.
    pub(super) fn start_db_failures(&mut self) {
        let Some(db) = self.db.as_mut() else { return };
        let Some(random) = db.random else { return };
        for k in 0..db.nodes.len() {
            let t = random.next(false, &mut db.failure_rngs[k]);
            self.sched.after(t, Event::DbRandom { node: k as u32 });
        }
    }

    /// Flips a node between randomly failed and repaired, and schedules the
    /// next flip.
    pub(super) fn on_db_random(&mut self, node: u32) {
        let db = self.db();
        let nd = &mut db.nodes[node as usize];
        nd.random_down = !nd.random_down;
        let down = nd.random_down;
        let random = db.random.expect("scheduled only with failures");
        let t = random.next(down, &mut db.failure_rngs[node as usize]);
        self.sched.after(t, Event::DbRandom { node });
        self.refresh_db_node(node as usize);
    }
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Primary => "primary",
        Role::Standby => "standby",
        Role::Replica => "replica",
        Role::Writer => "writer",
    }
}
