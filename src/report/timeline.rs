//! `timeline.txt` and `sim run --explain`: the run told as a story of its
//! key events in time order (a fault starts, health checks fail, the load
//! balancer gives up on a target, a replacement launches, the database
//! promotes a standby, an alarm fires, the service recovers), so a learner
//! can follow cause and effect.

use std::fmt::Write;

use crate::engine::{NANOS_PER_MILLI, NANOS_PER_SEC, SimTime, as_secs_f64};
use crate::model::{RunOutput, TraceEvent};
use crate::scenario::Scenario;

use super::Summary;
use super::text::human_secs;

/// One line of the story.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: SimTime,
    /// What kind of moment it is: `fault`, `instance`, `health`, `dns`,
    /// `standby`, `database`, `cache`, `session_store`, `autoscaling`, `alarm`,
    /// `recovery`.
    pub kind: &'static str,
    pub text: String,
    /// Subjects merged into this line (instances that changed together).
    subjects: Vec<String>,
    /// Events with the same key at the same time merge into one line.
    key: Option<String>,
}

impl Entry {
    fn new(at: SimTime, kind: &'static str, text: String) -> Entry {
        Entry {
            at,
            kind,
            text,
            subjects: Vec::new(),
            key: None,
        }
    }

    /// A line about `subject` that merges with others of the same `key` at
    /// the same time: "a-1, a-2 lose power".
    fn grouped(at: SimTime, kind: &'static str, subject: &str, key: String, text: &str) -> Entry {
        Entry {
            at,
            kind,
            text: text.to_string(),
            subjects: vec![subject.to_string()],
            key: Some(key),
        }
    }

    pub fn render_text(&self) -> String {
        if self.subjects.is_empty() {
            return self.text.clone();
        }
        const SHOWN: usize = 6;
        let n = self.subjects.len();
        let mut names = self.subjects[..n.min(SHOWN)].join(", ");
        if n > SHOWN {
            let _ = write!(names, " and {} more", n - SHOWN);
        }
        // The placeholder comes first in every template, before any user
        // text (an AZ name) that might itself contain `{}`.
        self.text.replacen("{}", &names, 1)
    }
}

/// `01:02:03.450`: hours, minutes, seconds and milliseconds.
pub fn clock(t: SimTime) -> String {
    let ms = t / NANOS_PER_MILLI;
    let s = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        ms % 1000
    )
}

fn at_secs(s: f64) -> SimTime {
    (s * NANOS_PER_SEC as f64).round() as SimTime
}

fn instance_status(status: &str) -> &'static str {
    match status {
        "off" => "{} lose power",
        "crashed" => "{} crash",
        "hung" => "{} hang: they accept work and never answer",
        "booting" => "{} boot",
        "up" => "{} are up and serving requests",
        _ => "{} change status",
    }
}

fn asg_reason(reason: &str) -> &str {
    match reason {
        "capacity" => "to reach the desired capacity",
        "rebalance" => "to rebalance the AZs",
        "scale_in" => "to scale in",
        "elb_health_check" => "failed its ELB health checks",
        "ec2_status_check" => "failed its EC2 status check",
        "scheduled" => "scheduled action",
        "target_tracking" => "target tracking",
        "step" => "step scaling",
        other => other,
    }
}

/// `AZ b` or `AZs b, c`.
fn az_list(azs: &[String]) -> String {
    let s = if azs.len() == 1 { "" } else { "s" };
    format!("AZ{s} {}", azs.join(", "))
}

fn store_kind(store: &str) -> &'static str {
    if store == "cache" {
        "cache"
    } else {
        "session_store"
    }
}

