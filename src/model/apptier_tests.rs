//! Two app-tier design choices: a cold standby (stopped until the active
//! AZs fail, then started, booted and checked) and a load balancer without
//! health checks (dead and hung targets keep their share of the traffic).

use super::standby_tests::{DURATION, STANDBY, run_sampled};
use super::tests::{run, run_yaml};
use super::*;
use crate::engine::NANOS_PER_SEC;
use crate::metrics::Row;
use crate::report::timeline;

const A: [usize; 2] = [0, 1];
const B: [usize; 2] = [2, 3];
const S: SimTime = NANOS_PER_SEC;
/// A health check's round trip: two hops of 500 us.
const RTT: SimTime = NANOS_PER_SEC / 1000;

/// STANDBY with a cold standby: started 30 s after the trigger, 20 s boot.
fn cold(extra: &str) -> String {
    format!(
        "{}{extra}",
        STANDBY
            .replace(
                "  standby_azs: [b]\n",
                "  standby_azs: [b]\n  standby_mode: cold\n  standby_start_delay: 30s\n",
            )
            .replace("boot_time: 0s", "boot_time: 20s")
    )
}

const OUTAGE: &str = "faults: [{ at: 60s, kind: az_outage, az: a, duration: 120s }]\n";

fn instance_hours_ns(ns: u128) -> f64 {
    ns as f64 / (3600.0 * NANOS_PER_SEC as f64)
}

#[test]
fn a_cold_standby_that_is_never_needed_stays_stopped_and_costs_nothing() {
    let r = run_sampled(&cold(""));
    assert_eq!(
        r.s.load_balancer.standby_mode,
        crate::scenario::StandbyMode::Cold {
            start_delay: 30 * S
        }
    );
    assert_eq!(r.sum.requests.dropped.total, 0);
    assert!(r.sum.requests.succeeded > 50_000);
    assert_eq!(r.busy_at(DURATION, &B), 0);
    // Never checked, never started: nothing about b in the trace.
    assert!(
        !r.out.events.iter().any(|(_, e)| matches!(e,
            TraceEvent::TargetHealth { instance, .. } | TraceEvent::InstanceStatus { instance, .. }
                if instance.starts_with("b-"))
            || matches!(
                e,
                TraceEvent::ColdStandbyTriggered { .. } | TraceEvent::ColdStandbyStarting { .. }
            )),
        "{:?}",
        r.out.events
    );
    // Only the two active instances are paid for.
    assert_eq!((r.out.standby_instance_ns, r.out.idle_standby_ns), (0, 0));
    assert_eq!(r.out.stopped_standby_ns, 2 * u128::from(DURATION));
    let c = &r.sum.cost;
    assert_eq!(
        c.instance_hours,
        instance_hours_ns(2 * u128::from(DURATION))
    );
    assert_eq!((c.standby_instance_hours, c.idle_standby_hours), (0.0, 0.0));
    // Only a's two targets count as healthy capacity.
    assert_eq!(r.sum.capacity.min_healthy, 2);
}

/// Without fail-open: the node answers 503 until the started instances
/// pass their checks (with it, see the next test).
fn cold_closed(extra: &str) -> String {
    cold(extra).replace("cross_zone: true", "cross_zone: true\n  fail_open: false")
}

