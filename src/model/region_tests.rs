//! Regions and Route 53 failover routing: LB nodes route inside their
//! region, a `region_outage` powers off every AZ of a region, Route 53
//! fails over after `failure_threshold` failed probes and clients follow
//! within one TTL, and it fails back the same way.

use super::*;
use crate::engine::{NANOS_PER_MILLI, NANOS_PER_SEC};
use crate::metrics::{Row, VecSink};
use crate::scenario::load_str;

const S: SimTime = NANOS_PER_SEC;

/// Region east (AZs a, b: slots 0-3) serves, west (AZ c: slots 4-5) is
/// the secondary. Route 53 probes every 10 s, threshold 3, TTL 20 s. East
/// loses power from 60 s to 160 s.
const REGIONS: &str = "
azs: [a, b, c]
duration: 4m
network: { latency: 500us }
regions: { east: [a, b], west: [c] }
dns: { routing: failover, primary: east, ttl: 20s, health_check: { interval: 10s, failure_threshold: 3 } }
load_balancer:
  cross_zone: true
  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }
app: { instances_per_az: 2, workers: 4, service_time: { dist: exponential, mean: 10ms }, boot_time: 0s }
workload: { rate: 200/s, timeout: 1s, retries: 0 }
faults:
  - { at: 60s, kind: region_outage, region: east, duration: 100s }
";

const EAST: [usize; 4] = [0, 1, 2, 3];
const WEST: [usize; 2] = [4, 5];

struct Run {
    out: RunOutput,
    rows: Vec<Row>,
    /// (t, busy worker-ns of each instance so far), every second.
    samples: Vec<(SimTime, Vec<u128>)>,
}

impl Run {
    fn busy_at(&self, t: SimTime, slots: &[usize]) -> u128 {
        let (_, busy) = self
            .samples
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .expect("a sample at or before t");
        slots.iter().map(|&i| busy[i]).sum()
    }

    fn times(&self, pick: impl Fn(&TraceEvent) -> bool) -> Vec<SimTime> {
        self.out
            .events
            .iter()
            .filter(|(_, e)| pick(e))
            .map(|(t, _)| *t)
            .collect()
    }

    /// Requests dropped in the buckets that end within [from, to).
    fn dropped(&self, from: SimTime, to: SimTime) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.end > from && r.end <= to)
            .map(|r| r.counts.dropped.iter().sum::<u64>())
            .sum()
    }
}

fn run(yaml: &str) -> Run {
    let s = load_str(yaml, "t.yaml", "t", &[]).unwrap_or_else(|e| panic!("{e}"));
    let topo = Topology::build(&s);
    let rows = VecSink::default();
    let mut sim = Sim::new(&s, &topo, Box::new(VecSink(rows.0.clone())), None);
    sim.start();
    let mut samples = Vec::new();
    let mut t = 0;
    while t < s.duration {
        t = (t + S).min(s.duration);
        sim.run_until(t);
        samples.push((t, sim.instances.iter().map(|i| i.busy_area(t)).collect()));
    }
    let out = sim.finish();
    let rows = rows.0.borrow().clone();
    Run { out, rows, samples }
}

fn r53_failed(e: &TraceEvent) -> bool {
    matches!(e, TraceEvent::Route53CheckFailed { region, threshold: 3 } if region == "east")
}

fn r53_health(healthy: bool) -> impl Fn(&TraceEvent) -> bool {
    move |e| matches!(e, TraceEvent::Route53Health { region, healthy: h } if region == "east" && *h == healthy)
}

fn failover_to(to: &'static str) -> impl Fn(&TraceEvent) -> bool {
    move |e| matches!(e, TraceEvent::DnsFailover { to: t, .. } if t == to)
}

fn settled_on(to: &'static str) -> impl Fn(&TraceEvent) -> bool {
    move |e| matches!(e, TraceEvent::DnsSettled { region } if region == to)
}

