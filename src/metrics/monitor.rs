//! Monitoring: the scenario's alarms evaluated on the run's own metric rows,
//! the way CloudWatch or Prometheus would see them. A CloudWatch datapoint
//! covers one period and exists once the period has ended; a Prometheus
//! rule looks back over its range at every evaluation. Neither sees inside
//! a period, so an alarm notices a fault no sooner than its rule allows:
//! that delay is the *time to detect*.
//!
//! Memory is bounded by the longest alarm window (rows are kept for that
//! long only), plus the alarm's datapoints and state changes.

use std::collections::VecDeque;

use hdrhistogram::Histogram;

use super::Row;
use crate::engine::{NANOS_PER_MICRO, NANOS_PER_SEC, SimTime};
use crate::scenario::{Alarm, AlarmMetric, MissingData, Monitoring, Rule, Statistic};

/// At most this many datapoints are kept per alarm for the charts.
const MAX_DATAPOINTS: usize = 100_000;

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

/// What a row contributes to alarms.
#[derive(Debug, Clone)]
struct RowStat {
    issued: u64,
    succeeded: u64,
    dropped: u64,
    retries: u64,
    db_errors: u64,
    /// Healthy targets at the row's end, per AZ.
    healthy: Vec<u32>,
    cpu: Option<f64>,
    /// Latency of the row's successes (only with a latency alarm).
    hist: Option<Histogram<u64>>,
}

struct AlarmState {
    alarm: Alarm,
    /// Rows a datapoint covers.
    rows: usize,
    /// Time between evaluations.
    stride: SimTime,
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
    window: VecDeque<RowStat>,
    keep: usize,
    latency: bool,
}

impl Monitor {
    pub fn new(m: &Monitoring, bucket: SimTime) -> Monitor {
        let alarms: Vec<AlarmState> = m
            .alarms
            .iter()
            .map(|a| {
                let (span, stride) = match a.rule {
                    Rule::CloudWatch { period, .. } => (period, period),
                    Rule::Prometheus { range, .. } => (range, m.evaluation_interval),
                };
                AlarmState {
                    alarm: a.clone(),
                    rows: (span / bucket).max(1) as usize,
                    stride,
                    recent: VecDeque::new(),
                    pending_since: None,
                    firing: false,
                    changes: Vec::new(),
                    datapoints: Vec::new(),
                }
            })
            .collect();
        let keep = alarms.iter().map(|a| a.rows).max().unwrap_or(0);
        let latency = m.alarms.iter().any(|a| a.metric == AlarmMetric::Latency);
        Monitor {
            bucket,
            alarms,
            window: VecDeque::with_capacity(keep),
            keep,
            latency,
        }
    }

    /// Takes a closed row (and its latency histogram) and evaluates every
    /// alarm whose evaluation falls at the row's end.
    pub fn row(&mut self, row: &Row, hist: &Histogram<u64>) {
        if self.alarms.is_empty() {
            return;
        }
        // A last, partial row (the run's end off the bucket grid) is no
        // full period for anyone.
        if row.end - row.start != self.bucket {
            return;
        }
        if self.window.len() == self.keep {
            self.window.pop_front();
        }
        self.window.push_back(RowStat {
            issued: row.counts.issued,
            succeeded: row.counts.succeeded,
            dropped: row.counts.dropped_total(),
            retries: row.client.retries,
            db_errors: row.tier.db_calls_failed,
            healthy: row.healthy.clone(),
            cpu: row.fleet.cpu,
            hist: self.latency.then(|| hist.clone()),
        });
        let now = row.end;
        for a in &mut self.alarms {
            if !now.is_multiple_of(a.stride) || (now / self.bucket) < a.rows as u64 {
                continue;
            }
            let from = self.window.len().saturating_sub(a.rows);
            let value = datapoint(&a.alarm, self.window.range(from..));
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

/// The value of `alarm`'s metric over `rows`; `None` when there is no data.
fn datapoint<'a>(alarm: &Alarm, rows: impl Iterator<Item = &'a RowStat> + Clone) -> Option<f64> {
    let sum = |f: fn(&RowStat) -> u64| rows.clone().map(f).sum::<u64>();
    let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
    match alarm.metric {
        AlarmMetric::SuccessRatio => {
            let ok = sum(|r| r.succeeded);
            ratio(ok, ok + sum(|r| r.dropped))
        }
        AlarmMetric::ErrorRatio => {
            let bad = sum(|r| r.dropped);
            ratio(bad, bad + sum(|r| r.succeeded))
        }
        AlarmMetric::Requests => Some(sum(|r| r.issued) as f64),
        AlarmMetric::Errors => Some(sum(|r| r.dropped) as f64),
        AlarmMetric::Retries => Some(sum(|r| r.retries) as f64),
        AlarmMetric::DbErrors => Some(sum(|r| r.db_errors) as f64),
        AlarmMetric::Cpu => {
            let (n, total) = rows
                .filter_map(|r| r.cpu)
                .fold((0u32, 0.0), |(n, t), c| (n + 1, t + c));
            (n > 0).then(|| total / f64::from(n))
        }
        AlarmMetric::HealthyHosts => {
            let values: Vec<f64> = rows
                .map(|r| match alarm.az {
                    Some(az) => f64::from(r.healthy[az]),
                    None => f64::from(r.healthy.iter().sum::<u32>()),
                })
                .collect();
            let n = values.len() as f64;
            match alarm.statistic {
                Statistic::Maximum => values.into_iter().reduce(f64::max),
                Statistic::Average => (n > 0.0).then(|| values.iter().sum::<f64>() / n),
                _ => values.into_iter().reduce(f64::min),
            }
        }
        AlarmMetric::Latency => {
            let mut merged: Option<Histogram<u64>> = None;
            for r in rows {
                if let Some(h) = &r.hist {
                    match &mut merged {
                        None => merged = Some(h.clone()),
                        // Same bounds by construction: adding cannot fail.
                        Some(m) => m.add(h).expect("row histograms share their bounds"),
                    }
                }
            }
            let h = merged.filter(|h| !h.is_empty())?;
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