#[test]
fn a_cold_standby_starts_after_the_delay_boots_and_serves_after_its_checks() {
    let r = run_sampled(&cold_closed(OUTAGE));
    let health = |prefix: &'static str, h: &'static str| {
        r.times(move |e| {
            matches!(e, TraceEvent::TargetHealth { instance, health }
                if instance.starts_with(prefix) && *health == h)
        })
    };
    // Trigger: the moment the last active target is marked unhealthy
    // (when a warm standby would have taken the traffic).
    let down = health("a-", "unhealthy");
    assert_eq!(down.len(), 2, "{:?}", r.out.events);
    let trigger = *down.iter().max().unwrap();
    assert!(trigger > 60 * S && trigger < 80 * S);
    let triggered = r.times(|e| {
        matches!(e, TraceEvent::ColdStandbyTriggered { azs, start_delay_s }
            if azs == &["b"] && *start_delay_s == 30.0)
    });
    assert_eq!(triggered, vec![trigger]);
    // Start call: trigger + standby_start_delay.
    let start = trigger + 30 * S;
    let starting = r.times(|e| {
        matches!(e, TraceEvent::ColdStandbyStarting { instances } if instances == &["b-1", "b-2"])
    });
    assert_eq!(starting, vec![start]);
    // Boot: app.boot_time; then registered, checked one interval later,
    // healthy after healthy_threshold (2) checks 5 s apart, each answered
    // one round trip after it is sent.
    let up = r.times(|e| {
        matches!(e, TraceEvent::InstanceStatus { instance, status }
            if instance.starts_with("b-") && *status == "up")
    });
    assert_eq!(up, vec![start + 20 * S; 2]);
    let serving = start + 20 * S + 2 * 5 * S + RTT;

    assert_eq!(health("b-", "healthy"), vec![serving; 2]);
    let in_use = r.times(|e| matches!(e, TraceEvent::StandbyInUse { .. }));
    assert_eq!(in_use, vec![serving]);
    assert!(health("b-", "unhealthy").is_empty());

    // b serves nothing before it is healthy, then takes the traffic.
    assert_eq!(r.busy_at(serving - RTT, &B), 0, "served before its checks");
    assert!(r.busy_at(serving + S, &B) > 0);
    // Until then requests fail: they time out on a's dead targets until
    // those are marked unhealthy, then b's node answers 503.
    let d = &r.sum.requests.dropped;
    assert!(d.timeout > 0 && d.no_healthy_target > 0, "{d:?}");
    // Every attempt that reaches b's node in that gap is a 503: at least
    // half of them (DNS dropped node a at 60 s, so at most half the
    // clients still try it, and those time out on its connect), within
    // 5 sd of the Poisson count.
    let half = 100.0 * (serving - trigger) as f64 / S as f64;
    assert!(
        d.no_healthy_target as f64 > half - 5.0 * half.sqrt(),
        "{d:?} {half}"
    );

    // AZ a returns at 180 s and takes the traffic back; b stays running.
    let back = health("a-", "healthy");
    let idle = r.times(|e| matches!(e, TraceEvent::StandbyIdle { .. }));
    assert_eq!(idle, vec![back[0]]);
    assert!(r.busy_at(DURATION, &A) > r.busy_at(back[0] + 2 * S, &A));
    assert!(r.sum.capacity.min_healthy == 0);

    // Cost, exact in ns: b-1 and b-2 are paid from the start call on (boot
    // included), idle whenever no node routes to them.
    let paid = 2 * u128::from(DURATION - start);
    assert_eq!(r.out.standby_instance_ns, paid);
    assert_eq!(
        r.out.idle_standby_ns,
        paid - 2 * u128::from(back[0] - serving)
    );
    assert_eq!(r.out.stopped_standby_ns, 2 * u128::from(start));
    let c = &r.sum.cost;
    assert_eq!(
        c.instance_hours,
        instance_hours_ns(4 * u128::from(DURATION) - 2 * u128::from(start))
    );
    assert_eq!(c.standby_instance_hours, instance_hours_ns(paid));

    // The timeline tells it.
    let lines = timeline::entries(&r.s, &r.sum, &r.out);
    let standby: Vec<String> = lines
        .iter()
        .filter(|e| e.kind == "standby")
        .map(|e| e.render_text())
        .collect();
    assert_eq!(standby.len(), 4, "{standby:?}");
    assert!(standby[0].starts_with("cold standby: failover triggered"));
    assert!(standby[0].contains("starts AZ b in 30s"), "{standby:?}");
    assert!(
        standby[1].starts_with("cold standby: starting b-1, b-2 (failover triggered)"),
        "{standby:?}"
    );
    assert!(standby[2].contains("fails over to the cold standby in AZ b"));
    assert!(standby[3].contains("stops routing to the cold standby"));
}

