//! Monitoring: the scenario's alarms evaluated on the run's own metric rows,
//! the way CloudWatch or Prometheus would see them. A CloudWatch datapoint
//! covers one period and exists once the period has ended; a Prometheus
//! rule looks back over its range at every evaluation. Neither sees inside
//! a period, so an alarm notices a fault no sooner than its rule allows:
//! that delay is the *time to detect*.
//!
//! Memory per alarm is bounded by its window: rows are summed in steps of
//! gcd(window, evaluation interval), and only a window's worth of steps is
//! kept (the loader caps their number), plus its first datapoints and its
//! state changes.

use std::collections::VecDeque;

use hdrhistogram::Histogram;

use super::Row;
use crate::engine::{NANOS_PER_MICRO, NANOS_PER_SEC, SimTime};
use crate::scenario::{Alarm, AlarmMetric, MissingData, Monitoring, Rule, Statistic};

/// At most this many datapoints are kept per alarm for the charts.
const MAX_DATAPOINTS: usize = 10_000;

/// An alarm changed state.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AlarmChange {
    /// Simulated seconds.
    pub at_s: f64,
    /// `alarm` (fired) or `ok` (cleared).
    pub state: &'static str,
    /// The datapoint that decided it, in the metric's unit (`null`: no
    /// data in the period).
    pub value: Option<f64>,
    #[serde(skip)]
    pub at: SimTime,
}

impl AlarmChange {
    pub fn fired(&self) -> bool {
        self.state == "alarm"
    }
}

/// What one alarm did over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmOutcome {
    pub alarm: Alarm,
    pub changes: Vec<AlarmChange>,
    /// (end of the period or evaluation time, value) for every evaluation.
    pub datapoints: Vec<(SimTime, Option<f64>)>,
    /// The alarm was firing when the run ended.
    pub firing_at_end: bool,
}

/// An alarm's metric summed over some rows: a step of its window.
#[derive(Debug, Clone, Default)]
struct Agg {
    issued: u64,
    succeeded: u64,
    dropped: u64,
    retries: u64,
    db_errors: u64,
    /// Healthy targets (the alarm's AZ, or all) at each row's end.
    healthy_min: Option<u32>,
    healthy_max: u32,
    healthy_sum: u64,
    rows: u32,
    cpu_sum: f64,
    cpu_rows: u32,
    /// Latency of the successes (latency alarms only).
    hist: Option<Histogram<u64>>,
}

impl Agg {
    fn add_row(&mut self, alarm: &Alarm, row: &Row, hist: &Histogram<u64>) {
        self.issued += row.counts.issued;
        self.succeeded += row.counts.succeeded;
        self.dropped += row.counts.dropped_total();
        self.retries += row.client.retries;
        self.db_errors += row.tier.db_calls_failed;
        let healthy = match alarm.az {
            Some(az) => row.healthy[az],
            None => row.healthy.iter().sum(),
        };
        self.healthy_min = Some(self.healthy_min.map_or(healthy, |m| m.min(healthy)));
        self.healthy_max = self.healthy_max.max(healthy);
        self.healthy_sum += u64::from(healthy);
        self.rows += 1;
        if let Some(c) = row.fleet.cpu {
            self.cpu_sum += c;
            self.cpu_rows += 1;
        }
        if alarm.metric == AlarmMetric::Latency {
            self.add_hist(hist);
        }
    }

    fn add_hist(&mut self, h: &Histogram<u64>) {
        super::accumulate_latency(&mut self.hist, h);
    }

