//! The data tier: database failover phases, endpoints, replication, reads
//! from replicas; sessions; the cache.

use super::tests::{BASE, Ran, run_set};
use super::*;
use crate::engine::NANOS_PER_SEC;
use crate::metrics::NullSink;
use crate::report::DbFailoverSummary;
use crate::scenario::load_str;

/// Every request makes two queries, half of them writes.
const QUERIES: [&str; 2] = ["workload.queries=2", "workload.write_fraction=50%"];

fn run_db(extra: &str, set: &[&str]) -> Ran {
    let mut all: Vec<&str> = QUERIES.to_vec();
    all.extend_from_slice(set);
    run_set(extra, &all)
}

fn only_failover(r: &Ran) -> DbFailoverSummary {
    let db = r.sum.database.as_ref().expect("database summary");
    assert_eq!(db.failovers.len(), 1, "{:?}", db.failovers);
    db.failovers[0].clone()
}

/// Success ratio of the rows in [from, to) seconds.
fn ratio(r: &Ran, from: f64, to: f64) -> f64 {
    let (mut ok, mut all) = (0, 0);
    for row in &r.rows {
        let t = as_secs(row.start);
        if t >= from && t < to {
            ok += row.counts.succeeded;
            all += row.counts.succeeded + row.counts.dropped_total();
        }
    }
    assert!(all > 0, "no outcomes in [{from}, {to})");
    ok as f64 / all as f64
}

fn as_secs(t: SimTime) -> f64 {
    crate::engine::as_secs_f64(t)
}

const MULTI_AZ_DNS: &str = "
database: { mode: multi_az, endpoint: dns, dns_ttl: 20s, reconnect_time: 1s, detection: 10s, promotion: 20s }
faults: [{ at: 60s, kind: db_primary_failure }]
";

#[test]
fn multi_az_failover_goes_through_detection_promotion_and_dns_switch() {
    let r = run_db(MULTI_AZ_DNS, &[]);
    let f = only_failover(&r);
    assert_eq!(f.start_s, 60.0);
    assert_eq!(f.detected_s, Some(70.0));
    assert_eq!(f.promoted_s, Some(90.0));
    // The last of six instances' caches expires within one TTL, then it
    // reconnects: switched in [promoted + 1 s, promoted + 21 s].
    let sw = f.endpoint_switched_s.unwrap();
    assert!((91.0..=111.0).contains(&sw), "{sw}");
    assert_eq!(f.repaired_s, None);
    assert_eq!(f.lost_writes, 0, "sync replication loses nothing");
    // Every request needs the primary: nothing succeeds until promotion, all
    // succeeds once every instance switched.
    assert!(ratio(&r, 61.0, 89.0) < 0.001);
    assert_eq!(ratio(&r, sw.ceil() + 1.0, 180.0), 1.0);
    assert!(r.sum.requests.dropped.db_unavailable > 5000);
    // The fault is detected by the database, and recovered without repair.
    let fault = &r.sum.faults[0];
    assert_eq!(fault.detected_s, Some(70.0));
    assert_eq!(fault.verdict, "recovered");
    assert!(fault.recovered_s.unwrap() <= sw + 6.0, "{fault:?}");
}

#[test]
fn a_proxy_switches_every_instance_right_after_promotion() {
    let proxy = run_db(MULTI_AZ_DNS, &["database.endpoint=proxy"]);
    let f = only_failover(&proxy);
    assert_eq!(f.promoted_s, Some(90.0));
    assert_eq!(
        f.endpoint_switched_s,
        Some(91.0),
        "proxy_switch defaults to 1 s"
    );
    let dns = run_db(MULTI_AZ_DNS, &[]);
    let (p, d) = (&proxy.sum.faults[0], &dns.sum.faults[0]);
    assert!(
        p.failover_latency_s.unwrap() < d.failover_latency_s.unwrap(),
        "{p:?} {d:?}"
    );
    assert!(p.dropped < d.dropped);
}

