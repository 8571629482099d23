//! `summary.json`: the run's numbers under stable field names.

use serde::Serialize;

use crate::engine::{NANOS_PER_SEC, SimTime, as_secs_f64};
use crate::metrics::{
    AlarmChange, AlarmOutcome, CapacitySummary, Confidence, DropReason, LatencySummary, Verdict,
};
use crate::model::{AsgReport, DbFailover, Invariants, RunOutput};
use crate::scenario::{
    Database, DbMode, FaultKind, LatencyTarget, Rule, Scenario, format_duration as fd,
};

/// Dropped requests by reason.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dropped {
    pub total: u64,
    pub no_healthy_target: u64,
    pub connection_reset: u64,
    pub timeout: u64,
    pub queue_full: u64,
    pub lb_unreachable: u64,
    pub db_unavailable: u64,
    pub session_lost: u64,
    pub session_store_unavailable: u64,
    pub circuit_open: u64,
    pub load_shed: u64,
}

impl Dropped {
    /// (reason, count) in report order.
    pub fn by_reason(&self) -> [(&'static str, u64); 10] {
        [
            ("no_healthy_target", self.no_healthy_target),
            ("connection_reset", self.connection_reset),
            ("timeout", self.timeout),
            ("queue_full", self.queue_full),
            ("lb_unreachable", self.lb_unreachable),
            ("db_unavailable", self.db_unavailable),
            ("session_lost", self.session_lost),
            ("session_store_unavailable", self.session_store_unavailable),
            ("circuit_open", self.circuit_open),
            ("load_shed", self.load_shed),
        ]
    }
}

/// One primary failure of the database, in seconds of simulated time.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DbFailoverSummary {
    pub start_s: f64,
    /// The failure was noticed.
    pub detected_s: Option<f64>,
    /// A standby became the primary.
    pub promoted_s: Option<f64>,
    /// The last app instance reached the new primary (DNS or proxy).
    pub endpoint_switched_s: Option<f64>,
    /// The old primary served again without a promotion.
    pub repaired_s: Option<f64>,
    /// Seconds from the failure until every app instance had a primary.
    pub write_outage_s: Option<f64>,
    /// Acknowledged writes that never reached the promoted standby.
    pub lost_writes: u64,
}

/// The database tier's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DatabaseSummary {
    pub mode: &'static str,
    pub replication: &'static str,
    /// `dns` or `proxy`; `direct` for `multi_writer` (each app instance
    /// connects to a writer itself).
    pub endpoint: &'static str,
    pub nodes: u32,
    /// Nodes that accept writes: 1, or the writers of `multi_writer`.
    pub writers: u32,
    pub failovers: Vec<DbFailoverSummary>,
    /// Sum over failovers (RPO in writes).
    pub lost_writes: u64,
    /// App-to-database calls over the whole run, and how many failed.
    pub calls: u64,
    pub calls_failed: u64,
    pub write_errors: u64,
    pub queries: u64,
    /// Writes acknowledged over the whole run.
    pub writes: u64,
    /// `multi_writer`: acknowledged writes to a key another writer had
    /// written and not yet replicated to this one; last-writer-wins
    /// silently discards one of the two (0 in the single-primary modes).
    pub write_conflicts: u64,
    /// Seconds of the measured period (warm-up to end) inside a failover:
    /// from a primary's (or writer's) failure until every app instance
    /// reached a primary again or the old one was repaired (the union of
    /// the failovers' write outages; an open one lasts to the end).
    pub unavailable_s: f64,
    /// `unavailable_s` over the measured period (0 when it is empty).
    pub unavailable_fraction: f64,
}

/// The cache's figures over the whole run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CacheSummary {
    pub configured_hit_ratio: f64,
    pub hits: u64,
    pub misses: u64,
    /// hits / (hits + misses); `null` without reads.
    pub hit_ratio: Option<f64>,
    pub failovers: u32,
}

/// The session store's figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SessionStoreSummary {
    pub failovers: u32,
}

/// What the app tier cost, in instance-hours.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CostSummary {
    /// App instance-hours: the Auto Scaling Group's `instance_hours` when
    /// there is a group, else the provisioned fleet, instances x duration
    /// (a crashed or powered-off instance is still provisioned and paid for).
    pub instance_hours: f64,
    /// Hours of app instances registered in standby AZs (0 without
    /// `load_balancer.standby_azs`).
    pub standby_instance_hours: f64,
    /// The part of `standby_instance_hours` during which no load balancer
    /// node that was up routed to the standby: paid for and idle.
    pub idle_standby_hours: f64,
    /// Database node-hours: every node (primary, standbys, replicas,
    /// writers) x duration; a failed node is still provisioned.
    pub db_node_hours: f64,
    /// The part of `db_node_hours` on failover targets that serve nothing
    /// while they wait: a Multi-AZ standby always, cluster standbys and
    /// Aurora replicas when reads stay on the primary; never writers.
    pub db_idle_standby_hours: f64,
}

