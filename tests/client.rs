//! Client behaviour through the library: the retry storm and what tames it
//! (backoff, jitter, a retry budget, a circuit breaker), and traffic that
//! follows a time-varying rate.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use failover_sim::engine::{NANOS_PER_SEC, SimTime};
use failover_sim::metrics::{NullSink, Row, VecSink};
use failover_sim::model::{max_request_lifetime, simulate};
use failover_sim::report::Summary;
use failover_sim::scenario::{Scenario, load_file, load_str};

const STORM: &str = "scenarios/retry-storm.yaml";
/// The naive clients of retry-storm.yaml's comments.
const NAIVE: [&str; 3] = [
    "workload.backoff=constant",
    "workload.retry_budget=none",
    "workload.retries=5",
];

fn load(file: &str, set: &[&str]) -> Scenario {
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    load_file(Path::new(file), &set).unwrap_or_else(|e| panic!("{e}"))
}

fn run(s: &Scenario) -> Summary {
    let out = simulate(s, Box::new(NullSink), None);
    if let Some(age) = out.oldest_in_flight {
        assert!(
            age <= max_request_lifetime(s),
            "a request outlived its attempts"
        );
    }
    let sum = Summary::new(s, &out);
    let r = &sum.requests;
    assert_eq!(r.total, r.succeeded + r.dropped.total + r.in_flight);
    sum
}

fn run_rows(s: &Scenario) -> (Summary, Vec<Row>) {
    let rows = Rc::new(RefCell::new(Vec::new()));
    let out = simulate(s, Box::new(VecSink(rows.clone())), None);
    let rows = rows.borrow().clone();
    (Summary::new(s, &out), rows)
}

#[test]
fn backoff_and_a_budget_drop_far_fewer_requests_than_naive_retries() {
    let careful = run(&load(STORM, &[]));
    let naive = run(&load(STORM, &NAIVE));
    // Same seed, same requests.
    assert_eq!(careful.requests.total, naive.requests.total);
    let (dc, dn) = (careful.requests.dropped.total, naive.requests.dropped.total);
    assert!(dn > 3 * dc, "naive {dn} vs careful {dc} dropped");
    // Naive clients multiply the load on the LB; careful ones barely add to it.
    let (ac, an) = (
        careful.attempts_per_request.unwrap(),
        naive.attempts_per_request.unwrap(),
    );
    assert!(
        an > 3.0 && ac < 1.1,
        "attempts per request: naive {an}, careful {ac}"
    );
    assert!(careful.client.retries_refused_by_budget > 0);
    assert_eq!(naive.client.retries_refused_by_budget, 0);
    // The storm outlives its trigger; the careful fleet recovers with its
    // capacity (two minutes of outage, a minute of boot, three checks).
    assert_eq!(naive.faults[0].verdict, "not_recovered");
    assert_eq!(careful.faults[0].verdict, "recovered");
    let lat = careful.faults[0].failover_latency_s.unwrap();
    assert!(lat < 240.0, "careful clients recovered after {lat} s");
}

/// Over the run every retry passed the budget: with warm-up 0 the summary
/// counts every request. Windows ending at successive allowed retries (each
/// at least ttl - 100 ms long, see src/model/retry.rs) cover the run, so
/// retries <= ratio x first attempts + min x ttl x (duration / (ttl - 0.1 s) + 1);
/// during the fault, when the budget binds, the retries come close to it.
#[test]
fn the_retry_budget_caps_retries_on_a_run() {
    let s = load(STORM, &["warmup=0s", "duration=10m"]);
    let b = s.workload.retry_budget.unwrap();
    let ttl = b.ttl as f64 / NANOS_PER_SEC as f64;
    let cap = |firsts: u64, span: f64| {
        b.ratio * firsts as f64 + b.min_per_second * ttl * (span / (ttl - 0.1) + 1.0)
    };
    let (sum, rows) = run_rows(&s);
    let retries = sum.client.retries;
    let firsts = sum.attempts - retries;
    assert!((retries as f64) <= cap(firsts, 600.0), "{retries} retries");
    // From 5 min to 7 min (rows are 1 s), first attempts counted from one
    // ttl earlier.
    let retries: u64 = rows[300..420].iter().map(|r| r.client.retries).sum();
    let firsts: u64 = rows[290..420]
        .iter()
        .map(|r| r.client.attempts - r.client.retries)
        .sum();
    let c = cap(firsts, 120.0);
    assert!(
        (retries as f64) <= c && (retries as f64) > 0.8 * c,
        "{retries} vs cap {c}"
    );
}

#[test]
fn the_circuit_breaker_opens_during_the_outage_and_fails_requests_fast() {
    let s = load(STORM, &["workload.circuit_breaker={}"]);
    let sum = run(&s);
    let c = &sum.client;
    assert!(c.circuit_opened >= 1, "{c:?}");
    assert!(c.circuit_open_s >= 30.0, "{c:?}");
    assert!(sum.requests.dropped.circuit_open > 10_000);
    // Rejected attempts are never sent: fewer attempts than requests.
    assert!(sum.attempts_per_request.unwrap() < 1.0);
    // Without a fault it never opens.
    let calm = run(&load(
        STORM,
        &["workload.circuit_breaker={}", "faults=[]", "duration=3m"],
    ));
    assert_eq!(
        (
            calm.client.circuit_opened,
            calm.requests.dropped.circuit_open
        ),
        (0, 0)
    );
}