#[test]
fn single_mode_stays_down_until_repair_and_multi_az_does_not() {
    let fault = "faults: [{ at: 60s, kind: db_primary_failure, duration: 90s }]";
    let single = run_db(&format!("database: {{ mode: single }}\n{fault}"), &[]);
    let f = only_failover(&single);
    assert_eq!(f.promoted_s, None);
    assert_eq!(f.repaired_s, Some(150.0));
    assert_eq!(f.write_outage_s, Some(90.0));
    assert!(ratio(&single, 61.0, 149.0) < 0.001);
    assert!(single.sum.faults[0].recovered_s.unwrap() >= 150.0);

    let multi = run_db(
        &format!("database: {{ mode: multi_az, proxy_switch: 1s, endpoint: proxy }}\n{fault}"),
        &[],
    );
    let f = only_failover(&multi);
    // Defaults: 15 s detection, 60 s promotion.
    assert_eq!(f.promoted_s, Some(135.0));
    assert!(multi.sum.faults[0].recovered_s.unwrap() < 150.0);
}

#[test]
fn a_primary_failure_waits_for_a_failed_standby_to_return() {
    let r = run_db(
        "
database: { mode: multi_az, detection: 10s, promotion: 20s, endpoint: proxy }
faults:
  - { at: 60s, kind: db_primary_failure }
  - { at: 62s, kind: db_standby_failure, duration: 20s }
",
        &[],
    );
    let f = only_failover(&r);
    assert_eq!(f.detected_s, Some(70.0));
    // No target at detection; the standby is back at 82 s, in sync (no
    // write was acknowledged while it was down), then 20 s of promotion.
    assert_eq!(f.promoted_s, Some(102.0));
    assert_eq!(f.lost_writes, 0);
}

#[test]
fn a_standby_failure_alone_costs_nothing() {
    let r = run_db(
        "
database: { mode: multi_az }
faults: [{ at: 30s, kind: db_standby_failure, duration: 60s }]
",
        &[],
    );
    assert_eq!(r.sum.requests.dropped.total, 0);
    assert!(r.sum.database.as_ref().unwrap().failovers.is_empty());
}

#[test]
fn the_primary_back_before_detection_means_no_failover() {
    let r = run_db(
        "
database: { mode: multi_az, detection: 10s }
faults: [{ at: 60s, kind: db_primary_failure, duration: 5s }]
",
        &[],
    );
    let f = only_failover(&r);
    assert_eq!((f.detected_s, f.promoted_s), (None, None));
    assert_eq!(f.repaired_s, Some(65.0));
}

