//! Active-passive app tier: a standby AZ takes traffic only while the
//! active AZs have no healthy target, and the run counts what the standby
//! cost (registered instance-hours) and how much of it sat idle.

use super::*;
use crate::engine::NANOS_PER_SEC;
use crate::metrics::NullSink;
use crate::report::{Summary, text, timeline};
use crate::scenario::load_str;

/// AZ a active, AZ b a warm standby, 2 instances each (slots 0-1 in a,
/// 2-3 in b); fast checks (5 s, thresholds 2/2), 200/s of 10 ms requests.
pub(super) const STANDBY: &str = "
azs: [a, b]
duration: 5m
network: { latency: 500us }
load_balancer:
  cross_zone: true
  standby_azs: [b]
  health_check: { interval: 5s, timeout: 2s, healthy_threshold: 2, unhealthy_threshold: 2 }
app: { instances_per_az: 2, workers: 4, service_time: { dist: exponential, mean: 10ms }, boot_time: 0s }
workload: { rate: 200/s, timeout: 1s, retries: 0 }
";

pub(super) const DURATION: SimTime = 300 * NANOS_PER_SEC;
const SAMPLE: SimTime = NANOS_PER_SEC / 10;

/// A run sampled every 100 ms: each instance's busy worker-ns so far, which
/// grows only while the instance serves requests.
pub(super) struct Sampled {
    pub(super) s: Scenario,
    pub(super) out: RunOutput,
    pub(super) sum: Summary,
    samples: Vec<(SimTime, Vec<u128>)>,
}

impl Sampled {
    /// Busy worker-ns of `slots` summed, at the last sample at or before `t`.
    pub(super) fn busy_at(&self, t: SimTime, slots: &[usize]) -> u128 {
        let (_, busy) = self
            .samples
            .iter()
            .rev()
            .find(|(at, _)| *at <= t)
            .expect("a sample at or before t");
        slots.iter().map(|&i| busy[i]).sum()
    }

    /// Times of the trace events `pick` selects.
    pub(super) fn times(&self, pick: impl Fn(&TraceEvent) -> bool) -> Vec<SimTime> {
        self.out
            .events
            .iter()
            .filter(|(_, e)| pick(e))
            .map(|(t, _)| *t)
            .collect()
    }
}

pub(super) fn run_sampled(yaml: &str) -> Sampled {
    let s = load_str(yaml, "t.yaml", "t", &[]).unwrap_or_else(|e| panic!("{e}"));
    let topo = Topology::build(&s);
    let mut sim = Sim::new(&s, &topo, Box::new(NullSink), None);
    sim.start();
    let mut samples = Vec::new();
    let mut t = 0;
    while t < s.duration {
        // The last step ends at the duration, where the End event stops it.
        t = (t + SAMPLE).min(s.duration);
        sim.run_until(t);
        let busy = sim.instances.iter().map(|i| i.busy_area(t)).collect();
        samples.push((t, busy));
    }
    let out = sim.finish();
    let sum = Summary::new(&s, &out);
    assert_eq!(
        sum.requests.total,
        sum.requests.succeeded + sum.requests.dropped.total + sum.requests.in_flight
    );
    Sampled {
        s,
        out,
        sum,
        samples,
    }
}

fn hours(instance_seconds: f64) -> f64 {
    instance_seconds / 3600.0
}

const A: [usize; 2] = [0, 1];
const B: [usize; 2] = [2, 3];

#[test]
fn a_healthy_active_az_leaves_the_standby_idle_the_whole_run() {
    let r = run_sampled(STANDBY);
    assert_eq!(r.s.load_balancer.standby_azs, vec![1]);
    assert_eq!(r.sum.requests.dropped.total, 0);
    assert!(r.sum.requests.succeeded > 50_000);
    assert!(r.busy_at(DURATION, &A) > 0);
    assert_eq!(r.busy_at(DURATION, &B), 0, "a standby instance served");
    // Two standby instances registered for the whole run, all of it idle.
    assert_eq!(r.out.standby_instance_ns, 2 * u128::from(DURATION));
    assert_eq!(r.out.idle_standby_ns, r.out.standby_instance_ns);
    let c = &r.sum.cost;
    assert_eq!(c.standby_instance_hours, hours(2.0 * 300.0));
    assert_eq!(c.idle_standby_hours, hours(2.0 * 300.0));
    assert_eq!(c.instance_hours, hours(4.0 * 300.0));
    let text = text::render(&r.sum, text::Paint::default());
    assert!(
        text.contains("\n  cost          0.3 instance-hours (0.2 standby, 0.2 idle)\n"),
        "{text}"
    );
    assert!(
        !r.out.events.iter().any(|(_, e)| matches!(
            e,
            TraceEvent::StandbyInUse { .. } | TraceEvent::StandbyIdle { .. }
        )),
        "{:?}",
        r.out.events
    );
}