/// With fail-open (the ALB default), a node whose targets are all
/// unhealthy routes to every registered target: the started instances get
/// traffic from their registration (boot over), before their checks pass.
#[test]
fn failing_open_sends_traffic_to_a_started_cold_standby_once_it_runs() {
    let r = run_sampled(&cold(OUTAGE));
    let starting = r.times(|e| matches!(e, TraceEvent::ColdStandbyStarting { .. }));
    let running = starting[0] + 20 * S;
    let in_use = r.times(|e| matches!(e, TraceEvent::StandbyInUse { .. }));
    assert_eq!(in_use, vec![running]);
    assert_eq!(r.busy_at(running - SAMPLE_SLACK, &B), 0);
    assert!(r.busy_at(running + S, &B) > 0);
    let healthy = r.times(|e| {
        matches!(e, TraceEvent::TargetHealth { instance, health }
            if instance.starts_with("b-") && *health == "healthy")
    });
    assert_eq!(healthy, vec![running + 2 * 5 * S + RTT; 2]);
}

/// Slack below a sample instant (samples are 100 ms apart).
const SAMPLE_SLACK: SimTime = NANOS_PER_SEC / 10;

#[test]
fn cold_fails_over_later_than_warm_and_drops_more_but_costs_less() {
    let warm_yaml = format!(
        "{}{OUTAGE}",
        STANDBY
            .replace("boot_time: 0s", "boot_time: 20s")
            .replace("cross_zone: true", "cross_zone: true\n  fail_open: false")
    );
    let warm = run_sampled(&warm_yaml);
    let cold = run_sampled(&cold_closed(OUTAGE));
    let in_use =
        |r: &standby_tests::Sampled| r.times(|e| matches!(e, TraceEvent::StandbyInUse { .. }))[0];
    // Same seed, same checks of a: the same trigger; cold adds the start
    // delay, the boot and the checks of the new targets.
    let gap = in_use(&cold) - in_use(&warm);
    assert_eq!(gap, 30 * S + 20 * S + 2 * 5 * S + RTT);
    // In the gap, the clients that reach b's node (at least half) are
    // served by the warm standby and refused by the cold one.
    let half = 100 * (gap / S);
    assert!(
        cold.sum.requests.dropped.total > warm.sum.requests.dropped.total + half * 9 / 10,
        "{:?} {:?}",
        cold.sum.requests.dropped,
        warm.sum.requests.dropped
    );
    assert!(cold.sum.cost.instance_hours < warm.sum.cost.instance_hours);
    assert!(cold.sum.cost.standby_instance_hours < warm.sum.cost.standby_instance_hours);
}

/// Five-second buckets' timeouts and completions.
fn timeouts_per(rows: &[Row], from: SimTime, to: SimTime) -> (u64, u64) {
    rows.iter()
        .filter(|r| r.start >= from && r.end <= to)
        .fold((0, 0), |(t, n), r| {
            let timeouts = r.counts.dropped[crate::metrics::DropReason::Timeout as usize];
            (
                t + timeouts,
                n + r.counts.succeeded + r.counts.dropped_total(),
            )
        })
}

#[test]
fn without_health_checks_a_hung_target_keeps_its_share_for_the_whole_fault() {
    // 6 targets, round robin on each node: a-1 gets one attempt in six.
    let hang = "faults: [{ at: 30s, kind: instance_hang, instance: a-1, duration: 120s }]\n";
    let r = run_yaml(
        &format!("{}\n{hang}", super::tests::BASE.replace(
            "  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }",
            "  health_check: none",
        )),
        &[],
    );
    assert!(r.trace.contains("\"event\":\"fault_start\""));
    assert!(!r.trace.contains("target_health"), "{}", r.trace);
    // Each 30 s of the fault (timeouts complete 1 s after their issue):
    // round robin gives a-1 exactly a sixth of each node's attempts (+-1
    // per node); shifting the window by the 1 s timeout moves the count by
    // a Poisson difference with sd sqrt(2 x 200/6) ~ 8: allow 6 sd.
    for k in 0..4u64 {
        let from = 31 * S + k * 30 * S;
        let (t, n) = timeouts_per(&r.rows, from, from + 30 * S);
        assert!(n > 5_000, "{n}");
        let expected = n as f64 / 6.0;
        assert!(
            (t as f64 - expected).abs() <= 50.0,
            "window {k}: {t} timeouts of {n}, expected about {expected}"
        );
    }
    // After the fault: nothing times out.
    assert_eq!(timeouts_per(&r.rows, 152 * S, 180 * S).0, 0);

    // With checks the LB stops routing to a-1 within 2 checks + timeout.
    let checked = run(hang);
    assert!(checked.trace.contains("\"health\":\"unhealthy\""));
    assert_eq!(timeouts_per(&checked.rows, 45 * S, 150 * S).0, 0);
    assert!(checked.sum.requests.dropped.timeout * 5 < r.sum.requests.dropped.timeout);
}