#[test]
fn exponential_backoff_waits_double_up_to_the_cap() {
    let s = load(STORM, &["workload.retries=8", "workload.backoff_cap=5s"]);
    let ms = |n: u32| s.workload.backoff_wait(n) / 1_000_000;
    assert_eq!(
        (1..=8).map(ms).collect::<Vec<_>>(),
        [100, 200, 400, 800, 1600, 3200, 5000, 5000]
    );
    // A request lives at most 9 timeouts plus the un-jittered waits.
    let waits: SimTime = (1..=8).map(|n| s.workload.backoff_wait(n)).sum();
    assert_eq!(max_request_lifetime(&s), 9 * NANOS_PER_SEC + waits);
    let naive = load(STORM, &NAIVE);
    assert_eq!(naive.workload.backoff_wait(5), 100_000_000);
}

#[test]
fn the_same_seed_gives_the_same_summary_json() {
    let s = load(
        STORM,
        &[
            "workload.circuit_breaker={}",
            "workload.jitter=equal",
            "duration=9m",
        ],
    );
    let a = serde_json::to_string(&run(&s)).unwrap();
    let b = serde_json::to_string(&run(&s)).unwrap();
    assert_eq!(a, b);
    let other = load(
        STORM,
        &[
            "workload.circuit_breaker={}",
            "workload.jitter=equal",
            "duration=9m",
            "seed=12",
        ],
    );
    assert_ne!(a, serde_json::to_string(&run(&other)).unwrap());
}

/// Issued requests per minute against the integral of the rate, through
/// the whole model: the total within 4 sigma of its Poisson expectation and
/// the dispersion sum (N_i - L_i)^2 / L_i within k +- 4 sqrt(2k) for k = 30
/// windows (chi-square; see src/model/arrivals.rs for the derivation).
#[test]
fn a_spike_issues_requests_at_the_integrated_rate() {
    let s = load_str(
        "duration: 30m\napp: { instances_per_az: 1 }\nworkload:\n  rate: 50/s\n  pattern: { spike: { at: 10m, duration: 450s, factor: 4 } }\n",
        "spike.yaml",
        "spike",
        &[],
    )
    .unwrap();
    let (sum, rows) = run_rows(&s);
    let minute = |i: usize| {
        rows[i * 60..(i + 1) * 60]
            .iter()
            .map(|r| r.counts.issued)
            .sum::<u64>()
    };
    let expected = |i: usize| {
        let (a, b) = (i as f64 * 60.0, (i + 1) as f64 * 60.0);
        let spike = (b.min(1050.0) - a.max(600.0)).max(0.0);
        50.0 * 60.0 + 150.0 * spike
    };
    let (mut n, mut l, mut d) = (0.0, 0.0, 0.0);
    for i in 0..30 {
        let (ni, li) = (minute(i) as f64, expected(i));
        n += ni;
        l += li;
        d += (ni - li) * (ni - li) / li;
    }
    assert_eq!(n as u64, sum.requests.total);
    let z = (n - l) / l.sqrt();
    assert!(z.abs() < 4.0, "total {n} vs {l}: z {z:.2}");
    let band = 4.0 * (2.0f64 * 30.0).sqrt();
    assert!(
        (d - 30.0).abs() < band,
        "dispersion {d:.1} outside 30 +- {band:.1}"
    );
    assert_eq!(sum.availability, Some(1.0));
}

/// A response due at the very nanosecond of its attempt's timeout loses:
/// the timeout was scheduled when the attempt started, before the hop to
/// the instance, and equal times fire in scheduling order. Only the first
/// live timeout is an event (the others wait in the clients' queue), but it
/// keeps the sequence number of its attempt's start, so the order is the
/// same; one nanosecond more of timeout and every request succeeds.
#[test]
fn a_response_at_the_timeout_instant_loses_to_the_timeout() {
    let yaml = "azs: [a]
duration: 2m
warmup: 0s
network: { latency: 0s }
app: { instances_per_az: 1, workers: 1000,
       service_time: { dist: constant, value: 1s } }
workload: { rate: 50/s, arrival: poisson, retries: 0, timeout: 1s }";
    let tie = run(&load_str(yaml, "tie.yaml", "tie", &[]).unwrap());
    let r = &tie.requests;
    assert!(r.total > 5_000, "{}", r.total);
    assert_eq!(r.succeeded, 0);
    // The last second's requests are still in flight at the end.
    assert_eq!(r.dropped.total + r.in_flight, r.total);
    let later = run(&load_str(
        yaml,
        "tie.yaml",
        "tie",
        &["workload.timeout=1000000001ns".into()],
    )
    .unwrap());
    let r = &later.requests;
    assert_eq!(r.succeeded + r.in_flight, r.total);
    assert_eq!(r.dropped.total, 0);
}