/// What the clients' retry policy and circuit breaker did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClientSummary {
    /// Retry attempts sent by requests issued after warm-up.
    pub retries: u64,
    /// Retries the retry budget refused (each ended its request), of
    /// requests issued after warm-up.
    pub retries_refused_by_budget: u64,
    /// Times the circuit breaker opened, over the whole run.
    pub circuit_opened: u32,
    /// Seconds it spent open, over the whole run.
    pub circuit_open_s: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Requests {
    /// Requests issued after warm-up.
    pub total: u64,
    pub succeeded: u64,
    pub dropped: Dropped,
    /// Issued but neither succeeded nor dropped when the run ended.
    pub in_flight: u64,
}

/// One injected fault and its phases, in seconds of simulated time.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FaultSummary {
    pub kind: &'static str,
    /// What it hit, e.g. `az a` or `instance a-1`.
    pub target: String,
    pub start_s: f64,
    pub end_s: Option<f64>,
    /// False when the fault starts after the end of the run.
    pub started: bool,
    /// First component that noticed (the LB marking a target unhealthy).
    pub detected_s: Option<f64>,
    /// Success ratio back at or above the threshold (traffic restored).
    pub recovered_s: Option<f64>,
    /// Every target the fault took out healthy again.
    pub capacity_restored_s: Option<f64>,
    pub failover_latency_s: Option<f64>,
    /// The success ratio never went below the threshold.
    pub masked: bool,
    /// `masked`, `recovered`, `not_recovered`, `no_traffic`, or
    /// `not_started` (the fault starts after the end of the run).
    pub verdict: &'static str,
    /// Requests dropped from the start until recovery.
    pub dropped: u64,
    /// The first alarm that fired after the fault started (and before its
    /// effects were over: its end, recovery and capacity restoration, or
    /// the end of the run), and when.
    pub alarm: Option<String>,
    pub alarm_s: Option<f64>,
    /// From the fault's start until that alarm fired.
    pub time_to_detect_s: Option<f64>,
}

/// One alarm of the `monitoring` block and what it did.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AlarmSummary {
    pub name: String,
    /// `success_ratio < 99%`, `latency p99 > 500ms` ...
    pub condition: String,
    /// `3 of 3 datapoints of 1m`, or `for 2m, over 1m every 1m`.
    pub rule: String,
    /// Times it went into ALARM.
    pub fired: u32,
    pub first_fired_s: Option<f64>,
    /// Seconds spent in ALARM.
    pub alarm_s: f64,
    /// Every state change: `alarm` or `ok`, with the deciding datapoint.
    pub changes: Vec<AlarmChange>,
}

/// Route 53 failover routing between regions (`dns:`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DnsSummary {
    pub routing: &'static str,
    pub primary: String,
    pub secondary: String,
    /// Every change of the answer: failovers and failbacks.
    pub changes: Vec<DnsChangeSummary>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DnsChangeSummary {
    pub at_s: f64,
    pub from: String,
    pub to: String,
    /// One TTL later every client resolves to `to`; `null` if the run
    /// ended first or the answer changed again.
    pub clients_moved_s: Option<f64>,
}

