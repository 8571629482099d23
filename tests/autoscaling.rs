//! The shipped autoscaling scenarios do what their descriptions say, with
//! the delays derived from their parameters.

use failover_sim::engine::time::as_secs_f64;
use failover_sim::metrics::{Row, VecSink};
use failover_sim::model::simulate;
use failover_sim::report::Summary;
use failover_sim::scenario::{ScalingPolicy, Scenario, load_file};

struct Ran {
    s: Scenario,
    sum: Summary,
    rows: Vec<Row>,
    events: Vec<serde_json::Value>,
}

fn run(file: &str, set: &[&str]) -> Ran {
    let set: Vec<String> = set.iter().map(|x| x.to_string()).collect();
    let s = load_file(std::path::Path::new(file), &set).unwrap_or_else(|e| panic!("{e}"));
    let rows = VecSink::default();
    let out = simulate(&s, Box::new(VecSink(rows.0.clone())), None);
    let sum = Summary::new(&s, &out);
    // The state changes the run kept: trace lines without the writer.
    assert_eq!(out.events_left_out, 0);
    let events = out
        .events
        .iter()
        .map(|(t, e)| {
            let mut v = serde_json::to_value(e).unwrap();
            v["t_s"] = as_secs_f64(*t).into();
            v
        })
        .collect();
    let rows = rows.0.borrow().clone();
    Ran {
        s,
        sum,
        rows,
        events,
    }
}

fn times(r: &Ran, event: &str) -> Vec<f64> {
    r.events
        .iter()
        .filter(|e| e["event"] == event)
        .map(|e| e["t_s"].as_f64().unwrap())
        .collect()
}

/// traffic-surge: the rate triples at T = 10 min. CloudWatch closes a
/// datapoint every period P (60 s) covering the period before it; the first
/// one wholly in the surge closes at the first tick after T (or at T + P
/// when T is a tick), and the policy needs 3 in a row above its target, so
/// the scale-out comes at first + 2P, or first + 3P when the partial period
/// before it did not read above target. Launches happen at that instant;
/// each instance boots for `boot_time`, then needs `healthy_threshold`
/// passing checks: the first within one interval i, so it serves between
/// (h - 1) i and h i + timeout after booting. CPU saturates at 100% meanwhile,
/// so the policy cannot ask for more until the new instances warm up.
#[test]
fn traffic_surge_scales_out_after_the_documented_delays() {
    for seed in [3u64, 4, 5] {
        let seed_set = format!("seed={seed}");
        let r = run("scenarios/traffic-surge.yaml", &[&seed_set, "duration=25m"]);
        let a = r.s.autoscaling.as_ref().unwrap();
        let p = as_secs_f64(a.metric_period);
        let Some(ScalingPolicy::TargetTracking { out_periods, .. }) = &a.policy else {
            panic!("target tracking expected");
        };
        let n = f64::from(*out_periods);
        let surge = 600.0;
        let first = (surge / p).floor() * p + p;
        let scaled = times(&r, "asg_capacity")[0];
        assert!(
            scaled >= first + (n - 1.0) * p && scaled <= first + n * p,
            "seed {seed}: scaled out at {scaled}"
        );
        let launches = times(&r, "asg_launch");
        assert!(launches.iter().take(6).all(|&t| t == scaled));
        let boot = as_secs_f64(a.boot_time);
        let hc = r.s.load_balancer.health_check.as_ref().unwrap();
        let (i, h) = (as_secs_f64(hc.interval), f64::from(hc.healthy_threshold));
        let t_out = as_secs_f64(hc.timeout);
        // The launched instances' first "up" and "healthy" in the trace.
        let named: Vec<String> = r
            .events
            .iter()
            .filter(|e| e["event"] == "asg_launch" && e["t_s"].as_f64() == Some(scaled))
            .map(|e| e["instance"].as_str().unwrap().to_string())
            .collect();
        for name in &named {
            let at = |ev: &str, key: &str, val: &str| {
                r.events
                    .iter()
                    .find(|e| e["event"] == ev && e["instance"] == name.as_str() && e[key] == val)
                    .and_then(|e| e["t_s"].as_f64())
                    .unwrap_or_else(|| panic!("{name}: no {ev} {val}"))
            };
            let up = at("instance_status", "status", "up");
            assert!((up - scaled - boot).abs() < 1e-6, "{name} up at {up}");
            let healthy = at("target_health", "health", "healthy");
            let wait = healthy - up;
            assert!(
                wait >= (h - 1.0) * i && wait <= h * i + t_out,
                "seed {seed}: {name} healthy {wait} s after booting"
            );
        }
        // No further scale-out before the first new instances count.
        let warm = as_secs_f64(a.warmup);
        assert!(
            times(&r, "asg_capacity")
                .iter()
                .all(|&t| t == scaled || t >= scaled + warm)
        );
        // In service in the time series: 6 until the first new instance
        // serves, more afterwards.
        let in_service_at = |t: f64| {
            r.rows
                .iter()
                .find(|row| as_secs_f64(row.end) >= t)
                .map(|row| row.fleet.in_service)
                .unwrap()
        };
        assert_eq!(in_service_at(scaled + boot), 6);
        assert!(in_service_at(scaled + boot + h * i + t_out + 1.0) >= 12);
    }
}

