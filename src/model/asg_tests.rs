//! The Auto Scaling Group: replacement by health check type, grace period,
//! AZ-aware launches and rebalancing, scaling policies and their delays.

use super::tests::{Ran, run_yaml};

/// A small fleet: 3 AZs x 2 instances x 4 workers, 10 ms exponential
/// service, fast health checks (5 s, timeout 2 s, thresholds 2/2), 200/s.
const BASE: &str = "
network: { latency: 500us }
app: { workers: 4, service_time: { dist: exponential, mean: 10ms }, boot_time: 0s }
";

fn lb(dereg: &str) -> String {
    format!(
        "load_balancer: {{ deregistration_delay: {dereg}, health_check: {{ interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }} }}\n"
    )
}

/// BASE with the AZs, duration, rate, deregistration delay and extra YAML.
struct With<'a> {
    azs: &'a str,
    duration: &'a str,
    rate: &'a str,
    dereg: &'a str,
}

const DEFAULT: With = With {
    azs: "a, b, c",
    duration: "3m",
    rate: "200/s",
    dereg: "300s",
};

fn run_with(w: With, extra: &str, set: &[&str]) -> Ran {
    let yaml = format!(
        "{BASE}{}azs: [{}]\nduration: {}\nworkload: {{ rate: {}, timeout: 1s }}\n{extra}",
        lb(w.dereg),
        w.azs,
        w.duration,
        w.rate
    );
    run_yaml(&yaml, set)
}

fn run(extra: &str) -> Ran {
    run_with(DEFAULT, extra, &[])
}

/// Trace lines as (time, event, instance or "", the whole line).
fn events(r: &Ran) -> Vec<(f64, String, String, serde_json::Value)> {
    r.trace
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let t = v["t_s"].as_f64().unwrap();
            let e = v["event"].as_str().unwrap().to_string();
            let i = v["instance"].as_str().unwrap_or("").to_string();
            (t, e, i, v)
        })
        .collect()
}

/// Time of the first `event` about `instance` (any instance if "").
fn first(r: &Ran, event: &str, instance: &str, what: &str) -> Option<f64> {
    events(r)
        .into_iter()
        .find(|(_, e, i, v)| {
            e == event
                && (instance.is_empty() || i == instance)
                && (what.is_empty()
                    || v["health"] == what
                    || v["status"] == what
                    || v["reason"] == what)
        })
        .map(|(t, ..)| t)
}

