//! `--metrics-out FILE`: the run's metrics in the OpenMetrics text format,
//! one sample per scrape interval with its timestamp, so they can be
//! backfilled into Prometheus (`promtool tsdb create-blocks-from
//! openmetrics FILE DIR`) and looked at in Grafana.
//!
//! Layout rules followed (OpenMetrics 1.0 text format): each family has its
//! `# TYPE` (and `# HELP`, `# UNIT`) before its samples and is never
//! interleaved with another; the samples of one label set are contiguous
//! and in increasing time order; counter samples end in `_total` and never
//! decrease; label values are escaped; the file ends with `# EOF`.

use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

use hdrhistogram::Histogram;

use crate::engine::{SimTime, as_secs_f64};
use crate::metrics::{AlarmOutcome, ClientCounts, Counts, DropReason, Row, RowSink, TierCounts};
use crate::scenario::Scenario;

/// One scrape: cumulative counters and the gauges of the moment.
#[derive(Debug, Clone, Default)]
struct Scrape {
    at: SimTime,
    counts: Counts,
    tier: TierCounts,
    client: ClientCounts,
    healthy: Vec<u32>,
    /// Over the scrape interval.
    success_ratio: Option<f64>,
    p50_s: Option<f64>,
    p99_s: Option<f64>,
    cpu: Option<f64>,
    desired: u32,
    in_service: u32,
    booting: u32,
}

/// Accumulates scrapes while the run goes.
pub struct Export {
    interval: SimTime,
    next: SimTime,
    scenario: String,
    seed: u64,
    azs: Vec<String>,
    database: bool,
    cache: bool,
    autoscaling: bool,
    total: Scrape,
    /// Outcomes and latency since the last scrape.
    ok: u64,
    done: u64,
    hist: Option<Histogram<u64>>,
    cpu_sum: f64,
    cpu_n: u32,
    /// Rows came since the last scrape.
    unscraped: bool,
    scrapes: Vec<Scrape>,
}

impl Export {
    pub fn new(s: &Scenario) -> Export {
        let interval = s.monitoring.scrape_interval;
        Export {
            interval,
            next: interval,
            scenario: s.name.clone(),
            seed: s.seed,
            azs: s.azs.clone(),
            database: s.database.is_some(),
            cache: s.cache.is_some(),
            autoscaling: s.autoscaling.is_some(),
            total: Scrape::default(),
            ok: 0,
            done: 0,
            hist: None,
            cpu_sum: 0.0,
            cpu_n: 0,
            unscraped: false,
            scrapes: Vec::new(),
        }
    }

    /// The latency of the row about to come: part of the current interval.
    fn latency(&mut self, h: &Histogram<u64>) {
        crate::metrics::accumulate_latency(&mut self.hist, h);
    }

    fn row(&mut self, row: &Row) {
        self.unscraped = true;
        let t = &mut self.total;
        t.counts.add(&row.counts);
        t.tier.add(&row.tier);
        t.client.add(&row.client);
        t.healthy.clone_from(&row.healthy);
        t.at = row.end;
        t.desired = row.fleet.desired;
        t.in_service = row.fleet.in_service;
        t.booting = row.fleet.booting;
        self.ok += row.counts.succeeded;
        self.done += row.counts.succeeded + row.counts.dropped_total();
        if let Some(c) = row.fleet.cpu {
            self.cpu_sum += c;
            self.cpu_n += 1;
        }
        if row.end >= self.next {
            self.scrape(row.end);
            while self.next <= row.end {
                self.next += self.interval;
            }
        }
    }

    /// The last rows since the last scrape, at the run's end.
    fn finish(&mut self) {
        if self.unscraped {
            self.scrape(self.total.at);
        }
    }

