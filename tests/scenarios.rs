//! Every file in scenarios/ loads and runs, and teaches what it says.

use std::fs;

use failover_sim::metrics::NullSink;
use failover_sim::model::{max_request_lifetime, simulate};
use failover_sim::report::Summary;
use failover_sim::scenario::{Scenario, load_file};

fn scenario_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir("scenarios")
        .expect("scenarios/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    files
}

fn run(s: &Scenario) -> Summary {
    let out = simulate(s, Box::new(NullSink), None);
    if let Some(age) = out.oldest_in_flight {
        assert!(age <= max_request_lifetime(s), "a request was lost");
    }
    Summary::new(s, &out)
}

#[test]
fn every_scenario_file_runs_and_conserves_requests() {
    let files = scenario_files();
    assert!(files.len() >= 2);
    for f in files {
        let s = load_file(&f, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !s.description.is_empty(),
            "{} needs a description",
            f.display()
        );
        let sum = run(&s);
        let r = &sum.requests;
        assert!(r.total > 0, "{}", f.display());
        assert_eq!(r.total, r.succeeded + r.dropped.total + r.in_flight);
        assert_eq!(sum.faults.len(), s.faults.len());
        assert!(sum.faults.iter().all(|x| x.started));
    }
}

/// With ALB-style checks (interval i, timeout t, unhealthy threshold k) a
/// powered-off target fails each check at its timeout. The first check after
/// the outage comes within one interval, so a target is marked unhealthy
/// between (k-1) i + t and k i + t after the fault: 35-65 s with the
/// defaults. Traffic is restored once both dead targets are out and the
/// attempts already sent to them have timed out (one client timeout), judged
/// over a 5 s window: the failover latency lies between the earliest marking
/// and the latest one plus client timeout and window.
#[test]
fn az_outage_failover_latency_follows_the_health_check_settings() {
    let mut latencies = Vec::new();
    for seed in 1..=5u64 {
        let s = load_file(
            "scenarios/az-outage.yaml".as_ref(),
            &[format!("seed={seed}"), "duration=15m".into()],
        )
        .unwrap();
        let hc = s.load_balancer.health_check.as_ref().unwrap();
        let secs = |t: u64| t as f64 / 1e9;
        let (i, t, k) = (
            secs(hc.interval),
            secs(hc.timeout),
            f64::from(hc.unhealthy_threshold),
        );
        let sum = run(&s);
        let f = &sum.faults[0];
        assert!(!f.masked, "an AZ outage under round robin dips below 99%");
        let detected = f.detected_s.unwrap() - f.start_s;
        assert!(
            ((k - 1.0) * i + t..=k * i + t).contains(&detected),
            "seed {seed}: detected after {detected} s"
        );
        let lat = f.failover_latency_s.unwrap();
        let upper = k * i + t + secs(s.workload.timeout) + secs(s.metrics.window);
        assert!(
            ((k - 1.0) * i + t..=upper).contains(&lat),
            "seed {seed}: failover latency {lat} s outside [{}, {upper}]",
            (k - 1.0) * i + t
        );
        latencies.push(lat);
    }
    // Different seeds put the outage at different points of the check cycle.
    latencies.dedup();
    assert!(latencies.len() > 1);
}

/// The determinism fingerprint of a real run, pinned. Any change to the
/// model's behaviour, the event order or the random streams changes it; when
/// that is intended, update the value and say so in the commit, because every
/// result published for this seed changes with it.
#[test]
fn instance_failure_event_hash_is_pinned() {
    let s = load_file(
        "scenarios/instance-failure.yaml".as_ref(),
        &["duration=6m".to_string()],
    )
    .unwrap();
    let a = run(&s);
    assert_eq!(a, run(&s));
    assert_eq!(a.event_hash, PINNED_HASH);
}
const PINNED_HASH: &str = "97556de828a1aa97";

/// Every shipped scenario writes its whole report: charts for its tiers,
/// a timeline that starts with its first fault, and the HTML page.
#[test]
fn every_scenario_file_writes_its_charts_timeline_and_report() {
    let dir = tempfile::tempdir().unwrap();
    for f in scenario_files() {
        let s = load_file(&f, &[]).unwrap_or_else(|e| panic!("{e}"));
        let opts = failover_sim::report::RunOptions::default();
        let run = failover_sim::report::run_to_dir(&s, dir.path(), &opts, None)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let mut stems = vec!["success", "latency", "healthy", "dropped"];
        if s.database.is_some() {
            stems.push("database");
        }
        if s.autoscaling.is_some() {
            stems.push("autoscaling");
        }
        if !s.monitoring.alarms.is_empty() {
            stems.push("alarms");
        }
        let drawn: Vec<&str> = run.charts.iter().map(|c| c.stem).collect();
        assert_eq!(drawn, stems, "{}", f.display());
        for c in &run.charts {
            assert!(run.files.dir.join(format!("{}.svg", c.stem)).is_file());
        }
        let timeline = std::fs::read_to_string(&run.files.timeline).unwrap();
        if let Some(first) = s.faults.iter().min_by_key(|x| x.at) {
            let line = timeline
                .lines()
                .find(|l| l.contains("fault #") && l.contains("starts"))
                .unwrap_or_else(|| panic!("{}: no fault in\n{timeline}", f.display()));
            let at = failover_sim::report::timeline::clock(first.at);
            assert!(line.starts_with(&at), "{}: {line}", f.display());
        }
        let html = std::fs::read_to_string(&run.files.report).unwrap();
        assert!(html.contains(&format!("<h1>{}</h1>", s.name)));
    }
}
