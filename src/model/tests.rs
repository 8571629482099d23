//! Behaviour of each actor and each fault kind, on small scenarios.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::metrics::{Row, VecSink};
use crate::report::Summary;
use crate::scenario::load_str;

pub(super) struct Ran {
    pub(super) sum: Summary,
    pub(super) rows: Vec<Row>,
    pub(super) trace: String,
}

/// A Write that keeps what it is given, shared with the test.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);
impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A small base: 3 AZs x 2 instances, fast checks, 200/s, no retries.
pub(super) const BASE: &str = "
azs: [a, b, c]
duration: 3m
network: { latency: 500us }
load_balancer:
  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }
app: { instances_per_az: 2, workers: 4, service_time: { dist: exponential, mean: 10ms }, boot_time: 0s }
workload: { rate: 200/s, timeout: 1s, retries: 0 }
";

pub(super) fn run(extra: &str) -> Ran {
    run_set(extra, &[])
}

pub(super) fn run_set(extra: &str, set: &[&str]) -> Ran {
    run_yaml(&format!("{BASE}\n{extra}"), set)
}

/// Runs a whole scenario given as YAML, with `--set` overrides.
pub(super) fn run_yaml(yaml: &str, set: &[&str]) -> Ran {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    let s = load_str(yaml, "test.yaml", "test", &set).unwrap_or_else(|e| panic!("{e}"));
    let rows = VecSink::default();
    let trace = Shared::default();
    let out = simulate(
        &s,
        Box::new(VecSink(rows.0.clone())),
        Some(Box::new(trace.clone())),
    );
    let sum = Summary::new(&s, &out);
    let r = sum.requests.clone();
    // Conservation holds in every run, and nothing counted as in flight is
    // older than a request can live: no request was silently lost.
    assert_eq!(r.total, r.succeeded + r.dropped.total + r.in_flight);
    if let Some(age) = out.oldest_in_flight {
        assert!(age <= max_request_lifetime(&s), "request lost: age {age}");
    }
    let rows = rows.0.borrow().clone();
    let trace = String::from_utf8(trace.0.borrow().clone()).unwrap();
    Ran { sum, rows, trace }
}

#[test]
fn without_faults_every_request_succeeds() {
    let r = run("");
    assert!(r.sum.requests.total > 30_000);
    assert_eq!(r.sum.requests.dropped.total, 0);
    assert_eq!(r.sum.capacity.min_healthy, 6);
    assert!(r.trace.is_empty());
}