/// The surge is absorbed: after the fleet has grown, the success ratio is
/// back above 99.9% and the group has not gone past the policy's need.
#[test]
fn traffic_surge_recovers_once_capacity_serves() {
    let r = run("scenarios/traffic-surge.yaml", &[]);
    let late: Vec<&Row> = r
        .rows
        .iter()
        .filter(|row| (1200.0..1800.0).contains(&as_secs_f64(row.start)))
        .collect();
    let ok: u64 = late.iter().map(|x| x.counts.succeeded).sum();
    let all: u64 = late.iter().map(|x| x.counts.issued).sum();
    assert!(ok as f64 / all as f64 > 0.999, "{ok}/{all}");
    let a = r.sum.autoscaling.as_ref().unwrap();
    // 3000/s x 20 ms = 60 busy workers = 7.5 instances at 100%: 15 at 50%.
    assert!((15..=18).contains(&a.max_desired), "{a:?}");
    // And it scales back in after the surge (15 low datapoints).
    assert_eq!(a.final_desired, 6);
    assert!(a.instance_hours < 18.0 && a.instance_hours > 6.0);
}

/// static-stability: with N+1 headroom the AZ loss costs only the requests
/// sent to dead targets before they leave; without it the remaining four
/// instances saturate until the group's replacements serve.
#[test]
fn static_stability_beats_reactive_replacement_on_the_same_seed() {
    let stable = run("scenarios/static-stability.yaml", &[]);
    let reactive = run(
        "scenarios/static-stability.yaml",
        &["autoscaling.static_stability=false"],
    );
    let (s, r) = (&stable.sum, &reactive.sum);
    assert_eq!(s.requests.dropped.queue_full, 0);
    assert!(r.requests.dropped.queue_full > 1000);
    assert!(s.availability.unwrap() > r.availability.unwrap());
    let lat = |x: &Summary| x.faults[0].failover_latency_s.unwrap();
    assert!(lat(&reactive.sum) > 2.0 * lat(&stable.sum));
    // Headroom costs instance-hours: 9 instead of 6 most of the run.
    let hours = |x: &Summary| x.autoscaling.as_ref().unwrap().instance_hours;
    assert!(hours(s) > 1.3 * hours(r));
    // The reactive group launched only into b and c while a was out, then
    // rebalanced into a.
    for e in &reactive.events {
        if e["event"] == "asg_launch" {
            let t = e["t_s"].as_f64().unwrap();
            let in_a = e["az"] == "a";
            assert_eq!(in_a, t >= 1500.0, "{e}");
        }
    }
    assert_eq!(reactive.rows.last().unwrap().healthy, vec![2, 2, 2]);
}

/// unhealthy-replacement: with `elb` the hung instance is replaced and the
/// fault's capacity comes back; with `ec2` it never is.
#[test]
fn unhealthy_replacement_depends_on_the_health_check_type() {
    let elb = run("scenarios/unhealthy-replacement.yaml", &[]);
    let ec2 = run(
        "scenarios/unhealthy-replacement.yaml",
        &["autoscaling.health_check=ec2"],
    );
    let a = elb.sum.autoscaling.as_ref().unwrap();
    assert_eq!((a.launches, a.replaced_unhealthy), (1, 1));
    let f = &elb.sum.faults[0];
    let restored = f.capacity_restored_s.unwrap() - f.start_s;
    // Detection (15-25 s) + deregistration delay (30 s) + boot (60 s) +
    // five checks (40-55 s).
    assert!((145.0..=170.0).contains(&restored), "{restored}");
    let b = ec2.sum.autoscaling.as_ref().unwrap();
    assert_eq!((b.launches, b.terminations), (0, 0));
    assert_eq!(ec2.sum.faults[0].capacity_restored_s, None);
    assert_eq!(ec2.rows.last().unwrap().fleet.in_service, 5);
}

/// Same file and seed, same bytes: launches, terminations and the random
/// choices of the termination policy included.
#[test]
fn autoscaling_runs_are_deterministic() {
    let set = ["duration=20m", "seed=9"];
    let a = run("scenarios/static-stability.yaml", &set);
    let b = run("scenarios/static-stability.yaml", &set);
    assert_eq!(
        serde_json::to_string(&a.sum).unwrap(),
        serde_json::to_string(&b.sum).unwrap()
    );
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.events, b.events);
    assert!(a.sum.autoscaling.as_ref().unwrap().launches > 0);
}
