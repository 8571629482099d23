//! `database.mode: multi_writer`: routing to the own AZ's writer, moving to
//! the next one after detection, lost writes and write conflicts.

use super::tests::{Ran, run_yaml};
use super::*;
use crate::engine::as_secs_f64;
use crate::metrics::NullSink;
use crate::report::{DbFailoverSummary, Summary, timeline};
use crate::scenario::load_str;

/// Three AZs, two instances each, requests spread uniformly over the six
/// (`random`), two queries per request, half of them writes.
const MW: &str = "
azs: [a, b, c]
duration: 3m
network: { latency: 500us }
load_balancer:
  algorithm: random
  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }
app: { instances_per_az: 2, workers: 4, service_time: { dist: exponential, mean: 10ms }, boot_time: 0s }
workload: { rate: 200/s, timeout: 1s, retries: 0, queries: 2, write_fraction: 50% }
";

/// Everything constant, and every request goes to AZ a (b is a warm
/// standby the load balancer never needs): one write per request, 200/s,
/// all to writer 0 while it lives.
const EXACT: &str = "
azs: [a, b]
duration: 2m
network: { latency: 500us }
load_balancer:
  cross_zone: true
  standby_azs: [b]
  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }
app: { instances_per_az: 2, workers: 4, service_time: { dist: constant, value: 10ms }, boot_time: 0s }
workload: { rate: 200/s, arrival: constant, timeout: 1s, retries: 0, queries: 1, write_fraction: 100% }
database:
  mode: multi_writer
  detection: 5s
  query_time: { dist: constant, value: 2ms }
  replication_lag: { dist: constant, value: 1s }
faults: [{ at: 60s, kind: db_primary_failure }]
";

fn only_failover(r: &Ran) -> DbFailoverSummary {
    let db = r.sum.database.as_ref().expect("database summary");
    assert_eq!(db.failovers.len(), 1, "{:?}", db.failovers);
    db.failovers[0].clone()
}

/// Success ratio of the rows in [from, to) seconds.
fn ratio(r: &Ran, from: f64, to: f64) -> (f64, u64) {
    let (mut ok, mut all) = (0, 0);
    for row in &r.rows {
        let t = as_secs_f64(row.start);
        if t >= from && t < to {
            ok += row.counts.succeeded;
            all += row.counts.succeeded + row.counts.dropped_total();
        }
    }
    assert!(all > 0, "no outcomes in [{from}, {to})");
    (ok as f64 / all as f64, all)
}

fn conflicts(r: &Ran) -> u64 {
    r.sum.database.as_ref().unwrap().write_conflicts
}

#[test]
fn each_app_instance_uses_its_own_azs_writer_then_the_next_live_one() {
    // Writers in b (0) and c (1): a has none, and the next round the list
    // from a is b.
    let yaml = format!("{MW}\ndatabase: {{ mode: multi_writer, primary_az: b }}");
    let s = load_str(&yaml, "t.yaml", "t", &[]).unwrap_or_else(|e| panic!("{e}"));
    let topo = Topology::build(&s);
    let mut sim = Sim::new(&s, &topo, Box::new(NullSink), None);
    let azs: Vec<usize> = sim.instances.iter().map(|i| i.az).collect();
    assert_eq!(azs, [0, 0, 1, 1, 2, 2]);
    let db = sim.db.as_mut().unwrap();
    assert_eq!(
        (0..2).map(|k| db.nodes[k].az).collect::<Vec<_>>(),
        [1, 2],
        "one writer per AZ from primary_az"
    );
    let routes: Vec<u32> = (0..6).map(|i| db.route(i, azs[i], true, 0)).collect();
    assert_eq!(routes, [0, 0, 0, 0, 1, 1]);
    // Reads go to the same writer as writes.
    assert_eq!(db.route(4, 2, false, 0), 1);
}