    fn scrape(&mut self, at: SimTime) {
        let mut s = self.total.clone();
        s.at = at;
        s.success_ratio = (self.done > 0).then(|| self.ok as f64 / self.done as f64);
        let q =
            |h: &Histogram<u64>, p: f64| h.median_equivalent(h.value_at_quantile(p)) as f64 / 1e6;
        s.p50_s = self.hist.as_ref().map(|h| q(h, 0.5));
        s.p99_s = self.hist.as_ref().map(|h| q(h, 0.99));
        s.cpu = (self.cpu_n > 0).then(|| self.cpu_sum / f64::from(self.cpu_n));
        self.scrapes.push(s);
        self.ok = 0;
        self.done = 0;
        self.hist = None;
        self.cpu_sum = 0.0;
        self.cpu_n = 0;
        self.unscraped = false;
    }

    /// The OpenMetrics text; `start` is the Unix time (s) of simulated 0.
    pub fn render(&self, alarms: &[AlarmOutcome], start: f64) -> String {
        let mut o = String::new();
        let base = format!(
            "scenario=\"{}\",seed=\"{}\"",
            escape(&self.scenario),
            self.seed
        );
        let ts = |s: &Scrape| format_ts(start + as_secs_f64(s.at));
        let sc = &self.scrapes;
        // A family of one series per label set.
        let family = |o: &mut String,
                      name: &str,
                      kind: &str,
                      unit: Option<&str>,
                      help: &str,
                      series: Vec<(String, Vec<(String, String)>)>| {
            let _ = writeln!(o, "# TYPE {name} {kind}");
            if let Some(u) = unit {
                let _ = writeln!(o, "# UNIT {name} {u}");
            }
            let _ = writeln!(o, "# HELP {name} {}", escape_help(help));
            let sample = if kind == "counter" {
                format!("{name}_total")
            } else {
                name.to_string()
            };
            for (labels, points) in series {
                for (value, t) in points {
                    let _ = writeln!(o, "{sample}{{{labels}}} {value} {t}");
                }
            }
        };
        let counter = |f: &dyn Fn(&Scrape) -> u64| -> Vec<(String, String)> {
            sc.iter().map(|s| (f(s).to_string(), ts(s))).collect()
        };
        let gauge = |f: &dyn Fn(&Scrape) -> Option<f64>| -> Vec<(String, String)> {
            sc.iter()
                .filter_map(|s| f(s).map(|v| (format_value(v), ts(s))))
                .collect()
        };
        let one = |points| vec![(base.clone(), points)];

        family(
            &mut o,
            "sim_requests",
            "counter",
            None,
            "Requests issued by the clients (warm-up included).",
            one(counter(&|s| s.counts.issued)),
        );
        family(
            &mut o,
            "sim_requests_succeeded",
            "counter",
            None,
            "Requests that succeeded.",
            one(counter(&|s| s.counts.succeeded)),
        );
        family(
            &mut o,
            "sim_requests_dropped",
            "counter",
            None,
            "Requests dropped, by the reason of their last attempt.",
            DropReason::ALL
                .iter()
                .map(|r| {
                    let i = *r as usize;
                    (
                        format!("{base},reason=\"{}\"", r.name()),
                        counter(&|s| s.counts.dropped[i]),
                    )
                })
                .collect(),
        );
        family(
            &mut o,
            "sim_attempts",
            "counter",
            None,
            "Attempts sent to the load balancer, retries included.",
            one(counter(&|s| s.client.attempts)),
        );
        family(
            &mut o,
            "sim_retries",
            "counter",
            None,
            "Retry attempts.",
            one(counter(&|s| s.client.retries)),
        );
        if self.database {
            family(
                &mut o,
                "sim_db_calls",
                "counter",
                None,
                "Calls from the app to the database.",
                one(counter(&|s| s.tier.db_calls)),
            );
            family(
                &mut o,
                "sim_db_calls_failed",
                "counter",
                None,
                "App calls to the database that failed.",
                one(counter(&|s| s.tier.db_calls_failed)),
            );
        }
        if self.cache {
            family(
                &mut o,
                "sim_cache_hits",
                "counter",
                None,
                "Cache hits.",
                one(counter(&|s| s.tier.cache_hits)),
            );
            family(
                &mut o,
                "sim_cache_misses",
                "counter",
                None,
                "Cache misses.",
                one(counter(&|s| s.tier.cache_misses)),
            );
        }
        family(
            &mut o,
            "sim_success_ratio",
            "gauge",
            Some("ratio"),
            "Succeeded / completed requests over the scrape interval.",
            one(gauge(&|s| s.success_ratio)),
        );
        family(
            &mut o,
            "sim_latency_p50_seconds",
            "gauge",
            Some("seconds"),
            "Median latency of requests that succeeded in the scrape interval.",
            one(gauge(&|s| s.p50_s)),
        );
        family(
            &mut o,
            "sim_latency_p99_seconds",
            "gauge",
            Some("seconds"),
            "99th percentile latency of requests that succeeded in the scrape interval.",
            one(gauge(&|s| s.p99_s)),
        );
        family(
            &mut o,
            "sim_healthy_targets",
            "gauge",
            None,
            "Healthy targets per AZ, as the load balancer sees them.",
            self.azs
                .iter()
                .enumerate()
                .map(|(az, name)| {
                    (
                        format!("{base},az=\"{}\"", escape(name)),
                        gauge(&|s| s.healthy.get(az).map(|h| f64::from(*h))),
                    )
                })
                .collect(),
        );
        family(
            &mut o,
            "sim_cpu_utilization_ratio",
            "gauge",
            Some("ratio"),
            "Busy workers / workers of running app instances over the scrape interval.",
            one(gauge(&|s| s.cpu)),
        );
        if self.autoscaling {
            family(
                &mut o,
                "sim_asg_desired_instances",
                "gauge",
                None,
                "The Auto Scaling Group's desired capacity.",
                one(gauge(&|s| Some(f64::from(s.desired)))),
            );
            family(
                &mut o,
                "sim_asg_in_service_instances",
                "gauge",
                None,
                "Instances of the group serving (healthy in the load balancer).",
                one(gauge(&|s| Some(f64::from(s.in_service)))),
            );
            family(
                &mut o,
                "sim_asg_booting_instances",
                "gauge",
                None,
                "Instances of the group still booting.",
                one(gauge(&|s| Some(f64::from(s.booting)))),
            );
        }
        if !alarms.is_empty() {
            family(
                &mut o,
                "sim_alarm_firing",
                "gauge",
                None,
                "1 while the alarm is in ALARM, else 0 (like Prometheus' ALERTS).",
                alarms
                    .iter()
                    .map(|a| {
                        let state = |t: SimTime| {
                            a.changes
                                .iter()
                                .rfind(|c| c.at <= t)
                                .is_some_and(|c| c.fired())
                        };
                        (
                            format!("{base},alarm=\"{}\"", escape(&a.alarm.name)),
                            gauge(&|s| Some(if state(s.at) { 1.0 } else { 0.0 })),
                        )
                    })
                    .collect(),
            );
        }
        o.push_str("# EOF\n");
        o
    }
}

/// Feeds an [`Export`] shared with the caller.
pub struct ExportSink(pub Rc<RefCell<Export>>);

impl RowSink for ExportSink {
    fn latency(&mut self, hist: &Histogram<u64>) {
        self.0.borrow_mut().latency(hist);
    }
    fn row(&mut self, row: &Row) {
        self.0.borrow_mut().row(row);
    }
    fn finish(&mut self) {
        self.0.borrow_mut().finish();
    }
}

/// A label value: backslash, double quote and newline escaped.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(v: &str) -> String {
    escape(v)
}

/// Timestamps in seconds with millisecond precision.
fn format_ts(t: f64) -> String {
    format!("{t:.3}")
}

/// A gauge value: plain decimal, at most 9 decimals.
fn format_value(v: f64) -> String {
    let s = format!("{v:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "" | "-" | "-0" => "0".to_string(),
        s => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_plain_decimals_without_trailing_zeros() {
        assert_eq!(format_value(1.0), "1");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(1e-12), "0");
        assert_eq!(format_value(-1e-12), "0");
        assert_eq!(format_value(123456.5), "123456.5");
        assert_eq!(escape("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    }
}