/// The machine-readable result of one run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub scenario: String,
    pub description: String,
    pub seed: u64,
    pub sim_version: &'static str,
    pub duration_s: f64,
    pub warmup_s: f64,
    pub requests: Requests,
    /// Attempts of counted requests (retries included).
    pub attempts: u64,
    pub attempts_per_request: Option<f64>,
    /// Of `attempts`, those that found every worker of their instance busy
    /// and waited in its queue: `attempts_queued / attempts` is the
    /// probability of waiting (Erlang C's C(c, a) for an M/M/c instance).
    pub attempts_queued: u64,
    /// Retries, budget refusals and the circuit breaker (zeros when unused).
    pub client: ClientSummary,
    /// Succeeded / (succeeded + dropped) of requests issued after warm-up;
    /// `null` when none has an outcome.
    pub availability: Option<f64>,
    /// Of succeeded requests, retries included; `null` when none succeeded.
    pub latency_ms: Option<LatencySummary>,
    pub faults: Vec<FaultSummary>,
    pub capacity: CapacitySummary,
    /// Batch-means 95 % confidence intervals of the mean latency, the
    /// availability and the throughput (the measured period cut into 20
    /// batches); `null` when the measured period is empty.
    pub confidence: Option<Confidence>,
    /// Where sessions live: `jwt`, `sticky` or `external`.
    pub sessions: &'static str,
    /// Sessions whose data was lost over the whole run.
    pub sessions_lost: u64,
    pub database: Option<DatabaseSummary>,
    pub cache: Option<CacheSummary>,
    pub session_store: Option<SessionStoreSummary>,
    /// Route 53 failover between regions; left out of summary.json
    /// without `dns:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsSummary>,
    /// What the Auto Scaling Group did, when there is one.
    pub autoscaling: Option<AsgReport>,
    /// Instance-hours of the app tier and of its standby.
    pub cost: CostSummary,
    /// The monitoring block's alarms.
    pub alarms: Vec<AlarmSummary>,
    /// Little's law over the whole run (L, lambda, W) and any invariant
    /// that failed (none, or the run exits 3).
    pub invariants: Invariants,
    pub events_processed: u64,
    /// FNV-1a of the processed (time, kind, target) stream, hex.
    pub event_hash: String,
}

fn secs(t: SimTime) -> f64 {
    as_secs_f64(t)
}

/// Instance-nanoseconds as instance-hours.
fn hours(instance_ns: u128) -> f64 {
    instance_ns as f64 / (3600.0 * NANOS_PER_SEC as f64)
}

fn fault_target(s: &Scenario, kind: &FaultKind) -> String {
    match *kind {
        FaultKind::InstanceCrash { instance } | FaultKind::InstanceHang { instance } => {
            format!("instance {}", s.instance_name(instance))
        }
        FaultKind::AzOutage { az } => format!("az {}", s.azs[az]),
        FaultKind::RegionOutage { region } => format!("region {}", s.regions[region].name),
        FaultKind::Latency { target, .. } => match target {
            LatencyTarget::Az(az) => format!("az {}", s.azs[az]),
            LatencyTarget::Instance(i) => format!("instance {}", s.instance_name(i)),
        },
        // A multi-writer database has no primary: the fault hits writer 0.
        FaultKind::DbPrimaryFailure
            if s.database.as_ref().map(|d| d.mode) == Some(DbMode::MultiWriter) =>
        {
            "database writer 0".into()
        }
        FaultKind::DbPrimaryFailure => "database primary".into(),
        FaultKind::DbStandbyFailure => "database standby".into(),
        FaultKind::CacheFailure => "cache primary".into(),
        FaultKind::SessionStoreFailure => "session store primary".into(),
    }
}

/// Nanoseconds of [from, to) covered by the failovers' outages, each from
/// its start until the endpoint switched or the primary was repaired (to
/// `to` if neither happened). Outages may overlap: a new primary can fail
/// before every app instance reached it.
fn unavailable_ns(failovers: &[DbFailover], from: SimTime, to: SimTime) -> SimTime {
    let mut covered = 0;
    // Failovers are recorded in start order: a sweep with the furthest
    // end so far counts each instant once.
    let mut reached = from;
    for f in failovers {
        let back = f.endpoint_switched.or(f.repaired).unwrap_or(to).min(to);
        let start = f.start.max(reached);
        if back > start {
            covered += back - start;
            reached = back;
        }
    }
    covered
}

fn database(s: &Scenario, db: &Database, out: &RunOutput) -> DatabaseSummary {
    let t = &out.metrics.tier;
    let measured = s.duration.saturating_sub(s.warmup);
    let unavailable = unavailable_ns(&out.db_failovers, s.warmup, s.duration);
    let failovers: Vec<DbFailoverSummary> = out
        .db_failovers
        .iter()
        .map(|f| {
            let back = f.endpoint_switched.or(f.repaired);
            DbFailoverSummary {
                start_s: secs(f.start),
                detected_s: f.detected.map(secs),
                promoted_s: f.promoted.map(secs),
                endpoint_switched_s: f.endpoint_switched.map(secs),
                repaired_s: f.repaired.map(secs),
                write_outage_s: back.map(|b| secs(b - f.start)),
                lost_writes: f.lost_writes,
            }
        })
        .collect();
    DatabaseSummary {
        mode: db.mode.name(),
        replication: db.replication.name(),
        endpoint: if db.mode == DbMode::MultiWriter {
            "direct"
        } else {
            db.endpoint.name()
        },
        nodes: db.node_count(),
        writers: db.writers,
        lost_writes: failovers.iter().map(|f| f.lost_writes).sum(),
        failovers,
        calls: t.db_calls,
        calls_failed: t.db_calls_failed,
        write_errors: t.db_write_errors,
        queries: t.db_queries,
        writes: t.db_writes,
        write_conflicts: t.db_write_conflicts,
        unavailable_s: secs(unavailable),
        unavailable_fraction: if measured > 0 {
            unavailable as f64 / measured as f64
        } else {
            0.0
        },
    }
}