#[test]
fn without_health_checks_a_crashed_target_refuses_and_a_retry_goes_elsewhere() {
    let no_checks = super::tests::BASE.replace(
        "  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }",
        "  health_check: none",
    );
    let crash = "faults: [{ at: 30s, kind: instance_crash, instance: a-1 }]\n";
    let once = run_yaml(&format!("{no_checks}\n{crash}"), &[]);
    let d = &once.sum.requests.dropped;
    // Refused at once, never a timeout; about a sixth of the requests
    // after 30 s (a sixth of about 30,000: 5,000, +- the window shift).
    assert_eq!(d.timeout, 0);
    assert!(
        d.connection_reset > 4_500 && d.connection_reset < 5_500,
        "{d:?}"
    );
    assert_eq!(d.total, d.connection_reset);
    // One retry: round robin sends it to the next target, which serves.
    // One retry: the retry reaches a node whose cursor other requests
    // moved on, so it lands on a-1 again with chance 1/6: about a sixth
    // of those refused once fail twice (binomial, within 4 sd).
    let retried = run_yaml(&format!("{no_checks}\n{crash}"), &["workload.retries=1"]);
    let twice = retried.sum.requests.dropped.connection_reset as f64;
    let (n, p) = (d.total as f64, 1.0 / 6.0);
    assert!(
        (twice - n * p).abs() < 4.0 * (n * p * (1.0 - p)).sqrt(),
        "{twice} of {n}"
    );
    assert_eq!(retried.sum.requests.dropped.timeout, 0);
    // The timeline says once why the dead instance keeps its traffic.
    let yaml = format!("{no_checks}\n{crash}");
    let s = crate::scenario::load_str(&yaml, "t.yaml", "t", &[]).unwrap();
    let out = simulate(&s, Box::new(crate::metrics::NullSink), None);
    let sum = crate::report::Summary::new(&s, &out);
    let lines = timeline::entries(&s, &sum, &out);
    let none: Vec<_> = lines
        .iter()
        .filter(|e| e.text.starts_with("no health checks"))
        .collect();
    assert_eq!(none.len(), 1, "{lines:?}");
    assert_eq!(none[0].at, 30 * S);
    assert_eq!(
        none[0].text,
        "no health checks: the load balancer keeps routing to instance a-1 (its connections are refused and clients may retry)"
    );
}

#[test]
fn without_health_checks_an_ec2_checked_group_still_replaces_powerless_instances() {
    let yaml = format!(
        "{}\nautoscaling: {{ health_check: ec2, grace_period: 0s, boot_time: 10s }}\nfaults: [{{ at: 30s, kind: az_outage, az: a }}]\n",
        super::tests::BASE.replace(
            "  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }",
            "  health_check: none",
        )
    );
    let r = run_yaml(&yaml, &[]);
    let a = r.sum.autoscaling.as_ref().unwrap();
    assert_eq!(a.replaced_unhealthy, 2, "{}", r.trace);
    assert_eq!(a.launches, 2);
    // The replacements are targets from their launch on (no checks to
    // pass): the trace marks them healthy at the launch instant.
    let lines: Vec<serde_json::Value> = r
        .trace
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let launched: Vec<_> = lines
        .iter()
        .filter(|e| e["event"] == "asg_launch")
        .collect();
    assert_eq!(launched.len(), 2);
    for l in launched {
        assert!(lines.iter().any(|e| e["event"] == "target_health"
            && e["instance"] == l["instance"]
            && e["health"] == "healthy"
            && e["t_s"] == l["t_s"]));
    }
    // Once the group has replaced them (a status check within a minute,
    // then a 10 s boot) nothing fails any more.
    assert_eq!(
        r.rows
            .iter()
            .filter(|row| row.start >= 110 * S)
            .map(|row| row.counts.dropped_total())
            .sum::<u64>(),
        0
    );
}