fn from_event(s: &Scenario, sum: &Summary, at: SimTime, e: &TraceEvent) -> Option<Entry> {
    let hc = s.load_balancer.health_check.as_ref();
    let standby = s.load_balancer.standby_mode.name();
    let fault_name = |i: usize| {
        sum.faults.get(i).map_or(format!("fault #{i}"), |f| {
            format!("fault #{i} ({} on {})", f.kind, f.target)
        })
    };
    Some(match e {
        TraceEvent::FaultStart { fault, .. } => {
            let span = sum
                .faults
                .get(*fault)
                .and_then(|f| {
                    f.end_s
                        .map(|e| format!(", for {}", human_secs(e - f.start_s)))
                })
                .unwrap_or_default();
            Entry::new(at, "fault", format!("{} starts{span}", fault_name(*fault)))
        }
        TraceEvent::FaultEnd { fault, .. } => {
            Entry::new(at, "fault", format!("{} ends", fault_name(*fault)))
        }
        TraceEvent::InstanceStatus { instance, status } => Entry::grouped(
            at,
            "instance",
            instance,
            format!("status {status}"),
            instance_status(status),
        ),
        TraceEvent::HealthCheckFailed {
            instance,
            threshold,
        } => Entry::grouped(
            at,
            "health",
            instance,
            "check failed".into(),
            &format!(
                "a health check of {{}} fails ({threshold} in a row mark a target unhealthy, every {})",
                human_secs(as_secs_f64(hc?.interval))
            ),
        ),
        TraceEvent::TargetHealth { instance, health } => match *health {
            "unhealthy" => Entry::grouped(
                at,
                "health",
                instance,
                "unhealthy".into(),
                "the load balancer marks {} unhealthy and stops routing to them",
            ),
            "healthy" => Entry::grouped(
                at,
                "health",
                instance,
                "healthy".into(),
                &match hc {
                    Some(hc) => format!(
                        "the load balancer marks {{}} healthy after {} passing checks: they get traffic",
                        hc.healthy_threshold
                    ),
                    None => "{} join the load balancer's targets and get traffic at once (no health checks)".to_string(),
                },
            ),
            _ => return None,
        },
        TraceEvent::Dns { lb_node, in_dns } => Entry::new(
            at,
            "dns",
            if *in_dns {
                format!("DNS lists the load balancer node in AZ {lb_node} again")
            } else {
                format!(
                    "DNS stops returning the load balancer node in AZ {lb_node}; clients notice as their cached answers expire"
                )
            },
        ),
        TraceEvent::StandbyInUse { azs } => Entry::new(
            at,
            "standby",
            format!(
                "no load balancer node has a healthy target in an active AZ: traffic fails over to the {standby} standby in {}",
                az_list(azs)
            ),
        ),
        TraceEvent::StandbyIdle { azs } => Entry::new(
            at,
            "standby",
            format!(
                "the load balancer stops routing to the {standby} standby in {}: it is idle again",
                az_list(azs)
            ),
        ),
        TraceEvent::ColdStandbyTriggered { azs, start_delay_s } => Entry::new(
            at,
            "standby",
            format!(
                "cold standby: failover triggered (no load balancer node has a healthy target in an active AZ); the automation starts {} in {}",
                az_list(azs),
                human_secs(*start_delay_s)
            ),
        ),
        TraceEvent::ColdStandbyStarting { instances } => Entry::new(
            at,
            "standby",
            format!(
                "cold standby: starting {} (failover triggered); they boot, then need {} passing health checks before they get traffic",
                instances.join(", "),
                hc.map_or(0, |h| h.healthy_threshold)
            ),
        ),
        TraceEvent::DbNode { node, role, up } => Entry::new(
            at,
            "database",
            format!(
                "database node {node} ({role}) {}",
                if *up { "is back" } else { "goes down" }
            ),
        ),
        TraceEvent::DbFailover { phase, node } => Entry::new(
            at,
            "database",
            match *phase {
                "detected" => format!(
                    "the database notices its primary is gone and starts a failover (node {node})"
                ),
                "promoted" => format!("database node {node} is promoted to primary"),
                other => format!("database failover: {other} (node {node})"),
            },
        ),
        TraceEvent::StoreNode { store, node, up } => Entry::new(
            at,
            store_kind(store),
            format!(
                "{} node {node} {}",
                store.replace('_', " "),
                if *up { "is back" } else { "goes down" }
            ),
        ),
        TraceEvent::StoreFailover { store, node } => Entry::new(
            at,
            store_kind(store),
            format!(
                "{} replica {node} is promoted to primary",
                store.replace('_', " ")
            ),
        ),
        TraceEvent::AsgCapacity { from, to, reason } => Entry::new(
            at,
            "autoscaling",
            format!(
                "Auto Scaling sets the desired capacity from {from} to {to} ({})",
                asg_reason(reason)
            ),
        ),
        TraceEvent::AsgLaunch {
            instance,
            az,
            reason,
        } => Entry::grouped(
            at,
            "autoscaling",
            instance,
            format!("launch {az} {reason}"),
            &format!(
                "Auto Scaling launches {{}} in AZ {az} ({})",
                asg_reason(reason)
            ),
        ),
        TraceEvent::AsgTerminate { instance, reason } => {
            let why = match *reason {
                "elb_health_check" | "ec2_status_check" => {
                    format!("it {}; a replacement follows", asg_reason(reason))
                }
                r => asg_reason(r).to_string(),
            };
            Entry::grouped(
                at,
                "autoscaling",
                instance,
                format!("terminate {reason}"),
                &format!("Auto Scaling deregisters and terminates {{}} ({why})"),
            )
        }
        TraceEvent::AsgTerminated { instance } => Entry::grouped(
            at,
            "autoscaling",
            instance,
            "terminated".into(),
            "{} are terminated",
        ),
    })
}