const HANG: &str = "
faults: [{ at: 60s, kind: instance_hang, instance: a-1 }]
autoscaling: { boot_time: 20s, health_check: ";

/// a-1 hangs at 60 s; deregistration delay 10 s; `asg` completes HANG.
fn hang(duration: &str, asg: &str) -> Ran {
    let w = With {
        duration,
        dereg: "10s",
        ..DEFAULT
    };
    run_with(w, &format!("{HANG}{asg}"), &[])
}

/// ELB health checks (interval 5 s, timeout 2 s, thresholds 2/2): a-1 is
/// unhealthy 7-12 s after it hangs and the group starts terminating it at
/// that instant. Its stuck requests never finish, so it goes after the full
/// 10 s deregistration delay; the replacement a-3 is launched then, boots
/// for 20 s, and is routed to after two passing checks (5-10 s more).
#[test]
fn elb_health_check_replaces_a_hung_instance_after_the_thresholds() {
    let r = hang(DEFAULT.duration, "elb, grace_period: 60s }");
    let unhealthy = first(&r, "target_health", "a-1", "unhealthy").expect("marked");
    assert!((67.0..=72.0 + 0.01).contains(&unhealthy), "{unhealthy}");
    let terminating = first(&r, "asg_terminate", "a-1", "elb_health_check").unwrap();
    assert_eq!(terminating, unhealthy);
    let gone = first(&r, "asg_terminated", "a-1", "").unwrap();
    assert!((gone - terminating - 10.0).abs() < 1e-6, "{gone}");
    let launched = first(&r, "asg_launch", "a-3", "capacity").unwrap();
    assert_eq!(launched, gone);
    let up = first(&r, "instance_status", "a-3", "up").unwrap();
    assert!((up - launched - 20.0).abs() < 1e-6);
    let healthy = first(&r, "target_health", "a-3", "healthy").unwrap();
    assert!(
        (5.0..=10.0 + 0.01).contains(&(healthy - up)),
        "{}",
        healthy - up
    );
    let a = r.sum.autoscaling.as_ref().unwrap();
    assert_eq!(
        (a.launches, a.terminations, a.replaced_unhealthy),
        (1, 1, 1)
    );
    let f = &r.sum.faults[0];
    assert_eq!(f.detected_s, Some(unhealthy));
    assert_eq!(f.capacity_restored_s, Some(healthy));
    // The fleet is whole again at the end: 6 serving instances.
    let last = r.rows.last().unwrap();
    assert_eq!(last.fleet.in_service, 6);
}

/// EC2 status checks look at the machine: a hung process passes them, so
/// the group never replaces it, however long the LB has it unhealthy.
#[test]
fn ec2_health_check_never_replaces_a_hung_instance() {
    let r = hang(DEFAULT.duration, "ec2, grace_period: 60s }");
    assert!(first(&r, "target_health", "a-1", "unhealthy").is_some());
    assert_eq!(first(&r, "asg_terminate", "", ""), None);
    let a = r.sum.autoscaling.as_ref().unwrap();
    assert_eq!((a.launches, a.terminations), (0, 0));
    assert_eq!(r.rows.last().unwrap().fleet.in_service, 5);
    assert_eq!(r.sum.faults[0].capacity_restored_s, None);
}

/// A grace period shorter than the boot lets the group judge a replacement
/// that is still booting (its checks are refused): it kills it and launches
/// another, over and over. With a grace period covering the boot it
/// replaces a-1 once.
#[test]
fn a_grace_period_shorter_than_the_boot_makes_the_group_kill_booting_instances() {
    let short = hang("6m", "elb, grace_period: 5s }");
    let a = short.sum.autoscaling.as_ref().unwrap();
    assert!(a.launches >= 5, "{a:?}");
    assert!(first(&short, "instance_status", "a-3", "up").is_none());
    let long = hang("6m", "elb, grace_period: 90s }");
    assert_eq!(long.sum.autoscaling.as_ref().unwrap().launches, 1);
}

/// AZ a loses power from 60 s to 180 s. EC2 status checks (every 10 s)
/// find its instances impaired; the group terminates them and launches
/// replacements in b and c only. When a returns, the group launches into a
/// first and terminates the surplus in b and c once each new instance
/// serves, until every AZ holds two again.
#[test]
fn az_outage_launches_only_into_healthy_azs_and_rebalances_after() {
    let r = run_with(
        With {
            duration: "8m",
            ..DEFAULT
        },
        "autoscaling: { status_check_interval: 10s, grace_period: 0s, boot_time: 15s }
faults: [{ at: 60s, kind: az_outage, az: a, duration: 120s }]",
        &[],
    );
    let ev = events(&r);
    let launches: Vec<(f64, String, String)> = ev
        .iter()
        .filter(|(_, e, ..)| e == "asg_launch")
        .map(|(t, _, _, v)| {
            (
                *t,
                v["az"].as_str().unwrap().to_string(),
                v["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let during: Vec<_> = launches.iter().filter(|l| l.0 < 180.0).collect();
    assert_eq!(during.len(), 2, "{launches:?}");
    for (t, az, reason) in &during {
        assert!(*t >= 60.0 && *t <= 70.0 + 1e-6, "{t}");
        assert_ne!(az, "a");
        assert_eq!(reason, "capacity");
    }
    let after: Vec<_> = launches.iter().filter(|l| l.0 >= 180.0).collect();
    assert_eq!(after.len(), 2, "{launches:?}");
    assert!(
        after
            .iter()
            .all(|(_, az, why)| az == "a" && why == "rebalance")
    );
    assert_eq!(after[0].0, 180.0, "the rebalancing starts as a returns");
    let rebalanced: Vec<_> = ev
        .iter()
        .filter(|(_, e, _, v)| e == "asg_terminate" && v["reason"] == "rebalance")
        .collect();
    assert_eq!(rebalanced.len(), 2);
    assert!(rebalanced.iter().all(|(_, _, i, _)| !i.starts_with("a-")));
    let last = r.rows.last().unwrap();
    assert_eq!(last.healthy, vec![2, 2, 2]);
    assert_eq!(last.fleet.desired, 6);
    let a = r.sum.autoscaling.as_ref().unwrap();
    // Rebalancing may exceed the capacity by one instance (10% or 1).
    assert_eq!(a.max_instances, 7);
    assert_eq!(a.launches, 4);
}

/// Target tracking at 30% CPU with 50% measured: CloudWatch datapoints close
/// every period, and three above the target (the default) trigger the
/// scale-out at exactly 3 periods, to ceil(2 x 50% / 30%) = 4 instances (a
/// minute's CPU has a relative sd under 1%: 3.2 to 3.5 before rounding up).
/// With 30 s periods and two datapoints it comes at 60 s.
#[test]
fn target_tracking_scales_out_after_the_alarm_periods() {
    // 400/s x 10 ms = 4 busy workers of 2 instances x 4: 50%.
    let base = "autoscaling: { desired: 2, max: 10, boot_time: 10s, policy: { target_tracking: { target: 30% } } }";
    let two = || With {
        azs: "a, b",
        rate: "400/s",
        duration: "5m",
        ..DEFAULT
    };
    let r = run_with(two(), base, &[]);
    let scaled = events(&r)
        .into_iter()
        .find(|(_, e, ..)| e == "asg_capacity")
        .expect("scaled out");
    assert_eq!(scaled.0, 180.0);
    assert_eq!(
        (scaled.3["from"].as_u64(), scaled.3["to"].as_u64()),
        (Some(2), Some(4))
    );
    assert_eq!(first(&r, "asg_launch", "", "").unwrap(), 180.0);
    let fast = run_with(
        two(),
        base,
        &[
            "autoscaling.metric_period=30s",
            "autoscaling.policy.target_tracking.scale_out_periods=2",
        ],
    );
    assert_eq!(first(&fast, "asg_capacity", "", "").unwrap(), 60.0);
    // Warm-up (300 s by default) keeps the new instances out of the metric:
    // the same datapoints do not add more, so 4 is where it stays.
    assert_eq!(r.sum.autoscaling.as_ref().unwrap().max_desired, 4);
}

/// Low CPU for 15 periods (the default scale-in alarm) lowers the
/// capacity, never below min; a warming instance blocks scale-in.
#[test]
fn target_tracking_scales_in_slowly_and_not_below_min() {
    let long = || With {
        duration: "20m",
        ..DEFAULT
    };
    let asg = "autoscaling: { min: 3, max: 6, policy: { target_tracking: { target: 60% } } }";
    let r = run_with(long(), asg, &[]);
    // 200/s x 10 ms over 24 workers: about 8%, far below 90% of 60%.
    let ev: Vec<_> = events(&r)
        .into_iter()
        .filter(|(_, e, ..)| e == "asg_capacity")
        .collect();
    assert_eq!(ev.len(), 1, "{:?}", r.trace);
    assert_eq!(ev[0].0, 15.0 * 60.0);
    assert_eq!(ev[0].3["to"].as_u64(), Some(3));
    let off = run_with(
        long(),
        asg,
        &["autoscaling.policy.target_tracking.disable_scale_in=true"],
    );
    assert_eq!(first(&off, "asg_capacity", "", ""), None);
}

/// A step policy adds the step the breach reaches: 50% measured against a
/// 20% threshold is 30 points over, past the `over: 20%` step of +3.
#[test]
fn step_scaling_adds_the_step_the_breach_reaches() {
    let two = With {
        azs: "a, b",
        rate: "400/s",
        ..DEFAULT
    };
    let r = run_with(
        two,
        "autoscaling:
  desired: 2
  max: 10
  policy:
    step:
      scale_out: { threshold: 20%, steps: [{ over: 0, change: 1 }, { over: 20%, change: 3 }] }
      periods: 2
      cooldown: 10m",
        &[],
    );
    let ev: Vec<_> = events(&r)
        .into_iter()
        .filter(|(_, e, ..)| e == "asg_capacity")
        .collect();
    // Two datapoints: at 120 s. The cooldown holds off a second activity.
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].0, 120.0);
    assert_eq!(ev[0].3["to"].as_u64(), Some(5));
}

/// A scheduled action sets the sizes at its time; the group launches at
/// once, spread over the AZs.
#[test]
fn scheduled_actions_change_the_capacity_on_time() {
    let r = run("autoscaling:
  max: 12
  scheduled: [{ at: 30s, desired: 9 }, { at: 120s, desired: 6 }]");
    let launches: Vec<_> = events(&r)
        .into_iter()
        .filter(|(_, e, ..)| e == "asg_launch")
        .collect();
    assert_eq!(launches.len(), 3);
    assert!(launches.iter().all(|(t, ..)| *t == 30.0));
    let azs: Vec<&str> = launches
        .iter()
        .map(|l| l.3["az"].as_str().unwrap())
        .collect();
    assert_eq!(azs, vec!["a", "b", "c"]);
    let a = r.sum.autoscaling.as_ref().unwrap();
    assert_eq!((a.max_desired, a.final_desired, a.terminations), (9, 6, 3));
    // Scheduled changes are not policy activities.
    assert_eq!((a.scale_outs, a.scale_ins), (0, 0));
}

/// Instance-hours integrate every live instance: 6 for 3 minutes, plus
/// three more from 30 s to when they are gone after 120 s.
#[test]
fn instance_hours_integrate_the_fleet() {
    let r = run("autoscaling: { scheduled: [{ at: 60s, desired: 3, min: 3 }] }");
    let a = r.sum.autoscaling.as_ref().unwrap();
    // 3 instances for 180 s, 3 more for 60 s and then until drained: scale-in
    // deregisters them and they go once idle (milliseconds later).
    let hours = (3.0 * 180.0 + 3.0 * 60.0) / 3600.0;
    assert!(
        (a.instance_hours - hours).abs() < 1e-3,
        "{}",
        a.instance_hours
    );
    assert_eq!(
        r.sum.requests.dropped.total, 0,
        "scale-in drains gracefully"
    );
}

/// Without a group nothing launches and the CSV's CPU column is the busy
/// share of the workers: 200/s x 10 ms over 24 workers, about 8.3%.
#[test]
fn cpu_column_is_the_busy_share_of_the_workers() {
    let r = run("");
    assert!(r.sum.autoscaling.is_none());
    let rows = &r.rows[10..];
    let mean: f64 = rows.iter().map(|x| x.fleet.cpu.unwrap()).sum::<f64>() / rows.len() as f64;
    // Busy time per second is a sum of ~200 exponential service times:
    // relative sd per row ~ sqrt(2/200) = 7%, over 170 rows ~ 0.6%.
    let expected = 200.0 * 0.010 / 24.0;
    assert!((mean / expected - 1.0).abs() < 0.03, "{mean} vs {expected}");
}