#[test]
fn an_az_outage_fails_the_database_over_to_another_az() {
    let r = run_db(
        "
database: { mode: multi_az, detection: 10s, promotion: 20s, endpoint: proxy, primary_az: b }
faults: [{ at: 60s, kind: az_outage, az: b, duration: 60s }]
",
        &[],
    );
    let f = only_failover(&r);
    assert_eq!(f.promoted_s, Some(90.0));
    assert!(
        r.trace
            .contains(r#""event":"db_failover","phase":"promoted","node":1"#),
        "{}",
        r.trace
    );
    // The old primary comes back as a standby: no second failover.
    assert_eq!(r.sum.database.as_ref().unwrap().failovers.len(), 1);
}

#[test]
fn async_replication_loses_writes_and_sync_does_not() {
    let fault = "faults: [{ at: 60s, kind: db_primary_failure }]";
    let lag = "replication_lag: { dist: constant, value: 500ms }";
    let async_run = run_db(
        &format!("database: {{ mode: multi_az, replication: async, {lag} }}\n{fault}"),
        &[],
    );
    let lost = only_failover(&async_run).lost_writes;
    // 200 requests/s x 2 queries x 50% writes = 200 writes/s; with a
    // constant 500 ms lag exactly the writes of the last 500 ms are in
    // transit: about 100 (Poisson, sd 10).
    assert!((50..=150).contains(&lost), "{lost}");
    let sync_run = run_db(&format!("database: {{ mode: multi_az }}\n{fault}"), &[]);
    assert_eq!(only_failover(&sync_run).lost_writes, 0);
    assert_eq!(sync_run.sum.database.as_ref().unwrap().lost_writes, 0);
}

#[test]
fn reads_from_replicas_survive_a_primary_failure() {
    let extra = "
database: { mode: multi_az_cluster, reads: replicas, detection: 10s, promotion: 20s }
faults: [{ at: 60s, kind: db_primary_failure }]
";
    let reads_only = ["workload.write_fraction=0"];
    let r = run_set(extra, &["workload.queries=2", reads_only[0]]);
    assert_eq!(r.sum.requests.dropped.db_unavailable, 0);
    assert_eq!(only_failover(&r).promoted_s, Some(90.0));
    // Reads pinned to the primary fail during the same failover.
    let r = run_set(
        extra,
        &[
            "workload.queries=2",
            reads_only[0],
            "database.reads=primary",
        ],
    );
    assert!(r.sum.requests.dropped.db_unavailable > 1000);
}

#[test]
fn random_database_failures_fail_over_again_and_again() {
    let r = run_db(
        "database: { mode: multi_az, mtbf: 40s, mttr: 20s, detection: 5s, promotion: 5s, endpoint: proxy }",
        &[],
    );
    let db = r.sum.database.as_ref().unwrap();
    assert!(db.failovers.len() >= 2, "{:?}", db.failovers);
    assert!(r.sum.requests.dropped.db_unavailable > 0);
}

#[test]
fn a_full_database_queue_refuses_calls() {
    let r = run_db(
        "database: { workers: 1, queue_capacity: 2, query_time: { dist: constant, value: 20ms } }",
        &[],
    );
    // 200 calls/s of 40 ms on one worker: overloaded eightfold.
    let db = r.sum.database.as_ref().unwrap();
    assert!(db.calls_failed > db.calls / 2, "{db:?}");
    assert!(r.sum.requests.dropped.db_unavailable > 0);
}

// ---- sessions ------------------------------------------------------------

const CRASH_A1: &str = "faults: [{ at: 60s, kind: instance_crash, instance: a-1, duration: 30s }]";

#[test]
fn sticky_sessions_lose_exactly_the_sessions_pinned_to_the_crashed_instance() {
    let yaml = format!("{BASE}\n{CRASH_A1}");
    let set = [
        "app.sessions=sticky".to_string(),
        "workload.users=500".to_string(),
    ];
    let s = load_str(&yaml, "t.yaml", "t", &set).unwrap_or_else(|e| panic!("{e}"));
    let topo = Topology::build(&s);
    let mut sim = Sim::new(&s, &topo, Box::new(NullSink), None);
    sim.start();
    sim.run_until(60 * NANOS_PER_SEC - 1);
    // Count the users whose session lives on a-1, one by one.
    let pinned = sim.sessions.count_valid_on(0);
    assert_eq!(pinned, sim.sessions.live_on(0));
    assert!(pinned > 50, "500 users over 6 instances: {pinned}");
    sim.run_until(SimTime::MAX);
    let out = sim.finish();
    assert_eq!(out.metrics.tier.sessions_lost, u64::from(pinned));
    // Each of those users fails once with session_lost when they return.
    let again = out.metrics.counts.dropped[DropReason::SessionLost as usize];
    assert!(again > 0 && again <= u64::from(pinned), "{again}");
}

#[test]
fn jwt_and_external_sessions_survive_an_instance_crash() {
    for design in ["jwt", "external"] {
        let r = run_set(CRASH_A1, &[&format!("app.sessions={design}")]);
        assert_eq!(r.sum.sessions, design);
        assert_eq!(r.sum.sessions_lost, 0, "{design}");
        assert_eq!(r.sum.requests.dropped.session_lost, 0);
    }
    let sticky = run_set(CRASH_A1, &["app.sessions=sticky", "workload.users=600"]);
    assert!(sticky.sum.sessions_lost > 0);
    assert!(sticky.sum.requests.dropped.session_lost > 0);
}

#[test]
fn an_external_store_loses_sessions_only_when_it_loses_its_data() {
    let fault = "faults: [{ at: 60s, kind: session_store_failure, duration: 30s }]";
    let no_replica = run_set(
        &format!("session_store: {{ replica: false }}\n{fault}"),
        &["app.sessions=external", "workload.users=300"],
    );
    // 200 requests/s for a minute reach all 300 users: all are lost.
    assert_eq!(no_replica.sum.sessions_lost, 300);
    assert!(no_replica.sum.requests.dropped.session_store_unavailable > 1000);
    assert!(no_replica.sum.requests.dropped.session_lost > 0);

    let replica = run_set(
        &format!(
            "session_store: {{ replica: true, failover_time: {{ dist: constant, value: 10s }} }}\n{fault}"
        ),
        &["app.sessions=external", "workload.users=300"],
    );
    assert_eq!(replica.sum.sessions_lost, 0);
    assert_eq!(replica.sum.session_store.as_ref().unwrap().failovers, 1);
    // Unavailable for the 10 s of failover only: about 2000 requests.
    let d = replica.sum.requests.dropped.session_store_unavailable;
    assert!((1500..=2500).contains(&d), "{d}");
}

// ---- cache -----------------------------------------------------------------

#[test]
fn a_cache_failure_sends_the_reads_it_hid_to_the_database() {
    let r = run_set(
        "
database: { workers: 64 }
cache: { hit_ratio: 80%, replica: false, warm_time: 0s }
faults: [{ at: 60s, kind: cache_failure, duration: 60s }]
",
        &["workload.queries=5", "workload.write_fraction=20%"],
    );
    let per_s = |from: f64, to: f64| {
        let q: u64 = r
            .rows
            .iter()
            .filter(|row| (from..to).contains(&as_secs(row.start)))
            .map(|row| row.tier.db_queries)
            .sum();
        q as f64 / (to - from)
    };
    let (before, during, after) = (per_s(20.0, 60.0), per_s(61.0, 119.0), per_s(125.0, 175.0));
    // Per request: 5 queries, w = 20% writes, r = 80% reads; a cache with
    // hit ratio h sends w + r(1-h) of them to the database, none sends w + r.
    let (w, rd, h) = (0.2, 0.8, 0.8);
    let expected = (w + rd) / (w + rd * (1.0 - h));
    // Each rate counts tens of thousands of queries (relative sd under 1%):
    // 5% is over five standard deviations.
    let got = during / before;
    assert!((got / expected - 1.0).abs() < 0.05, "{got} vs {expected}");
    assert!((after / before - 1.0).abs() < 0.05, "{after} vs {before}");
    assert_eq!(r.sum.requests.dropped.total, 0, "the database has headroom");
}

// ---- orderings found in review ---------------------------------------------

#[test]
fn a_primary_back_during_promotion_is_fenced_and_can_still_be_promoted() {
    // The primary returns mid-promotion; the promotion's target then dies,
    // so the fenced old primary (all its data) is promoted instead; a later
    // primary failure is handled as a new failover.
    let r = run_db(
        "
database: { mode: multi_az, detection: 10s, promotion: 30s, endpoint: proxy }
faults:
  - { at: 60s, kind: db_primary_failure, duration: 15s }
  - { at: 80s, kind: db_standby_failure, duration: 40s }
  - { at: 150s, kind: db_primary_failure }
",
        &["duration=4m"],
    );
    let db = r.sum.database.as_ref().unwrap();
    assert_eq!(db.failovers.len(), 2, "{:?}", db.failovers);
    let (f1, f2) = (&db.failovers[0], &db.failovers[1]);
    assert_eq!((f1.detected_s, f1.promoted_s), (Some(70.0), Some(130.0)));
    assert_eq!(f1.lost_writes, 0, "the old primary has its own writes");
    // Fenced from its return until its own promotion: no write succeeds.
    assert!(ratio(&r, 76.0, 129.0) < 0.001);
    assert_eq!((f2.detected_s, f2.promoted_s), (Some(160.0), Some(190.0)));
    assert_eq!(ratio(&r, 135.0, 150.0), 1.0);
}

#[test]
fn a_standby_that_missed_writes_is_not_promoted() {
    // The standby is down while the primary acknowledges writes, then the
    // primary dies for good: promoting the standby would lose those writes,
    // so there is no failover, and no write is lost.
    for replication in ["sync", "async"] {
        let r = run_db(
            &format!(
                "
database: {{ mode: multi_az, replication: {replication}, detection: 5s, promotion: 5s }}
faults:
  - {{ at: 60s, kind: db_standby_failure, duration: 60s }}
  - {{ at: 90s, kind: db_primary_failure }}
"
            ),
            &[],
        );
        let f = only_failover(&r);
        assert_eq!((f.promoted_s, f.lost_writes), (None, 0), "{replication}");
        assert!(ratio(&r, 125.0, 180.0) < 0.001, "{replication}");
    }
}

#[test]
fn a_store_replica_that_restarted_while_the_primary_was_down_comes_back_empty() {
    let r = run_set(
        "
session_store: { replica: true, failover_time: { dist: constant, value: 30s } }
faults:
  - { at: 60s, kind: session_store_failure }
  - { at: 65s, kind: az_outage, az: b, duration: 10s }
",
        &["app.sessions=external", "workload.users=300"],
    );
    // The replica lost its memory in the outage: its promotion at 105 s
    // serves an empty store, and every session is lost.
    assert_eq!(r.sum.session_store.as_ref().unwrap().failovers, 1);
    assert_eq!(r.sum.sessions_lost, 300);
}

#[test]
fn a_sticky_user_follows_dns_away_from_a_dead_az_without_cross_zone() {
    let faults = "
faults:
  - { at: 60s, kind: instance_crash, instance: a-1, duration: 5m }
  - { at: 60s, kind: instance_crash, instance: a-2, duration: 5m }
";
    let no_cross = "load_balancer.cross_zone=false";
    let sticky = run_set(
        faults,
        &[no_cross, "app.sessions=sticky", "workload.users=600"],
    );
    let jwt = run_set(faults, &[no_cross, "app.sessions=jwt"]);
    let resets = |r: &Ran| r.sum.requests.dropped.connection_reset;
    // Once DNS drops node a, pinned users go to b or c like everyone else;
    // only the first request of each of a's users fails, session_lost.
    assert!(
        resets(&sticky) <= 2 * resets(&jwt) + 200,
        "sticky {} vs jwt {}",
        resets(&sticky),
        resets(&jwt)
    );
    assert!(sticky.sum.requests.dropped.session_lost <= 600);
}

#[test]
fn database_detection_is_not_credited_to_a_fault_long_over() {
    let r = run_db(
        "
database: { mode: multi_az, detection: 10s, promotion: 10s, endpoint: proxy }
faults:
  - { at: 60s, kind: db_primary_failure, duration: 5s }
  - { at: 120s, kind: db_primary_failure }
",
        &[],
    );
    assert_eq!(r.sum.faults[0].detected_s, None);
    assert_eq!(r.sum.faults[1].detected_s, Some(130.0));
}

#[test]
fn a_database_fault_regains_capacity_when_its_node_is_back_after_an_overlap() {
    let r = run_db(
        "
database: { mode: multi_az, detection: 10s, promotion: 10s, endpoint: proxy }
faults:
  - { at: 60s, kind: db_primary_failure, duration: 60s }
  - { at: 100s, kind: az_outage, az: a, duration: 50s }
",
        &[],
    );
    // Node 0 (AZ a) is down until the outage ends at 150 s.
    assert_eq!(r.sum.faults[0].capacity_restored_s, Some(150.0));
}
