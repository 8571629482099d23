//! Redis-like stores (the cache and the session store): a primary and an
//! optional replica in the next AZ. When the primary fails the store is
//! unavailable until the replica is promoted, one random failover time later
//! (ElastiCache gives no firm figure, so it is a distribution). Without a
//! live replica the store waits for its primary and comes back empty: an
//! in-memory store without persistence loses its data.

use super::dist::{Sampler, UpDown};
use super::{Event, Sim, trace::TraceEvent};
use crate::engine::{SimTime, Stream, stream};
use crate::scenario::{KvStore, Scenario};

/// Which store an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvId {
    Cache = 0,
    Sessions = 1,
}

impl KvId {
    pub fn from_u32(v: u32) -> KvId {
        if v == 0 { KvId::Cache } else { KvId::Sessions }
    }

    pub fn name(self) -> &'static str {
        match self {
            KvId::Cache => "cache",
            KvId::Sessions => "session_store",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct KvNode {
    pub az: usize,
    pub crashed: u16,
    pub off: u16,
    pub random_down: bool,
    was_up: bool,
    /// Holds a current copy of the data (lost with the node's memory,
    /// copied again from a serving primary).
    synced: bool,
}

impl KvNode {
    pub fn up(&self) -> bool {
        self.crashed == 0 && self.off == 0 && !self.random_down
    }
}

pub(crate) struct Kv {
    /// Node 0 starts as primary; node 1 exists only with a replica.
    pub nodes: Vec<KvNode>,
    pub primary: usize,
    /// The store answers (a primary is up and serving).
    pub available: bool,
    /// Bumped to void a pending promotion.
    epoch: u32,
    /// Bumped whenever the data is lost.
    pub data_epoch: u32,
    /// When the store last came back empty.
    pub emptied_at: Option<SimTime>,
    pub failovers: u32,
    failover_time: Sampler,
    failover_rng: Stream,
    pub failure_rngs: Vec<Stream>,
    pub random: Option<UpDown>,
}

impl Kv {
    pub(crate) fn new(s: &Scenario, cfg: &KvStore, id: KvId) -> Kv {
        let n = cfg.node_count();
        let name = id.name();
        Kv {
            nodes: (0..n)
                .map(|k| KvNode {
                    az: cfg.node_az(k, s.azs.len()),
                    was_up: true,
                    synced: true,
                    ..KvNode::default()
                })
                .collect(),
            primary: 0,
            available: true,
            epoch: 0,
            data_epoch: 0,
            emptied_at: None,
            failovers: 0,
            failover_time: Sampler::new(cfg.failover_time),
            failover_rng: stream(s.seed, &format!("{name}.failover")),
            failure_rngs: (0..n)
                .map(|k| stream(s.seed, &format!("{name}.{k}.failures")))
                .collect(),
            random: cfg.failures.map(UpDown::new),
        }
    }

    /// The replica, if it exists and is up.
    fn live_replica(&self) -> Option<usize> {
        let other = 1 - self.primary;
        (self.nodes.len() == 2 && self.nodes[other].up()).then_some(other)
    }

    /// Whether a live replica holds the data.
    fn synced_replica(&self) -> bool {
        self.live_replica().is_some_and(|r| self.nodes[r].synced)
    }
}

impl Sim<'_> {
    pub(super) fn kv(&mut self, id: KvId) -> &mut Kv {
        match id {
            KvId::Cache => self.cache.as_mut(),
            KvId::Sessions => self.store.as_mut(),
        }
        .expect("store events only for configured stores")
    }

    /// Re-derives a node's state after its fault counters changed.
    pub(super) fn refresh_kv_node(&mut self, id: KvId, node: usize) {
        let now = self.now();
        let kv = self.kv(id);
        let nd = &mut kv.nodes[node];
        let up = nd.up();
        if up == nd.was_up {
            return;
        }
        nd.was_up = up;
        self.trace.emit(now, || TraceEvent::StoreNode {
            store: id.name(),
            node,
            up,
        });
        let kv = self.kv(id);
        let is_primary = node == kv.primary;
        if !up {
            // An in-memory store without persistence: its copy is gone.
            kv.nodes[node].synced = false;
        }
        match (up, is_primary) {
            (false, true) => {
                kv.available = false;
                if kv.live_replica().is_some() {
                    self.kv_schedule_failover(id);
                }
            }
            (true, true) if !kv.available => {
                // The primary restarts: it copies the data back from a
                // replica that has it, or starts empty.
                kv.available = true;
                kv.epoch = kv.epoch.wrapping_add(1);
                let keeps = kv.synced_replica();
                kv.nodes[node].synced = true;
                if !keeps {
                    self.kv_data_lost(id);
                }
            }
            // A node back while the primary serves copies its data.
            (true, _) if kv.available => kv.nodes[node].synced = true,
            (true, false) => self.kv_schedule_failover(id),
            _ => {}
        }
        if up {
            self.faults_notice_data_up();
        }
    }

    fn kv_schedule_failover(&mut self, id: KvId) {
        let kv = self.kv(id);
        kv.epoch = kv.epoch.wrapping_add(1);
        let epoch = kv.epoch;
        let t = kv.failover_time.sample(&mut kv.failover_rng);
        self.sched.after(
            t,
            Event::KvFailover {
                store: id as u32,
                epoch,
            },
        );
    }

    pub(super) fn on_kv_failover(&mut self, store: u32, epoch: u32) {
        let id = KvId::from_u32(store);
        let now = self.now();
        let kv = self.kv(id);
        if kv.epoch != epoch || kv.available {
            return;
        }
        let Some(replica) = kv.live_replica() else {
            return; // Waits for a node to come back.
        };
        kv.primary = replica;
        kv.available = true;
        kv.failovers += 1;
        // A replica that restarted while the primary was down is empty.
        let keeps = kv.nodes[replica].synced;
        kv.nodes[replica].synced = true;
        if !keeps {
            self.kv_data_lost(id);
        }
        self.trace.emit(now, || TraceEvent::StoreFailover {
            store: id.name(),
            node: replica,
        });
    }

    /// The store's data is gone: the cache starts cold, sessions are lost.
    fn kv_data_lost(&mut self, id: KvId) {
        let now = self.now();
        let kv = self.kv(id);
        kv.data_epoch = kv.data_epoch.wrapping_add(1);
        kv.emptied_at = Some(now);
        if id == KvId::Sessions {
            self.sessions_store_lost();
        }
    }

    pub(super) fn start_kv_failures(&mut self) {
        for id in [KvId::Cache, KvId::Sessions] {
            let Some(kv) = (match id {
                KvId::Cache => self.cache.as_mut(),
                KvId::Sessions => self.store.as_mut(),
            }) else {
                continue;
            };
            let Some(random) = kv.random else { continue };
            for k in 0..kv.nodes.len() {
                let t = random.next(false, &mut kv.failure_rngs[k]);
                self.sched.after(
                    t,
                    Event::KvRandom {
                        store: id as u32,
                        node: k as u32,
                    },
                );
            }
        }
    }

    pub(super) fn on_kv_random(&mut self, store: u32, node: u32) {
        let id = KvId::from_u32(store);
        let kv = self.kv(id);
        let nd = &mut kv.nodes[node as usize];
        nd.random_down = !nd.random_down;
        let down = nd.random_down;
        let random = kv.random.expect("scheduled only with failures");
        let t = random.next(down, &mut kv.failure_rngs[node as usize]);
        self.sched.after(t, Event::KvRandom { store, node });
        self.refresh_kv_node(id, node as usize);
    }

    /// The share of reads the cache answers at `now`: nothing while it is
    /// unavailable, rising linearly over `warm_time` after it came back empty.
    pub(super) fn cache_hit_ratio(&self, now: SimTime) -> f64 {
        let (Some(kv), Some(cfg)) = (self.cache.as_ref(), self.s.cache.as_ref()) else {
            return 0.0;
        };
        if !kv.available {
            return 0.0;
        }
        match kv.emptied_at {
            Some(at) if cfg.warm_time > 0 && now - at < cfg.warm_time => {
                cfg.hit_ratio * (now - at) as f64 / cfg.warm_time as f64
            }
            _ => cfg.hit_ratio,
        }
    }
}