/// The key events of a run, in time order.
pub fn entries(s: &Scenario, sum: &Summary, out: &RunOutput) -> Vec<Entry> {
    let mut list: Vec<Entry> = out
        .events
        .iter()
        .filter_map(|(at, e)| from_event(s, sum, *at, e))
        .collect();
    if s.load_balancer.health_check.is_none() {
        list.extend(no_checks_entry(sum));
    }
    let threshold = format!("{}%", s.metrics.threshold * 100.0);
    let window = human_secs(as_secs_f64(s.metrics.window));
    for (i, f) in sum.faults.iter().enumerate() {
        if !f.started {
            continue;
        }
        let start = at_secs(f.start_s);
        match f.verdict {
            "masked" => list.push(Entry::new(
                start,
                "recovery",
                format!(
                    "fault #{i} is masked: the success ratio over {window} never falls below {threshold}"
                ),
            )),
            "not_recovered" => list.push(Entry::new(
                at_secs(sum.duration_s),
                "recovery",
                format!("the run ends with fault #{i} not recovered"),
            )),
            _ => {}
        }
        if let (Some(r), Some(lat)) = (f.recovered_s, f.failover_latency_s) {
            list.push(Entry::new(
                at_secs(r),
                "recovery",
                format!(
                    "service recovered from fault #{i}: success ratio over {window} back at or above {threshold} (failover latency {}, {} requests dropped)",
                    human_secs(lat),
                    super::text::grouped(f.dropped)
                ),
            ));
        }
        if let Some(c) = f.capacity_restored_s {
            list.push(Entry::new(
                at_secs(c),
                "recovery",
                format!(
                    "full capacity back after fault #{i}: every target it took out is healthy again"
                ),
            ));
        }
    }
    if let Some(db) = &sum.database {
        for f in &db.failovers {
            if let (Some(sw), Some(outage)) = (f.endpoint_switched_s, f.write_outage_s) {
                list.push(Entry::new(
                    at_secs(sw),
                    "database",
                    format!(
                        "every app instance reaches the new primary through the {} endpoint: writes were out for {}{}",
                        db.endpoint,
                        human_secs(outage),
                        if f.lost_writes > 0 {
                            format!(", {} acknowledged writes lost", f.lost_writes)
                        } else {
                            String::new()
                        }
                    ),
                ));
            }
        }
    }
    for a in &sum.alarms {
        for c in &a.changes {
            let text = if c.fired() {
                let detects: Vec<String> = sum
                    .faults
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| {
                        f.alarm.as_deref() == Some(&a.name) && f.alarm_s == Some(c.at_s)
                    })
                    .map(|(i, f)| {
                        format!(
                            "fault #{i} detected {} after it started",
                            human_secs(f.time_to_detect_s.unwrap_or(0.0))
                        )
                    })
                    .collect();
                format!(
                    "ALARM {} fires: {} ({}){}",
                    a.name,
                    a.condition,
                    a.rule,
                    if detects.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", detects.join(", "))
                    }
                )
            } else {
                format!("alarm {} is OK again", a.name)
            };
            list.push(Entry::new(c.at, "alarm", text));
        }
    }
    // At one instant the fault comes first: it is the cause.
    list.sort_by_key(|e| (e.at, e.kind != "fault"));
    merge(list)
}