#[test]
fn lb_nodes_route_only_to_targets_of_their_own_region() {
    let s = load_str(REGIONS, "t.yaml", "t", &[]).unwrap();
    let topo = Topology::build(&s);
    // Cross-zone inside east; the west node sees only west.
    assert_eq!(topo.targets_of(0), vec![0, 1, 2, 3]);
    assert_eq!(topo.targets_of(1), vec![0, 1, 2, 3]);
    assert_eq!(topo.targets_of(2), vec![4, 5]);
    // Without regions the same file is cross-zone everywhere.
    let one = REGIONS
        .replace("regions: { east: [a, b], west: [c] }\n", "")
        .replace("dns: {", "# dns: {")
        .replace(
            "kind: region_outage, region: east",
            "kind: az_outage, az: a",
        );
    let s = load_str(&one, "t.yaml", "t", &[]).unwrap();
    assert_eq!(Topology::build(&s).targets_of(2), vec![0, 1, 2, 3, 4, 5]);
}

#[test]
fn route53_fails_over_after_threshold_probes_and_clients_move_within_one_ttl() {
    let r = run(REGIONS);
    // The outage powers off every instance of east, none of west.
    let off: Vec<String> = r
        .out
        .events
        .iter()
        .filter_map(|(t, e)| match e {
            TraceEvent::InstanceStatus { instance, status } if *status == "off" => {
                assert_eq!(*t, 60 * S);
                Some(instance.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(off, ["a-1", "a-2", "b-1", "b-2"]);
    // Probes at every 10 s: the one at 60 s already sees the outage, the
    // third failure in a row (80 s) flips the check: (3 - 1) x 10 s.
    assert_eq!(r.times(r53_failed), vec![60 * S]);
    assert_eq!(r.times(r53_health(false)), vec![80 * S]);
    assert_eq!(r.times(failover_to("west")), vec![80 * S]);
    assert_eq!(r.times(settled_on("west")), vec![100 * S]);
    // No client reached the secondary before Route 53 answered with it
    // (the sample at 80 s is taken after the probe; the first attempts
    // there need a network hop), and it serves once clients move.
    assert_eq!(r.busy_at(79 * S, &WEST), 0);
    assert!(r.busy_at(100 * S, &WEST) > r.busy_at(81 * S, &WEST));
    // Dead region until clients move: attempts time out on its nodes.
    let lost = r.dropped(61 * S, 80 * S);
    assert!(lost > 19 * 200 * 9 / 10, "{lost}");
    // After the last cached answer expired (and the timeouts of attempts
    // sent before it, 1 s), nothing is dropped until the outage ends.
    assert_eq!(r.dropped(102 * S, 160 * S), 0);
    let f = r.out.faults[0].as_ref().expect("the fault started");
    let recovered = f.recovered.expect("DNS failover recovers the service");
    assert!(recovered > 80 * S && recovered <= 106 * S, "{recovered}");
}

#[test]
fn a_fault_just_after_a_probe_takes_threshold_intervals_to_detect() {
    let late = REGIONS.replace("at: 60s, kind", "at: 60001ms, kind");
    let r = run(&late);
    assert_eq!(r.times(r53_failed), vec![70 * S]);
    // 3 x 10 s after the fault, less the 1 ms it started after a probe.
    let flip = 60 * S + NANOS_PER_MILLI + 3 * 10 * S - NANOS_PER_MILLI;
    assert_eq!(r.times(r53_health(false)), vec![flip]);
    assert_eq!(r.times(settled_on("west")), vec![flip + 20 * S]);
}

#[test]
fn route53_fails_back_after_threshold_passing_probes() {
    let r = run(REGIONS);
    // East's targets pass their LB checks again after the outage (160 s):
    // the first probe after that passes, and the third passing one in a
    // row fails back.
    let back = r
        .out
        .events
        .iter()
        .find_map(|(t, e)| match e {
            TraceEvent::TargetHealth { instance, health }
                if *health == "healthy" && !instance.starts_with('c') =>
            {
                Some(*t)
            }
            _ => None,
        })
        .expect("east targets turn healthy");
    assert!(back > 160 * S);
    let first_pass = back.div_ceil(10 * S) * 10 * S;
    let fail_back = first_pass + 2 * 10 * S;
    assert_eq!(r.times(r53_health(true)), vec![fail_back]);
    assert_eq!(r.times(failover_to("east")), vec![fail_back]);
    assert_eq!(r.times(settled_on("east")), vec![fail_back + 20 * S]);
    // Clients are back on east: west serves nothing once the last cached
    // answer expired (plus one client timeout for attempts in flight).
    let quiet = fail_back + 21 * S;
    assert!(quiet < 239 * S);
    assert_eq!(r.busy_at(quiet, &WEST), r.busy_at(239 * S, &WEST));
    assert!(r.busy_at(239 * S, &EAST) > r.busy_at(quiet, &EAST));
}

#[test]
fn without_dns_failover_clients_stay_on_the_first_region() {
    let no_dns = REGIONS.replace("dns: {", "# dns: {");
    let r = run(&no_dns);
    assert!(
        r.times(|e| matches!(e, TraceEvent::DnsFailover { .. }))
            .is_empty()
    );
    // The secondary region never serves, and the outage drops everything.
    assert_eq!(r.busy_at(239 * S, &WEST), 0);
    let during = r.dropped(62 * S, 160 * S);
    assert!(during > 97 * 200 * 9 / 10, "{during}");
    let f = r.out.faults[0].as_ref().expect("the fault started");
    assert!(f.recovered.is_none_or(|t| t > 160 * S), "{:?}", f.recovered);
}

#[test]
fn standby_az_places_the_database_standby_in_another_region() {
    let yaml = format!(
        "{REGIONS}database: {{ mode: multi_az, primary_az: a, standby_az: c, detection: 10s, promotion: 20s, endpoint: proxy }}\nworkload: {{ rate: 200/s, timeout: 1s, retries: 0, queries: 1 }}\n"
    )
    .replace("workload: { rate: 200/s, timeout: 1s, retries: 0 }\n", "");
    let s = load_str(&yaml, "t.yaml", "t", &[]).unwrap_or_else(|e| panic!("{e}"));
    let db = s.database.as_ref().unwrap();
    assert_eq!((db.node_az(0, 3), db.node_az(1, 3)), (0, 2));
    let r = run(&yaml);
    // The region outage takes the primary; the standby in west survives
    // and is promoted detection + promotion later.
    let f = &r.out.db_failovers[0];
    assert_eq!(f.start, 60 * S);
    assert_eq!(f.promoted, Some(90 * S));
}

#[test]
fn the_timeline_tells_the_dns_failover_and_failback() {
    let s = load_str(REGIONS, "t.yaml", "t", &[]).unwrap();
    let out = simulate(&s, Box::new(crate::metrics::NullSink), None);
    let sum = crate::report::Summary::new(&s, &out);
    let lines: Vec<String> = crate::report::timeline::entries(&s, &sum, &out)
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                crate::report::timeline::clock(e.at),
                e.render_text()
            )
        })
        .collect();
    let has = |line: &str| {
        assert!(
            lines.iter().any(|l| l == line),
            "no {line:?} in\n{}",
            lines.join("\n")
        );
    };
    has(
        "00:01:00.000 a Route 53 health check of region east fails (3 in a row mark it unhealthy, every 10s)",
    );
    has("00:01:20.000 Route 53 marks region east unhealthy");
    has(
        "00:01:20.000 DNS fails over from region east to region west; clients move as their cached answers expire over the 20s TTL",
    );
    has("00:01:40.000 every client's cached DNS answer now names region west");
    assert!(lines.iter().any(|l| l.ends_with(
        "DNS fails back from region west to region east; clients move as their cached answers expire over the 20s TTL"
    )));
    assert!(lines.iter().any(|l| l.ends_with(
        "Route 53 marks region east healthy again after 3 passing checks"
    )));
}

#[test]
fn region_latency_adds_to_every_attempt_served_in_that_region() {
    let far = REGIONS.replace("dns: {", "region_latency: { west: 35ms }\ndns: {");
    let r = run(&far);
    let p50 = |from: SimTime, to: SimTime| -> Vec<f64> {
        r.rows
            .iter()
            .filter(|row| row.start >= from && row.end <= to)
            .filter_map(|row| row.p50_ms)
            .collect()
    };
    // In east (no extra latency): a 10 ms mean service time and 1 ms of hops.
    let near = p50(10 * S, 60 * S);
    assert!(near.iter().all(|&m| m < 35.0), "{near:?}");
    // Once every client is in west, each response pays 2 x 35 ms more.
    let west = p50(101 * S, 160 * S);
    assert!(
        !west.is_empty() && west.iter().all(|&m| m >= 71.0),
        "{west:?}"
    );
    // The DNS timings do not change: Route 53 probes the region, not clients.
    assert_eq!(r.times(settled_on("west")), vec![100 * S]);
}