#[test]
fn the_standby_serves_only_while_the_active_az_has_no_healthy_target() {
    let r = run_sampled(&format!(
        "{STANDBY}faults: [{{ at: 60s, kind: az_outage, az: a, duration: 120s }}]\n"
    ));
    let health = |name: &'static str, h: &'static str| {
        move |e: &TraceEvent| {
            matches!(e, TraceEvent::TargetHealth { instance, health }
                if instance.starts_with(name) && *health == h)
        }
    };
    // The interval with no healthy target in AZ a, from the LB's verdicts:
    // the last of a-1, a-2 marked unhealthy until the first back.
    let down = r.times(health("a-", "unhealthy"));
    assert_eq!(down.len(), 2, "{:?}", r.out.events);
    let from = *down.iter().max().unwrap();
    let back = r.times(health("a-", "healthy"));
    let to = *back.first().expect("AZ a back in service");
    assert!(from > 60 * NANOS_PER_SEC && to > 180 * NANOS_PER_SEC && to < DURATION);
    assert!(r.times(health("b-", "unhealthy")).is_empty());

    // The trace says so at exactly those times, and the timeline tells it.
    let in_use = r.times(|e| matches!(e, TraceEvent::StandbyInUse { azs } if azs == &["b"]));
    let idle = r.times(|e| matches!(e, TraceEvent::StandbyIdle { azs } if azs == &["b"]));
    assert_eq!((in_use, idle), (vec![from], vec![to]));
    let lines = timeline::entries(&r.s, &r.sum, &r.out);
    let standby: Vec<_> = lines.iter().filter(|e| e.kind == "standby").collect();
    assert_eq!(standby.len(), 2);
    assert_eq!((standby[0].at, standby[1].at), (from, to));
    assert!(
        standby[0].text.contains("warm standby in AZ b"),
        "{standby:?}"
    );

    // b serves nothing before AZ a's targets are marked unhealthy, then
    // takes the traffic; once a is healthy again, b's last requests finish
    // (milliseconds) and it gets no more, while a serves again.
    assert_eq!(r.busy_at(from, &B), 0, "standby served too early");
    assert!(r.busy_at(from + NANOS_PER_SEC, &B) > 0);
    let settled = to + 2 * NANOS_PER_SEC;
    assert_eq!(r.busy_at(settled, &B), r.busy_at(DURATION, &B));
    assert!(r.busy_at(DURATION, &A) > r.busy_at(settled, &A));

    // Idle: both standby instances for the run minus the time in use.
    let used = to - from;
    assert_eq!(r.out.standby_instance_ns, 2 * u128::from(DURATION));
    assert_eq!(r.out.idle_standby_ns, 2 * u128::from(DURATION - used));
    let c = &r.sum.cost;
    assert_eq!(c.standby_instance_hours, hours(2.0 * 300.0));
    let expected = hours(2.0 * (300.0 - used as f64 / NANOS_PER_SEC as f64));
    assert!(
        (c.idle_standby_hours - expected).abs() < 1e-12,
        "{} vs {expected}",
        c.idle_standby_hours
    );
    // Powered-off instances are still provisioned.
    assert_eq!(c.instance_hours, hours(4.0 * 300.0));
}