#[test]
fn instance_crash_resets_connections_until_the_lb_marks_it_unhealthy() {
    let r = run("faults: [{ at: 60s, kind: instance_crash, instance: a-1 }]");
    let d = &r.sum.requests.dropped;
    assert!(d.connection_reset > 0, "{d:?}");
    assert_eq!(d.timeout, 0);
    let f = &r.sum.faults[0];
    let detected = f.detected_s.expect("crash detected") - 60.0;
    // Refused checks fail at once: two checks 5 s apart, the first within
    // one interval of the crash.
    assert!((5.0..=10.0 + 0.01).contains(&detected), "{detected}");
    // About one request in six went to a-1 before detection.
    let expected = 200.0 * detected / 6.0;
    assert!(
        (d.connection_reset as f64 - expected).abs() < 5.0 * expected.sqrt() + 10.0,
        "{} vs {expected}",
        d.connection_reset
    );
    assert_eq!(f.verdict, "recovered");
    assert!(r.trace.contains(r#""instance":"a-1","status":"crashed""#));
    assert!(r.trace.contains(r#""instance":"a-1","health":"unhealthy""#));
    assert_eq!(r.sum.capacity.min_healthy, 5);
}

#[test]
fn instance_hang_turns_into_timeouts_and_is_detected_by_check_timeouts() {
    let r = run("faults: [{ at: 60s, kind: instance_hang, instance: b-2, duration: 60s }]");
    let d = &r.sum.requests.dropped;
    assert!(d.timeout > 0);
    assert_eq!(d.connection_reset, 0);
    // Even with its queue full, a hung instance answers nothing.
    assert_eq!(d.queue_full, 0);
    let f = &r.sum.faults[0];
    let detected = f.detected_s.unwrap() - 60.0;
    // A hung target fails checks only at their 2 s timeout.
    assert!((7.0..=12.01).contains(&detected), "{detected}");
    // After the hang, two good checks bring it back.
    let back = f.capacity_restored_s.unwrap() - 120.0;
    assert!((5.0..=10.01).contains(&back), "{back}");
}

#[test]
fn az_outage_powers_off_instances_and_the_lb_node() {
    let r = run("faults: [{ at: 60s, kind: az_outage, az: c, duration: 60s }]");
    assert!(r.trace.contains(r#""instance":"c-1","status":"off""#));
    assert!(r.trace.contains(r#""instance":"c-2","status":"off""#));
    assert!(r.trace.contains(r#""lb_node":"c","in_dns":false"#));
    assert!(r.sum.requests.dropped.timeout > 0);
    assert_eq!(r.sum.capacity.min_healthy, 4);
    // Clients that still resolve the dead node pay the 1 s connect timeout
    // then reach another node: with a 1 s client timeout that fails too.
    let row = r
        .rows
        .iter()
        .find(|x| x.start == 61 * NANOS_PER_SEC)
        .unwrap();
    assert_eq!(row.healthy, vec![2, 2, 2]);
    let after = r
        .rows
        .iter()
        .find(|x| x.start == 80 * NANOS_PER_SEC)
        .unwrap();
    assert_eq!(after.healthy, vec![2, 2, 0]);
}

use crate::engine::NANOS_PER_SEC;

#[test]
fn latency_fault_slows_responses_without_failing_checks() {
    let base = run("");
    let slow = run("faults: [{ at: 0s, kind: latency, az: a, extra: 300ms }]");
    let (b, s) = (
        base.sum.latency_ms.unwrap().mean,
        slow.sum.latency_ms.unwrap().mean,
    );
    // A third of the requests take 300 ms longer: the mean rises by ~100 ms.
    assert!((s - b - 100.0).abs() < 10.0, "{b} -> {s}");
    assert!(slow.sum.faults[0].detected_s.is_none());
    assert!(slow.sum.faults[0].masked);
    assert_eq!(slow.sum.faults[0].verdict, "masked");
}

#[test]
fn latency_beyond_the_check_timeout_marks_targets_unhealthy() {
    let r = run("faults: [{ at: 30s, kind: latency, instance: a-2, extra: 3s, duration: 30s }]");
    assert!(r.sum.faults[0].detected_s.is_some());
    assert!(r.trace.contains(r#""instance":"a-2","health":"unhealthy""#));
}

#[test]
fn random_failures_take_instances_down_and_back() {
    let r = run_set("", &["app.mtbf=30s", "app.mttr=5s", "duration=10m"]);
    let crashes = r.trace.matches(r#""status":"crashed""#).count();
    // 6 instances x 600 s / 35 s per cycle ~ 100 failures.
    assert!((60..=140).contains(&crashes), "{crashes}");
    assert!(r.sum.requests.dropped.connection_reset > 0);
    assert!(r.sum.capacity.mean_healthy < 6.0);
}

#[test]
fn retries_mask_a_crash_that_would_otherwise_dip() {
    let fault = "faults: [{ at: 60s, kind: instance_crash, instance: a-1 }]";
    let plain = run(fault);
    let retried = run_set(fault, &["workload.retries=2"]);
    assert!(!plain.sum.faults[0].masked);
    assert!(retried.sum.faults[0].masked);
    assert_eq!(retried.sum.faults[0].failover_latency_s, Some(0.0));
    assert!(retried.sum.attempts_per_request.unwrap() > 1.0);
    assert!(retried.sum.requests.dropped.total < plain.sum.requests.dropped.total / 10);
}

#[test]
fn fail_open_routes_to_unhealthy_targets_and_fail_closed_answers_503() {
    // Every instance crashes: with fail-open the LB still sends traffic
    // (connection resets); fail-closed answers no_healthy_target.
    let faults = "faults: [{ at: 30s, kind: az_outage, az: a }, { at: 30s, kind: az_outage, az: b }, { at: 30s, kind: instance_crash, instance: c-1 }, { at: 30s, kind: instance_crash, instance: c-2 }]";
    let open = run(faults);
    assert_eq!(open.sum.requests.dropped.no_healthy_target, 0);
    assert!(open.sum.requests.dropped.connection_reset > 0);
    let closed = run_set(faults, &["load_balancer.fail_open=false"]);
    assert!(closed.sum.requests.dropped.no_healthy_target > 1000);
    assert!(closed.sum.capacity.zero_healthy_s > 100.0);
}

#[test]
fn without_cross_zone_a_node_only_reaches_its_own_az() {
    // AZ a's instances both crash; node a cannot send anywhere else, and
    // DNS failover stops clients resolving it over one TTL.
    let faults = "faults: [{ at: 30s, kind: instance_crash, instance: a-1 }, { at: 30s, kind: instance_crash, instance: a-2 }]";
    let zonal = run_set(
        faults,
        &[
            "load_balancer.cross_zone=false",
            "load_balancer.dns_ttl=10s",
        ],
    );
    let cross = run(faults);
    assert!(zonal.trace.contains(r#""lb_node":"a","in_dns":false"#));
    // Cross-zone: after detection nothing fails. Zonal: node a fails open to
    // its dead targets until client caches expire.
    let late = |r: &Ran| {
        r.rows
            .iter()
            .filter(|x| x.start >= 45 * NANOS_PER_SEC && x.start < 60 * NANOS_PER_SEC)
            .map(|x| x.counts.dropped_total())
            .sum::<u64>()
    };
    assert_eq!(late(&cross), 0);
    assert!(late(&zonal) > 0);
    let tail = zonal
        .rows
        .iter()
        .filter(|x| x.start >= 90 * NANOS_PER_SEC)
        .map(|x| x.counts.dropped_total())
        .sum::<u64>();
    assert_eq!(tail, 0, "after the TTL nobody resolves node a");
}

#[test]
fn least_outstanding_avoids_a_black_hole_that_round_robin_feeds() {
    let fault = "faults: [{ at: 30s, kind: instance_hang, instance: a-1 }]";
    let rr = run(fault);
    let lor = run_set(fault, &["load_balancer.algorithm=least_outstanding"]);
    // Round robin keeps sending 1/6 of requests into the hang until it is
    // detected; least outstanding stops once a-1's count is the highest.
    assert!(
        lor.sum.requests.dropped.timeout * 3 < rr.sum.requests.dropped.timeout,
        "{} vs {}",
        lor.sum.requests.dropped.timeout,
        rr.sum.requests.dropped.timeout
    );
}

#[test]
fn deregistration_delay_closes_connections_left_on_an_unhealthy_target() {
    // A hung instance holds requests (its queue is large enough to hold all
    // of them); clients wait 60 s. After the target is
    // marked unhealthy (~7-12 s) and the 5 s delay, the LB resets them.
    let r = run_set(
        "faults: [{ at: 30s, kind: instance_hang, instance: a-1 }]",
        &[
            "workload.timeout=60s",
            "load_balancer.deregistration_delay=5s",
            "app.queue_capacity=10000",
        ],
    );
    assert!(r.sum.requests.dropped.connection_reset > 0);
    assert_eq!(r.sum.requests.dropped.timeout, 0);
    let long = run_set(
        "faults: [{ at: 30s, kind: instance_hang, instance: a-1 }]",
        &["workload.timeout=60s"],
    );
    // With the default 300 s, clients give up first.
    assert_eq!(long.sum.requests.dropped.connection_reset, 0);
    assert!(long.sum.requests.dropped.timeout > 0);
}

#[test]
fn a_full_queue_drops_with_queue_full() {
    let r = run_set(
        "",
        &[
            "workload.rate=1000/s",
            "app.workers=1",
            "app.queue_capacity=5",
        ],
    );
    assert!(r.sum.requests.dropped.queue_full > 1000);
}

#[test]
fn booting_instances_refuse_connections_then_rejoin() {
    let r = run_set(
        "faults: [{ at: 30s, kind: instance_crash, instance: b-1, duration: 10s }]",
        &["app.boot_time=20s"],
    );
    let t = &r.trace;
    let booting = t.find(r#""instance":"b-1","status":"booting""#).unwrap();
    let up = t.find(r#""instance":"b-1","status":"up""#).unwrap();
    assert!(booting < up);
    let f = &r.sum.faults[0];
    // Back at 40 s + 20 s boot, then two good checks 5 s apart.
    let back = f.capacity_restored_s.unwrap();
    assert!((65.0..=70.01).contains(&back), "{back}");
}

#[test]
fn constant_arrivals_issue_exactly_rate_times_duration() {
    let r = run_set("", &["workload.arrival=constant", "duration=10s"]);
    // 200/s for 10 s: arrivals at 5 ms, 10 ms, ..., 9995 ms.
    assert_eq!(r.sum.requests.total, 1999);
}

#[test]
fn faults_after_the_end_are_rejected_in_files_and_not_started_in_the_library() {
    let yaml = format!("{BASE}\nfaults: [{{ at: 1h, kind: az_outage, az: a }}]");
    let err = load_str(&yaml, "t.yaml", "t", &[]).unwrap_err();
    assert!(err.to_string().contains("faults[0].at"), "{err}");
    // A library caller can still shorten a loaded scenario.
    let mut s = load_str(
        &format!("{BASE}\nfaults: [{{ at: 2m, kind: az_outage, az: a }}]"),
        "t.yaml",
        "t",
        &[],
    )
    .unwrap();
    s.duration = 60 * NANOS_PER_SEC;
    let out = simulate(&s, Box::new(crate::metrics::NullSink), None);
    let sum = Summary::new(&s, &out);
    assert!(!sum.faults[0].started);
    assert_eq!(sum.requests.dropped.total, 0);
}

#[test]
fn overlapping_faults_on_one_instance_compose() {
    // A crash inside a hang: the instance is crashed until the crash ends,
    // then hung again until the hang ends.
    let r = run(
        "faults: [{ at: 30s, kind: instance_hang, instance: a-1, duration: 60s }, { at: 40s, kind: instance_crash, instance: a-1, duration: 10s }]",
    );
    let seq: Vec<&str> = r
        .trace
        .lines()
        .filter(|l| l.contains(r#""instance":"a-1","status""#))
        .map(|l| l.rsplit(':').next().unwrap())
        .collect();
    assert_eq!(
        seq,
        vec![r#""hung"}"#, r#""crashed"}"#, r#""hung"}"#, r#""up"}"#]
    );
}

#[test]
fn the_same_seed_gives_the_same_events_and_another_seed_does_not() {
    let a = run("faults: [{ at: 30s, kind: az_outage, az: a, duration: 30s }]");
    let b = run("faults: [{ at: 30s, kind: az_outage, az: a, duration: 30s }]");
    assert_eq!(a.sum, b.sum);
    assert_eq!(a.rows, b.rows);
    let c = run_set(
        "faults: [{ at: 30s, kind: az_outage, az: a, duration: 30s }]",
        &["seed=2"],
    );
    assert_ne!(a.sum.event_hash, c.sum.event_hash);
}

#[test]
fn adding_a_fault_leaves_the_arrival_stream_unchanged() {
    // Common random numbers: the same requests arrive whatever the design.
    let a = run("");
    let b = run("faults: [{ at: 30s, kind: latency, az: b, extra: 50ms }]");
    let issued = |r: &Ran| r.rows.iter().map(|x| x.counts.issued).collect::<Vec<_>>();
    assert_eq!(issued(&a), issued(&b));
}

#[test]
fn zero_instances_answer_every_request_with_no_healthy_target() {
    let r = run_set("", &["app.instances_per_az=0"]);
    let d = &r.sum.requests.dropped;
    assert_eq!(d.total, r.sum.requests.total);
    assert_eq!(d.no_healthy_target, d.total);
    assert_eq!(r.sum.capacity.zero_healthy_fraction, 1.0);
}

#[test]
fn draining_a_live_target_leaves_no_stale_completions() {
    // A slow but live target is marked unhealthy (responses slower than the
    // check timeout) while fail-open keeps routing to it; after the drain
    // delay its jobs are reset. The completions scheduled for them must not
    // complete the jobs that reuse their worker slots.
    let r = run_set(
        "faults: [{ at: 30s, kind: latency, az: a, extra: 3s }, { at: 30s, kind: latency, az: b, extra: 3s }, { at: 30s, kind: latency, az: c, extra: 3s }]",
        &[
            "load_balancer.deregistration_delay=10s",
            "workload.timeout=5s",
        ],
    );
    assert!(r.sum.requests.dropped.connection_reset > 0);
    assert!(r.sum.requests.succeeded > 0);
}

#[test]
fn capacity_is_restored_only_when_the_instance_serves_again() {
    // The crash ends before the LB notices; the instance then boots for
    // 60 s, fails checks meanwhile, and must pass two after its boot.
    let r = run_set(
        "faults: [{ at: 30s, kind: instance_crash, instance: a-1, duration: 1s }]",
        &["app.boot_time=60s"],
    );
    let f = &r.sum.faults[0];
    let back = f.capacity_restored_s.unwrap();
    assert!(
        (31.0 + 60.0 + 5.0..=31.0 + 60.0 + 10.01).contains(&back),
        "{back}"
    );
    assert!(f.detected_s.unwrap() < back);
}

#[test]
fn detection_is_credited_only_to_faults_still_active() {
    let r = run(
        "faults: [{ at: 10s, kind: latency, az: a, extra: 10ms, duration: 10s }, { at: 60s, kind: instance_crash, instance: a-1 }]",
    );
    assert_eq!(r.sum.faults[0].detected_s, None);
    assert!(r.sum.faults[1].detected_s.is_some());
}

/// 6 instances x 4 workers at 10 ms serve 2400/s; 3000/s overloads them.
/// Without shedding the queues fill (100 each) and successes wait in them;
/// with `max_outstanding: 6` the LB answers 503 at once to what the
/// targets cannot take, so the queues stay short and successes fast.
#[test]
fn load_shedding_answers_503_fast_instead_of_queueing() {
    let over = run_set("", &["workload.rate=3000/s"]);
    let shed = run_set(
        "",
        &["workload.rate=3000/s", "load_balancer.max_outstanding=6"],
    );
    let (o, s) = (&over.sum, &shed.sum);
    assert_eq!(o.requests.dropped.load_shed, 0);
    assert!(o.requests.dropped.queue_full > 0);
    assert!(s.requests.dropped.load_shed > 0);
    assert_eq!(s.requests.dropped.queue_full, 0);
    let p99 = |x: &Summary| x.latency_ms.as_ref().unwrap().p99;
    assert!(p99(s) < p99(o) / 2.0, "{} vs {}", p99(s), p99(o));
    // The fleet still serves close to its capacity.
    let rate = s.requests.succeeded as f64 / 180.0;
    assert!(rate > 0.85 * 2400.0, "{rate}");
}

/// A restart boot outlives the deregistration delay of the unhealthy
/// target: the drain finds no job and must not void the boot (it used to:
/// the instance stayed booting for good).
#[test]
fn a_boot_survives_the_drain_of_an_idle_target() {
    let r = run_set(
        "faults: [{ at: 60s, kind: instance_crash, instance: a-1, duration: 5s }]",
        &["app.boot_time=30s", "load_balancer.deregistration_delay=5s"],
    );
    assert!(r.trace.contains(r#""instance":"a-1","health":"unhealthy""#));
    let up = r
        .trace
        .lines()
        .find(|l| l.contains(r#""instance":"a-1","status":"up""#))
        .expect("a-1 boots again");
    assert!(up.contains(r#""t_s":95.0"#), "{up}");
    assert!(r.trace.contains(r#""instance":"a-1","health":"healthy""#));
    assert!(r.sum.faults[0].capacity_restored_s.is_some());
}