    fn merge(&mut self, o: &Agg) {
        self.issued += o.issued;
        self.succeeded += o.succeeded;
        self.dropped += o.dropped;
        self.retries += o.retries;
        self.db_errors += o.db_errors;
        self.healthy_min = match (self.healthy_min, o.healthy_min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.healthy_max = self.healthy_max.max(o.healthy_max);
        self.healthy_sum += o.healthy_sum;
        self.rows += o.rows;
        self.cpu_sum += o.cpu_sum;
        self.cpu_rows += o.cpu_rows;
        if let Some(h) = &o.hist {
            self.add_hist(h);
        }
    }
}

struct AlarmState {
    alarm: Alarm,
    /// The window a datapoint covers, and the time between evaluations.
    window: SimTime,
    stride: SimTime,
    /// Rows are summed in steps of gcd(window, stride); the last
    /// `window / step` steps make a datapoint.
    step: SimTime,
    keep: usize,
    current: Agg,
    steps: VecDeque<Agg>,
    /// Last `evaluation_periods` breaches (CloudWatch).
    recent: VecDeque<bool>,
    /// Since when the condition holds (Prometheus).
    pending_since: Option<SimTime>,
    firing: bool,
    changes: Vec<AlarmChange>,
    datapoints: Vec<(SimTime, Option<f64>)>,
}

/// Evaluates the alarms as rows close.
pub struct Monitor {
    bucket: SimTime,
    alarms: Vec<AlarmState>,
}

fn gcd(a: SimTime, b: SimTime) -> SimTime {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Monitor {
    pub fn new(m: &Monitoring, bucket: SimTime) -> Monitor {
        let alarms: Vec<AlarmState> = m
            .alarms
            .iter()
            .map(|a| {
                let (window, stride) = match a.rule {
                    Rule::CloudWatch { period, .. } => (period, period),
                    Rule::Prometheus { range, .. } => (range, m.evaluation_interval),
                };
                // Both are multiples of the bucket (the loader checks), so
                // the step is too.
                let step = gcd(window, stride).max(bucket);
                AlarmState {
                    alarm: a.clone(),
                    window,
                    stride,
                    step,
                    keep: (window / step).max(1) as usize,
                    current: Agg::default(),
                    steps: VecDeque::new(),
                    recent: VecDeque::new(),
                    pending_since: None,
                    firing: false,
                    changes: Vec::new(),
                    datapoints: Vec::new(),
                }
            })
            .collect();
        Monitor { bucket, alarms }
    }

    /// Takes a closed row (and its latency histogram) and evaluates every
    /// alarm whose evaluation falls at the row's end.
    pub fn row(&mut self, row: &Row, hist: &Histogram<u64>) {
        // A last, partial row (the run's end off the bucket grid) is no
        // full period for anyone.
        if row.end - row.start != self.bucket {
            return;
        }
        let now = row.end;
        for a in &mut self.alarms {
            a.current.add_row(&a.alarm, row, hist);
            if !now.is_multiple_of(a.step) {
                continue;
            }
            if a.steps.len() == a.keep {
                a.steps.pop_front();
            }
            a.steps.push_back(std::mem::take(&mut a.current));
            if !now.is_multiple_of(a.stride) || now < a.window {
                continue;
            }
            let mut total = Agg::default();
            for st in &a.steps {
                total.merge(st);
            }
            let value = datapoint(&a.alarm, &total);
            a.evaluate(now, value);
        }
    }

    pub fn finish(self) -> Vec<AlarmOutcome> {
        self.alarms
            .into_iter()
            .map(|a| AlarmOutcome {
                firing_at_end: a.firing,
                alarm: a.alarm,
                changes: a.changes,
                datapoints: a.datapoints,
            })
            .collect()
    }
}

impl AlarmState {
    fn evaluate(&mut self, now: SimTime, value: Option<f64>) {
        if self.datapoints.len() < MAX_DATAPOINTS {
            self.datapoints.push((now, value));
        }
        let a = &self.alarm;
        let holds = value.map(|v| a.cmp.holds(v, a.threshold));
        let fire = match a.rule {
            Rule::CloudWatch {
                evaluation_periods,
                datapoints,
                missing,
                ..
            } => {
                let breach = match (holds, missing) {
                    (Some(b), _) => b,
                    (None, MissingData::Breaching) => true,
                    (None, MissingData::NotBreaching) => false,
                    // Left out: nothing changes.
                    (None, MissingData::Missing) => return,
                };
                if self.recent.len() == evaluation_periods as usize {
                    self.recent.pop_front();
                }
                self.recent.push_back(breach);
                self.recent.iter().filter(|b| **b).count() >= datapoints as usize
            }
            Rule::Prometheus { for_, .. } => {
                // No data: the rule's expression is empty, the alert inactive.
                if holds == Some(true) {
                    let since = *self.pending_since.get_or_insert(now);
                    self.firing || now - since >= for_
                } else {
                    self.pending_since = None;
                    false
                }
            }
        };
        if fire != self.firing {
            self.firing = fire;
            self.changes.push(AlarmChange {
                at_s: now as f64 / NANOS_PER_SEC as f64,
                state: if fire { "alarm" } else { "ok" },
                value,
                at: now,
            });
        }
    }
}

/// The value of `alarm`'s metric over a window; `None` without data.
fn datapoint(alarm: &Alarm, w: &Agg) -> Option<f64> {
    let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
    match alarm.metric {
        AlarmMetric::SuccessRatio => ratio(w.succeeded, w.succeeded + w.dropped),
        AlarmMetric::ErrorRatio => ratio(w.dropped, w.succeeded + w.dropped),
        AlarmMetric::Requests => Some(w.issued as f64),
        AlarmMetric::Errors => Some(w.dropped as f64),
        AlarmMetric::Retries => Some(w.retries as f64),
        AlarmMetric::DbErrors => Some(w.db_errors as f64),
        AlarmMetric::Cpu => (w.cpu_rows > 0).then(|| w.cpu_sum / f64::from(w.cpu_rows)),
        AlarmMetric::HealthyHosts => match alarm.statistic {
            Statistic::Maximum => (w.rows > 0).then_some(f64::from(w.healthy_max)),
            Statistic::Average => (w.rows > 0).then(|| w.healthy_sum as f64 / f64::from(w.rows)),
            _ => w.healthy_min.map(f64::from),
        },
        AlarmMetric::Latency => {
            let h = w.hist.as_ref().filter(|h| !h.is_empty())?;
            let us = match alarm.statistic {
                Statistic::Average => h.mean(),
                Statistic::Maximum => h.max() as f64,
                Statistic::Percentile(p) => {
                    h.median_equivalent(h.value_at_quantile(f64::from(p) / 100.0)) as f64
                }
                _ => h.median_equivalent(h.value_at_quantile(0.99)) as f64,
            };
            Some(us * NANOS_PER_MICRO as f64 / NANOS_PER_SEC as f64)
        }
    }
}

#[cfg(test)]
mod tests;