#[test]
fn a_failed_writers_traffic_moves_to_the_next_writer_after_detection() {
    // Writers in a (0) and b (1); AZ c's instances also use a's writer.
    let r = run_yaml(
        &format!(
            "{MW}
database: {{ mode: multi_writer, detection: 10s }}
faults: [{{ at: 60s, kind: db_primary_failure }}]
"
        ),
        &[],
    );
    let f = only_failover(&r);
    assert_eq!(f.start_s, 60.0);
    assert_eq!(f.detected_s, Some(70.0));
    assert_eq!(f.promoted_s, None, "nothing to promote");
    assert_eq!(f.endpoint_switched_s, Some(70.0));
    assert_eq!(f.write_outage_s, Some(10.0));
    assert!(f.lost_writes > 0, "async writes in transit are lost");
    // Until detection the four instances of a and c send every call to the
    // dead writer; b's two are fine: a third succeeds. Binomial sd over n
    // outcomes: sqrt(1/3 x 2/3 / n); 4 sd.
    let (ok, n) = ratio(&r, 61.0, 69.0);
    let sd = (1.0 / 3.0 * 2.0 / 3.0 / n as f64).sqrt();
    assert!((ok - 1.0 / 3.0).abs() < 4.0 * sd, "{ok} over {n}");
    assert_eq!(ratio(&r, 71.0, 180.0).0, 1.0);
    assert!(
        r.trace.contains(r#""event":"db_redirect","node":0,"to":1"#),
        "{}",
        r.trace
    );
    let fault = &r.sum.faults[0];
    assert_eq!(fault.target, "database writer 0");
    assert_eq!(fault.detected_s, Some(70.0));
    assert_eq!(fault.verdict, "recovered");
    // With one writer left there is nobody to conflict with.
    let after: u64 = r
        .rows
        .iter()
        .filter(|row| as_secs_f64(row.start) >= 70.0)
        .map(|row| row.tier.db_write_conflicts)
        .sum();
    assert_eq!(after, 0);
}

#[test]
fn a_writer_loses_exactly_the_writes_it_acknowledged_within_one_lag() {
    let r = run_yaml(EXACT, &[]);
    let f = only_failover(&r);
    assert_eq!(
        (f.detected_s, f.endpoint_switched_s),
        (Some(65.0), Some(65.0))
    );
    // Acknowledgements 5 ms apart (constant arrivals and service): any
    // 1 s window, the lag, holds exactly 200 of them.
    assert_eq!(f.lost_writes, 200);
    assert_eq!(r.sum.database.as_ref().unwrap().lost_writes, 200);
    // Only one writer ever takes writes at a time: no conflict.
    assert_eq!(conflicts(&r), 0);
    // Every call fails until the instances notice, then all succeed on b.
    assert!(ratio(&r, 60.1, 64.9).0 < 0.001);
    assert_eq!(ratio(&r, 65.1, 120.0).0, 1.0);
}

#[test]
fn a_writer_back_before_detection_loses_nothing() {
    let r = run_yaml(EXACT, &["faults[0].duration=3s"]);
    let f = only_failover(&r);
    assert_eq!((f.detected_s, f.endpoint_switched_s), (None, None));
    assert_eq!(f.repaired_s, Some(63.0));
    assert_eq!(f.lost_writes, 0);
    assert!(!r.trace.contains("db_redirect"), "{}", r.trace);
}

#[test]
fn the_timeline_tells_the_redirect_and_the_lost_writes() {
    let s = load_str(EXACT, "t.yaml", "t", &[]).unwrap_or_else(|e| panic!("{e}"));
    let out = simulate(&s, Box::new(NullSink), None);
    let sum = Summary::new(&s, &out);
    let lines: Vec<String> = timeline::entries(&s, &sum, &out)
        .iter()
        .map(|e| format!("{} {}", timeline::clock(e.at), e.render_text()))
        .collect();
    let text = lines.join("\n");
    assert!(
        text.contains("00:01:00.000 database node 0 (writer) goes down"),
        "{text}"
    );
    assert!(
        text.contains(
            "00:01:05.000 the app instances notice database writer 0 is gone and send its traffic to writer 1, with no promotion; 200 acknowledged writes it had not replicated yet are lost"
        ),
        "{text}"
    );
    assert!(!text.contains("new primary"), "{text}");
}

#[test]
fn writes_conflict_only_when_a_lag_separates_two_live_writers() {
    let db = |lag: &str| {
        format!(
            "{MW}\ndatabase: {{ mode: multi_writer, keys: 1000, replication_lag: {{ dist: constant, value: {lag} }} }}"
        )
    };
    let lagged = run_yaml(&db("1s"), &[]);
    // About 100 writes/s per writer over 1000 keys with 1 s of lag: a
    // sizeable share conflicts (see tests/data_tier.rs for the formula).
    let c = conflicts(&lagged);
    let writes = lagged.sum.database.as_ref().unwrap().writes;
    assert!(c > writes / 20, "{c} of {writes}");
    // timeseries.csv's column adds up to the summary's figure.
    let per_bucket: u64 = lagged.rows.iter().map(|r| r.tier.db_write_conflicts).sum();
    assert_eq!(per_bucket, c);
    // No lag: every writer sees every write at once.
    let instant = run_yaml(&db("0s"), &[]);
    assert!(instant.sum.database.as_ref().unwrap().writes > 30_000);
    assert_eq!(conflicts(&instant), 0);
    // Single-primary modes never conflict.
    let single = run_yaml(
        &format!("{MW}\ndatabase: {{ mode: multi_az, replication: async }}"),
        &[],
    );
    assert_eq!(conflicts(&single), 0);
    assert!(single.sum.database.as_ref().unwrap().writes > 30_000);
}

#[test]
fn an_az_outage_and_random_failures_take_writers_down() {
    let r = run_yaml(
        &format!(
            "{MW}
database: {{ mode: multi_writer, writers: 3, detection: 5s }}
faults: [{{ at: 60s, kind: az_outage, az: b, duration: 30s }}]
"
        ),
        &[],
    );
    let f = only_failover(&r);
    assert_eq!(f.endpoint_switched_s, Some(65.0));
    assert!(r.trace.contains(r#""event":"db_redirect","node":1,"to":2"#));
    // Random failures: writers fail and their traffic moves, again and again.
    let r = run_yaml(
        &format!("{MW}\ndatabase: {{ mode: multi_writer, mtbf: 40s, mttr: 20s, detection: 5s }}"),
        &[],
    );
    let db = r.sum.database.as_ref().unwrap();
    assert!(db.failovers.len() >= 2, "{:?}", db.failovers);
    assert!(r.sum.requests.dropped.db_unavailable > 0);
}

#[test]
fn cost_counts_database_nodes_and_idle_standbys() {
    // (db_node_hours, db_idle_standby_hours) in units of the 3-minute run.
    let cost = |database: &str| {
        let c = run_yaml(&format!("{MW}\ndatabase: {database}"), &[])
            .sum
            .cost;
        let run_hours = 3.0 / 60.0;
        let (nodes, idle) = (
            c.db_node_hours / run_hours,
            c.db_idle_standby_hours / run_hours,
        );
        ((nodes * 1e9).round() / 1e9, (idle * 1e9).round() / 1e9)
    };
    assert_eq!(cost("{ mode: multi_writer, writers: 3 }"), (3.0, 0.0));
    assert_eq!(cost("{ mode: multi_az }"), (2.0, 1.0));
    // Readable cluster standbys are idle only while reads stay on the
    // primary.
    assert_eq!(cost("{ mode: multi_az_cluster }"), (3.0, 2.0));
    assert_eq!(
        cost("{ mode: multi_az_cluster, reads: replicas }"),
        (3.0, 0.0)
    );
    // A read replica is not a standby.
    assert_eq!(cost("{ mode: single, read_replicas: 1 }"), (2.0, 0.0));
}