impl Summary {
    /// Builds the summary of `out`, a run of `s`.
    pub fn new(s: &Scenario, out: &RunOutput) -> Summary {
        let m = &out.metrics;
        let c = &m.counts;
        let d = |r: DropReason| c.dropped[r as usize];
        let faults = s
            .faults
            .iter()
            .zip(&out.faults)
            .map(|(f, o)| FaultSummary {
                kind: f.kind.name(),
                target: fault_target(s, &f.kind),
                start_s: secs(f.at),
                end_s: f.duration.map(|d| secs(f.at.saturating_add(d))),
                started: o.is_some(),
                detected_s: o.as_ref().and_then(|o| o.detected).map(secs),
                recovered_s: o.as_ref().and_then(|o| o.recovered).map(secs),
                capacity_restored_s: o.as_ref().and_then(|o| o.capacity_restored).map(secs),
                failover_latency_s: o.as_ref().and_then(|o| o.failover_latency).map(secs),
                masked: o.as_ref().is_some_and(|o| o.verdict == Verdict::Masked),
                verdict: o.as_ref().map_or("not_started", |o| o.verdict.name()),
                dropped: o.as_ref().map_or(0, |o| o.dropped),
                alarm: None,
                alarm_s: None,
                time_to_detect_s: None,
            })
            .collect::<Vec<_>>();
        let mut faults = faults;
        for (f, spec) in faults.iter_mut().zip(&s.faults).filter(|(f, _)| f.started) {
            // Its effects last until its end, recovery and capacity
            // restoration, whichever is last; to the end of the run when it
            // has no end, never recovered, or took out targets that never
            // came back.
            let hit_targets = matches!(
                spec.kind,
                FaultKind::InstanceCrash { .. }
                    | FaultKind::InstanceHang { .. }
                    | FaultKind::AzOutage { .. }
                    | FaultKind::RegionOutage { .. }
                    | FaultKind::Latency { .. }
            );
            let open = f.end_s.is_none()
                || f.verdict == "not_recovered"
                || (hit_targets && f.capacity_restored_s.is_none());
            let until = if open {
                SimTime::MAX
            } else {
                [f.end_s, f.recovered_s, f.capacity_restored_s]
                    .into_iter()
                    .flatten()
                    .map(|t| (t * 1e9).round() as SimTime)
                    .max()
                    .unwrap_or(spec.at)
            };
            // A datapoint that ends at the fault's start saw none of it: the
            // alarm must fire strictly after the start.
            let first = m
                .alarms
                .iter()
                .flat_map(|a| a.changes.iter().map(move |c| (c, &a.alarm.name)))
                .filter(|(c, _)| c.fired() && c.at > spec.at && c.at <= until)
                .min_by_key(|(c, _)| c.at);
            if let Some((c, name)) = first {
                f.alarm = Some(name.clone());
                f.alarm_s = Some(c.at_s);
                f.time_to_detect_s = Some(secs(c.at - spec.at));
            }
        }
        Summary {
            scenario: s.name.clone(),
            description: s.description.clone(),
            seed: s.seed,
            sim_version: env!("CARGO_PKG_VERSION"),
            duration_s: secs(s.duration),
            warmup_s: secs(s.warmup),
            requests: Requests {
                total: c.issued,
                succeeded: c.succeeded,
                dropped: Dropped {
                    total: c.dropped_total(),
                    no_healthy_target: d(DropReason::NoHealthyTarget),
                    connection_reset: d(DropReason::ConnectionReset),
                    timeout: d(DropReason::Timeout),
                    queue_full: d(DropReason::QueueFull),
                    lb_unreachable: d(DropReason::LbUnreachable),
                    db_unavailable: d(DropReason::DbUnavailable),
                    session_lost: d(DropReason::SessionLost),
                    session_store_unavailable: d(DropReason::SessionStoreUnavailable),
                    circuit_open: d(DropReason::CircuitOpen),
                    load_shed: d(DropReason::LoadShed),
                },
                in_flight: m.in_flight,
            },
            attempts: m.attempts,
            attempts_per_request: (c.issued > 0).then(|| m.attempts as f64 / c.issued as f64),
            attempts_queued: m.queued,
            client: ClientSummary {
                retries: m.client.retries,
                retries_refused_by_budget: m.client.retries_refused,
                circuit_opened: out.circuit_opened,
                circuit_open_s: secs(out.circuit_open),
            },
            // Requests still in flight at the end have no outcome yet: they
            // count neither as successes nor as failures.
            availability: {
                let resolved = c.succeeded + c.dropped_total();
                (resolved > 0).then(|| c.succeeded as f64 / resolved as f64)
            },
            latency_ms: m.latency.clone(),
            faults,
            capacity: m.capacity.clone(),
            confidence: m.confidence.clone(),
            sessions: s.app.sessions.name(),
            sessions_lost: m.tier.sessions_lost,
            database: s.database.as_ref().map(|db| database(s, db, out)),
            cache: s.cache.as_ref().map(|c| {
                let t = &m.tier;
                let reads = t.cache_hits + t.cache_misses;
                CacheSummary {
                    configured_hit_ratio: c.hit_ratio,
                    hits: t.cache_hits,
                    misses: t.cache_misses,
                    hit_ratio: (reads > 0).then(|| t.cache_hits as f64 / reads as f64),
                    failovers: out.cache_failovers,
                }
            }),
            session_store: s.session_store.as_ref().map(|_| SessionStoreSummary {
                failovers: out.session_store_failovers,
            }),
            dns: s.dns.as_ref().map(|d| {
                let name = |r: usize| s.regions[r].name.clone();
                DnsSummary {
                    routing: "failover",
                    primary: name(d.primary),
                    secondary: name(d.secondary),
                    changes: out
                        .dns_changes
                        .iter()
                        .map(|c| DnsChangeSummary {
                            at_s: secs(c.at),
                            from: name(c.from),
                            to: name(c.to),
                            clients_moved_s: c.settled.map(secs),
                        })
                        .collect(),
                }
            }),
            autoscaling: out.autoscaling.clone(),
            cost: CostSummary {
                instance_hours: out.autoscaling.as_ref().map_or_else(
                    // A stopped cold standby is not paid for.
                    || {
                        hours(
                            (s.instance_count() as u128 * u128::from(s.duration))
                                .saturating_sub(out.stopped_standby_ns),
                        )
                    },
                    |a| a.instance_hours,
                ),
                standby_instance_hours: hours(out.standby_instance_ns),
                idle_standby_hours: hours(out.idle_standby_ns),
                db_node_hours: s.database.as_ref().map_or(0.0, |d| {
                    hours(u128::from(d.node_count()) * u128::from(s.duration))
                }),
                db_idle_standby_hours: s.database.as_ref().map_or(0.0, |d| {
                    hours(u128::from(d.idle_standbys()) * u128::from(s.duration))
                }),
            },
            alarms: m
                .alarms
                .iter()
                .map(|a| alarm_summary(a, s.duration))
                .collect(),
            invariants: out.invariants.clone(),
            events_processed: out.events_processed,
            event_hash: format!("{:016x}", out.event_hash),
        }
    }
}