/// Once, at the first fault that hits app instances: without health checks
/// the load balancer never takes them out of service.
fn no_checks_entry(sum: &Summary) -> Option<Entry> {
    let f = sum.faults.iter().find(|f| {
        f.started
            && matches!(
                f.kind,
                "instance_crash" | "instance_hang" | "az_outage" | "latency"
            )
    })?;
    let effect = match f.kind {
        "instance_crash" => "its connections are refused and clients may retry",
        "latency" => "its answers are slower",
        _ => "its attempts time out",
    };
    Some(Entry::new(
        at_secs(f.start_s),
        "health",
        format!(
            "no health checks: the load balancer keeps routing to {} ({effect})",
            f.target
        ),
    ))
}

/// Merges same-time lines with the same key into one.
fn merge(list: Vec<Entry>) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::with_capacity(list.len());
    for e in list {
        if let Some(last) = out.last_mut()
            && last.at == e.at
            && last.key.is_some()
            && last.key == e.key
        {
            last.subjects.extend(e.subjects);
            continue;
        }
        out.push(e);
    }
    // A line about one subject reads in the singular.
    for e in &mut out {
        if e.subjects.len() == 1 {
            e.text = singular(&e.text);
        }
    }
    out
}

fn singular(text: &str) -> String {
    text.replace("{} lose power", "{} loses power")
        .replace("{} crash", "{} crashes")
        .replace("{} hang: they accept", "{} hangs: it accepts")
        .replace("{} boot", "{} boots")
        .replace("{} are up", "{} is up")
        .replace("{} change status", "{} changes status")
        .replace("stops routing to them", "stops routing to it")
        .replace("checks: they get", "checks: it gets")
        .replace("{} are terminated", "{} is terminated")
}

/// The timeline as text, one line per entry; `limit` lines at most (the
/// rest counted).
pub fn render(entries: &[Entry], left_out: u64, limit: usize) -> String {
    let mut o = String::new();
    for e in entries.iter().take(limit) {
        let _ = writeln!(o, "{}  {}", clock(e.at), e.render_text());
    }
    if entries.len() > limit {
        let _ = writeln!(
            o,
            "... and {} more lines in timeline.txt",
            entries.len() - limit
        );
    }
    if left_out > 0 {
        let _ = writeln!(
            o,
            "... and {left_out} later state changes not kept (the first {} are)",
            crate::model::KEPT_EVENTS
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_shows_hours_minutes_seconds_and_milliseconds() {
        assert_eq!(clock(0), "00:00:00.000");
        assert_eq!(clock(3_723_450 * NANOS_PER_MILLI), "01:02:03.450");
    }

    #[test]
    fn same_time_same_kind_lines_merge_and_read_in_the_right_number() {
        let list = vec![
            Entry::grouped(
                5,
                "instance",
                "a-1",
                "status off".into(),
                instance_status("off"),
            ),
            Entry::grouped(
                5,
                "instance",
                "a-2",
                "status off".into(),
                instance_status("off"),
            ),
            Entry::grouped(
                6,
                "instance",
                "a-3",
                "status off".into(),
                instance_status("off"),
            ),
        ];
        let merged = merge(list);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].render_text(), "a-1, a-2 lose power");
        assert_eq!(merged[1].render_text(), "a-3 loses power");
    }

    #[test]
    fn long_groups_name_a_few_and_count_the_rest() {
        let list = (1..=10)
            .map(|i| Entry::grouped(1, "instance", &format!("a-{i}"), "k".into(), "{} crash"))
            .collect();
        let merged = merge(list);
        assert_eq!(
            merged[0].render_text(),
            "a-1, a-2, a-3, a-4, a-5, a-6 and 4 more crash"
        );
    }
}