/// A node that fails open (no healthy target at all) routes to every
/// target, the standby's included: not idle then. Without fail-open it
/// answers 503 and the standby stays idle.
#[test]
fn failing_open_counts_as_using_the_standby() {
    let hang = |i: &str, at: &str, d: &str| {
        format!("{{ at: {at}, kind: instance_hang, instance: {i}, duration: {d} }}")
    };
    // The standby is unhealthy first, then the active AZ too.
    let faults = format!(
        "faults: [{}, {}, {}, {}]\n",
        hang("b-1", "30s", "120s"),
        hang("b-2", "30s", "120s"),
        hang("a-1", "60s", "60s"),
        hang("a-2", "60s", "60s")
    );
    let open = run_sampled(&format!("{STANDBY}{faults}"));
    let unhealthy_a = open.times(|e| {
        matches!(e, TraceEvent::TargetHealth { instance, health }
            if instance.starts_with("a-") && *health == "unhealthy")
    });
    let healthy_a = open.times(|e| {
        matches!(e, TraceEvent::TargetHealth { instance, health }
            if instance.starts_with("a-") && *health == "healthy")
    });
    let from = *unhealthy_a.iter().max().expect("a marked unhealthy");
    let to = healthy_a[0];
    let in_use = open.times(|e| matches!(e, TraceEvent::StandbyInUse { .. }));
    let idle = open.times(|e| matches!(e, TraceEvent::StandbyIdle { .. }));
    assert_eq!(
        (in_use, idle),
        (vec![from], vec![to]),
        "{:?}",
        open.out.events
    );
    assert_eq!(
        open.out.idle_standby_ns,
        2 * u128::from(DURATION - (to - from))
    );

    let closed = run_sampled(&format!(
        "{}{faults}",
        STANDBY.replace("cross_zone: true", "cross_zone: true\n  fail_open: false")
    ));
    assert!(!closed.s.load_balancer.fail_open);
    assert!(closed.sum.requests.dropped.no_healthy_target > 0);
    assert!(
        !closed
            .out
            .events
            .iter()
            .any(|(_, e)| matches!(e, TraceEvent::StandbyInUse { .. }))
    );
    assert_eq!(closed.out.idle_standby_ns, closed.out.standby_instance_ns);
    assert_eq!(closed.out.standby_instance_ns, 2 * u128::from(DURATION));
}

#[test]
fn without_a_standby_the_fleet_is_paid_for_whole_and_nothing_is_standby() {
    let yaml = STANDBY.replace("  standby_azs: [b]\n", "");
    let r = run_sampled(&format!(
        "{yaml}faults: [{{ at: 60s, kind: instance_crash, instance: a-1 }}]\n"
    ));
    assert!(r.s.load_balancer.standby_azs.is_empty());
    // Both AZs serve.
    assert!(r.busy_at(DURATION, &A) > 0 && r.busy_at(DURATION, &B) > 0);
    assert_eq!((r.out.standby_instance_ns, r.out.idle_standby_ns), (0, 0));
    let c = &r.sum.cost;
    // The crashed instance is still provisioned.
    assert_eq!(c.instance_hours, hours(4.0 * 300.0));
    assert_eq!((c.standby_instance_hours, c.idle_standby_hours), (0.0, 0.0));
    let text = text::render(&r.sum, text::Paint::default());
    assert!(
        text.contains("\n  cost          0.3 instance-hours\n"),
        "{text}"
    );
}

#[test]
fn with_a_group_the_cost_is_the_groups_instance_hours_and_launches_count() {
    // 4 instances (2 per AZ), 6 from 60 s: one launch in each AZ.
    let yaml = STANDBY.replace(
        "app: {",
        "autoscaling: { min: 4, max: 8, boot_time: 0s, scheduled: [{ at: 60s, desired: 6 }] }\napp: {",
    );
    let r = run_sampled(&yaml);
    let a = r.sum.autoscaling.as_ref().expect("a group");
    assert_eq!(a.launches, 2);
    assert_eq!(r.sum.cost.instance_hours, a.instance_hours);
    assert!(r.sum.cost.instance_hours > hours(4.0 * 300.0) + 0.01);
    // Standby: b-1, b-2 from the start, and the instance launched into b
    // from its launch (registration) on.
    let launched_b = r.times(|e| matches!(e, TraceEvent::AsgLaunch { az, .. } if az == "b"));
    assert_eq!(launched_b.len(), 1, "{:?}", r.out.events);
    let expected = 2 * u128::from(DURATION) + u128::from(DURATION - launched_b[0]);
    assert_eq!(r.out.standby_instance_ns, expected);
    assert_eq!(r.out.idle_standby_ns, expected);
    assert_eq!(r.busy_at(DURATION, &B), 0);
}