fn alarm_summary(o: &AlarmOutcome, duration: SimTime) -> AlarmSummary {
    let a = &o.alarm;
    let rule = match a.rule {
        Rule::CloudWatch {
            period,
            evaluation_periods,
            datapoints,
            ..
        } => format!(
            "{datapoints} of {evaluation_periods} datapoints of {}",
            fd(period)
        ),
        Rule::Prometheus { range, for_ } => format!("for {} over {}", fd(for_), fd(range)),
    };
    // Time in ALARM: from each firing to the next clearing or the end.
    let mut alarm_ns: SimTime = 0;
    let mut since = None;
    for c in &o.changes {
        match (c.fired(), since) {
            (true, None) => since = Some(c.at),
            (false, Some(t)) => {
                alarm_ns += c.at - t;
                since = None;
            }
            _ => {}
        }
    }
    if let Some(t) = since {
        alarm_ns += duration.saturating_sub(t);
    }
    AlarmSummary {
        name: a.name.clone(),
        condition: a.condition(),
        rule,
        fired: o.changes.iter().filter(|c| c.fired()).count() as u32,
        first_fired_s: o.changes.iter().find(|c| c.fired()).map(|c| c.at_s),
        alarm_s: secs(alarm_ns),
        changes: o.changes.clone(),
    }
}
