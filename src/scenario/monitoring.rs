//! The `monitoring:` block: alarms in the style of CloudWatch (a period, M of
//! N datapoints) or of Prometheus (a rule evaluated every interval over a
//! range, firing after `for:`), and the scrape interval of `--metrics-out`.

use crate::engine::{NANOS_PER_SEC, SimTime};

use super::defaults as d;
use super::error::Issue;
use super::keypath::KeyPath;
use super::raw::{RawAlarm, RawMonitoring, Scalar};
use super::resolve::{
    Res, at_key, az_index, choice, count, duration_of, positive_duration, text, unknown_az,
};
use super::units::{self, format_duration as fd};

/// Alarms and metric export settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitoring {
    /// Resolution of `--metrics-out` (Prometheus `scrape_interval`).
    pub scrape_interval: SimTime,
    /// How often Prometheus-style rules are evaluated.
    pub evaluation_interval: SimTime,
    pub alarms: Vec<Alarm>,
}

impl Default for Monitoring {
    fn default() -> Self {
        Monitoring {
            scrape_interval: d::PROM_SCRAPE_INTERVAL,
            evaluation_interval: d::PROM_EVALUATION_INTERVAL,
            alarms: Vec::new(),
        }
    }
}

/// What an alarm watches, as the load balancer or the fleet reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmMetric {
    /// Succeeded / completed requests (ALB: 1 - 5xx / RequestCount).
    SuccessRatio,
    /// Dropped / completed requests.
    ErrorRatio,
    /// Requests issued (RequestCount).
    Requests,
    /// Requests dropped, whatever the reason.
    Errors,
    /// End-to-end latency of succeeded requests (TargetResponseTime).
    Latency,
    /// Healthy targets, in all or in one AZ (HealthyHostCount).
    HealthyHosts,
    /// App CPU utilisation (CPUUtilization), busy / running workers.
    Cpu,
    /// Retry attempts sent by clients.
    Retries,
    /// App calls to the database that failed.
    DbErrors,
}

impl AlarmMetric {
    pub const ALL: [(&'static str, AlarmMetric); 9] = [
        ("success_ratio", AlarmMetric::SuccessRatio),
        ("error_ratio", AlarmMetric::ErrorRatio),
        ("requests", AlarmMetric::Requests),
        ("errors", AlarmMetric::Errors),
        ("latency", AlarmMetric::Latency),
        ("healthy_hosts", AlarmMetric::HealthyHosts),
        ("cpu", AlarmMetric::Cpu),
        ("retries", AlarmMetric::Retries),
        ("db_errors", AlarmMetric::DbErrors),
    ];

    pub fn name(self) -> &'static str {
        AlarmMetric::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |(n, _)| n)
    }

    /// How a threshold of this metric is written and shown.
    pub fn unit(self) -> Unit {
        match self {
            AlarmMetric::SuccessRatio | AlarmMetric::ErrorRatio | AlarmMetric::Cpu => Unit::Ratio,
            AlarmMetric::Latency => Unit::Seconds,
            _ => Unit::Count,
        }
    }
}

/// Unit of an alarm's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A fraction, written and shown as a percentage.
    Ratio,
    /// Seconds, written as a duration (`500ms`).
    Seconds,
    /// A count or number.
    Count,
}

impl Unit {
    /// A value of this unit as people write it: `99%`, `500ms`, `3`.
    pub fn show(self, v: f64) -> String {
        match self {
            Unit::Ratio => {
                let p = format!("{:.3}", v * 100.0);
                format!("{}%", p.trim_end_matches('0').trim_end_matches('.'))
            }
            Unit::Seconds => {
                if v < 1.0 {
                    format!("{}ms", trim(v * 1000.0))
                } else {
                    format!("{}s", trim(v))
                }
            }
            Unit::Count => trim(v),
        }
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How a period's values are reduced to one datapoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Sums for counts; the ratio of sums for ratios; the time average of
    /// CPU; the mean of latencies.
    Default,
    Minimum,
    Maximum,
    Average,
    /// A latency percentile (50, 90, 99 ...).
    Percentile(u8),
}

impl Statistic {
    pub fn name(self) -> String {
        match self {
            Statistic::Default => "default".into(),
            Statistic::Minimum => "minimum".into(),
            Statistic::Maximum => "maximum".into(),
            Statistic::Average => "average".into(),
            Statistic::Percentile(p) => format!("p{p}"),
        }
    }
}

/// Comparison of a datapoint with the threshold (breaching when true).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
        }
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Cmp::Lt => value < threshold,
            Cmp::Le => value <= threshold,
            Cmp::Gt => value > threshold,
            Cmp::Ge => value >= threshold,
        }
    }
}

/// A period without data (no request completed in it, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingData {
    /// Left out: the alarm keeps its state, M of N counts the datapoints
    /// that exist.
    Missing,
    Breaching,
    NotBreaching,
}

/// When an alarm is evaluated and what makes it fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// CloudWatch: one datapoint per `period`, available when the period
    /// ends; ALARM when `datapoints` of the last `evaluation_periods`
    /// breach, OK when fewer do.
    CloudWatch {
        period: SimTime,
        evaluation_periods: u32,
        datapoints: u32,
        missing: MissingData,
    },
    /// Prometheus: every evaluation interval the value over the last
    /// `range` is compared; the alert fires once the condition held at
    /// every evaluation for `for_`, and resolves at the first evaluation
    /// where it does not hold.
    Prometheus { range: SimTime, for_: SimTime },
}

/// One alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub metric: AlarmMetric,
    pub statistic: Statistic,
    /// Healthy hosts of this AZ only.
    pub az: Option<usize>,
    pub cmp: Cmp,
    /// In the metric's unit: a fraction, seconds, or a count.
    pub threshold: f64,
    pub rule: Rule,
}

impl Alarm {
    /// `success_ratio < 99%`, `latency p99 > 500ms`.
    pub fn condition(&self) -> String {
        let stat = match self.statistic {
            Statistic::Default => String::new(),
            s => format!(" {}", s.name()),
        };
        format!(
            "{}{stat} {} {}",
            self.metric.name(),
            self.cmp.symbol(),
            self.metric.unit().show(self.threshold)
        )
    }
}

const MAX_ALARMS: usize = 100;
const MAX_EVALUATION_PERIODS: u32 = 1000;
/// Most slices an alarm's window is kept in (each may hold a latency
/// histogram of about 26 KB).
const MAX_STEPS: u64 = 1000;

fn gcd(a: SimTime, b: SimTime) -> SimTime {
    if b == 0 { a } else { gcd(b, a % b) }
}

pub(super) fn resolve_monitoring(
    raw: Option<&RawMonitoring>,
    azs: &[String],
    bucket: SimTime,
    duration: SimTime,
    path: &KeyPath,
) -> Res<Monitoring> {
    let empty = RawMonitoring::default();
    let raw = raw.unwrap_or(&empty);
    // A default that is not a multiple of the bucket is rounded up to one;
    // a value the user wrote must be one.
    let grid = |v: &Option<Scalar>, key: &str, default: SimTime| {
        let p = path.key(key);
        if v.is_none() {
            return Ok(default.div_ceil(bucket) * bucket);
        }
        let t = positive_duration(v, &p, default)?;
        on_bucket(t, bucket, &p)?;
        Ok::<_, Issue>(t)
    };
    let scrape_interval = grid(
        &raw.scrape_interval,
        "scrape_interval",
        d::PROM_SCRAPE_INTERVAL,
    )?;
    let evaluation_interval = grid(
        &raw.evaluation_interval,
        "evaluation_interval",
        d::PROM_EVALUATION_INTERVAL,
    )?;
    let list = raw.alarms.as_deref().unwrap_or_default();
    if list.len() > MAX_ALARMS {
        return Err(at_key(
            &path.key("alarms"),
            format!("at most {MAX_ALARMS} alarms, got {}", list.len()),
        ));
    }
    let mut alarms: Vec<Alarm> = Vec::with_capacity(list.len());
    for (i, a) in list.iter().enumerate() {
        let p = path.key("alarms").index(i);
        let alarm = resolve_alarm(a, azs, bucket, evaluation_interval, duration, &p)?;
        if alarms.iter().any(|o| o.name == alarm.name) {
            return Err(Issue::at(
                &p.key("name"),
                format!("two alarms are named {:?}: names must differ", alarm.name),
            ));
        }
        alarms.push(alarm);
    }
    Ok(Monitoring {
        scrape_interval,
        evaluation_interval,
        alarms,
    })
}

/// Alarms are computed from the `metrics.bucket` rows: their times must
/// fall on row boundaries.
fn on_bucket(t: SimTime, bucket: SimTime, p: &KeyPath) -> Res<()> {
    if !t.is_multiple_of(bucket) {
        return Err(Issue::at(
            p,
            format!(
                "must be a multiple of metrics.bucket ({}), got {}",
                fd(bucket),
                fd(t)
            ),
        ));
    }
    Ok(())
}

fn resolve_alarm(
    a: &RawAlarm,
    azs: &[String],
    bucket: SimTime,
    evaluation_interval: SimTime,
    duration: SimTime,
    p: &KeyPath,
) -> Res<Alarm> {
    let name = match &a.name {
        Some(v) => text(v, &p.key("name"))?,
        None => return Err(at_key(p, "an alarm needs a `name`")),
    };
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(Issue::at(
            &p.key("name"),
            "must be non-empty text on one line",
        ));
    }
    let Some(metric_v) = &a.metric else {
        return Err(at_key(
            p,
            format!(
                "alarm {name:?} needs a `metric`: one of {}",
                super::suggest::list(&AlarmMetric::ALL.map(|(n, _)| n))
            ),
        ));
    };
    let metric = choice(
        &Some(metric_v.clone()),
        &p.key("metric"),
        &AlarmMetric::ALL,
        AlarmMetric::SuccessRatio,
    )?;
    let statistic = resolve_statistic(&a.statistic, metric, &p.key("statistic"))?;
    let az = match &a.az {
        None => None,
        Some(_) if metric != AlarmMetric::HealthyHosts => {
            return Err(at_key(
                &p.key("az"),
                "`az` applies to the healthy_hosts metric only",
            ));
        }
        Some(v) => {
            let n = text(v, &p.key("az"))?;
            Some(az_index(&n, azs).ok_or_else(|| Issue::at(&p.key("az"), unknown_az(&n, azs)))?)
        }
    };
    let Some(threshold_v) = &a.threshold else {
        return Err(at_key(
            p,
            format!(
                "alarm {name:?} needs a `threshold`, e.g. {}",
                example(metric)
            ),
        ));
    };
    let (cmp, threshold) = resolve_threshold(threshold_v, metric, &p.key("threshold"))?;
    let rule = resolve_rule(a, bucket, evaluation_interval, duration, p)?;
    Ok(Alarm {
        name,
        metric,
        statistic,
        az,
        cmp,
        threshold,
        rule,
    })
}

fn example(metric: AlarmMetric) -> &'static str {
    match metric.unit() {
        Unit::Ratio if metric == AlarmMetric::SuccessRatio => "\"< 99%\"",
        Unit::Ratio => "\"> 1%\"",
        Unit::Seconds => "\"> 500ms\"",
        Unit::Count if metric == AlarmMetric::HealthyHosts => "\"< 4\"",
        Unit::Count => "\"> 100\"",
    }
}

fn resolve_statistic(v: &Option<Scalar>, metric: AlarmMetric, p: &KeyPath) -> Res<Statistic> {
    let Some(v) = v else {
        return Ok(match metric {
            AlarmMetric::Latency => Statistic::Percentile(99),
            AlarmMetric::HealthyHosts => Statistic::Minimum,
            _ => Statistic::Default,
        });
    };
    let s = text(v, p)?;
    match metric {
        AlarmMetric::Latency => {
            let named = match s.as_str() {
                "average" | "avg" => Some(Statistic::Average),
                "maximum" | "max" => Some(Statistic::Maximum),
                _ => None,
            };
            if let Some(st) = named {
                return Ok(st);
            }
            let pct = s
                .strip_prefix('p')
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| (1..=99).contains(n));
            pct.map(Statistic::Percentile).ok_or_else(|| {
                Issue::at(
                    p,
                    format!(
                        "expected a percentile p1 to p99 (p50, p90, p99), average or maximum, got {s:?}"
                    ),
                )
            })
        }
        AlarmMetric::HealthyHosts => choice(
            &Some(v.clone()),
            p,
            &[
                ("minimum", Statistic::Minimum),
                ("maximum", Statistic::Maximum),
                ("average", Statistic::Average),
            ],
            Statistic::Minimum,
        ),
        _ => Err(at_key(
            p,
            format!(
                "`statistic` applies to latency and healthy_hosts; {} has one meaning",
                metric.name()
            ),
        )),
    }
}

/// `"< 99%"`, `"> 500ms"`, `"<= 3"`: a comparison and a value in the
/// metric's unit.
fn resolve_threshold(v: &Scalar, metric: AlarmMetric, p: &KeyPath) -> Res<(Cmp, f64)> {
    let shape = || {
        Issue::at(
            p,
            format!(
                "expected a comparison and a value, like {}, got {v}",
                example(metric)
            ),
        )
    };
    let Scalar::Str(s) = v else {
        return Err(shape());
    };
    let s = s.trim();
    let (cmp, rest) = [
        ("<=", Cmp::Le),
        (">=", Cmp::Ge),
        ("<", Cmp::Lt),
        (">", Cmp::Gt),
    ]
    .iter()
    .find_map(|(sym, c)| s.strip_prefix(sym).map(|r| (*c, r.trim())))
    .ok_or_else(shape)?;
    if rest.is_empty() {
        return Err(shape());
    }
    let value = match metric.unit() {
        Unit::Ratio => units::parse_fraction(rest)
            .and_then(|f| {
                if (0.0..=1.0).contains(&f) {
                    Ok(f)
                } else {
                    Err(format!("must be from 0% to 100%, got {rest}"))
                }
            })
            .map_err(|m| Issue::at(p, m))?,
        Unit::Seconds => {
            let t = duration_of(&Scalar::Str(rest.to_string())).map_err(|m| Issue::at(p, m))?;
            t as f64 / NANOS_PER_SEC as f64
        }
        Unit::Count => match rest.parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => x,
            _ => {
                return Err(Issue::at(
                    p,
                    format!(
                        "expected a number of 0 or more after {}, got {rest:?}",
                        cmp.symbol()
                    ),
                ));
            }
        },
    };
    Ok((cmp, value))
}

fn resolve_rule(
    a: &RawAlarm,
    bucket: SimTime,
    evaluation_interval: SimTime,
    duration: SimTime,
    p: &KeyPath,
) -> Res<Rule> {
    let cw = [
        ("period", &a.period),
        ("evaluation_periods", &a.evaluation_periods),
        ("datapoints_to_alarm", &a.datapoints_to_alarm),
        ("treat_missing_data", &a.treat_missing_data),
    ];
    let prom = [("for", &a.for_), ("range", &a.range)];
    let first = |keys: &[(&'static str, &Option<Scalar>)]| {
        keys.iter().find(|(_, v)| v.is_some()).map(|(k, _)| *k)
    };
    if let (Some(c), Some(pr)) = (first(&cw), first(&prom)) {
        return Err(at_key(
            &p.key(pr),
            format!(
                "`{pr}` is a Prometheus-style key and `{c}` a CloudWatch-style one: an alarm uses one style"
            ),
        ));
    }
    if first(&prom).is_some() {
        let rp = p.key("range");
        let range = positive_duration(&a.range, &rp, evaluation_interval)?;
        on_bucket(range, bucket, &rp)?;
        if range > duration {
            return Err(Issue::at(
                &rp,
                format!(
                    "is longer than the run ({}): the rule would never be evaluated",
                    fd(duration)
                ),
            ));
        }
        // The window is kept in steps of gcd(range, evaluation_interval).
        let steps = range / gcd(range, evaluation_interval);
        if steps > MAX_STEPS {
            return Err(Issue::at(
                &rp,
                format!(
                    "{} over evaluations every {} needs {steps} slices of memory; make it a multiple of the evaluation interval (at most {MAX_STEPS} of them)",
                    fd(range),
                    fd(evaluation_interval)
                ),
            ));
        }
        let for_ = match &a.for_ {
            None => 0,
            Some(v) => duration_of(v).map_err(|m| Issue::at(&p.key("for"), m))?,
        };
        return Ok(Rule::Prometheus { range, for_ });
    }
    let pp = p.key("period");
    let period = positive_duration(&a.period, &pp, d::CW_PERIOD)?;
    // PutMetricAlarm: 10, 20 or 30 s, or a multiple of 60 s.
    let valid = [10, 20, 30].map(|s| s * NANOS_PER_SEC).contains(&period)
        || period.is_multiple_of(60 * NANOS_PER_SEC);
    if !valid {
        return Err(Issue::at(
            &pp,
            format!(
                "CloudWatch periods are 10s, 20s, 30s or a multiple of 60s, got {}",
                fd(period)
            ),
        ));
    }
    on_bucket(period, bucket, &pp)?;
    if period > duration {
        return Err(Issue::at(
            &pp,
            format!(
                "is longer than the run ({}): the alarm would never be evaluated",
                fd(duration)
            ),
        ));
    }
    let evaluation_periods = count(
        &a.evaluation_periods,
        &p.key("evaluation_periods"),
        d::CW_EVALUATION_PERIODS,
        1,
        MAX_EVALUATION_PERIODS,
    )?;
    let datapoints = count(
        &a.datapoints_to_alarm,
        &p.key("datapoints_to_alarm"),
        evaluation_periods,
        1,
        evaluation_periods,
    )?;
    let missing = choice(
        &a.treat_missing_data,
        &p.key("treat_missing_data"),
        &[
            ("missing", MissingData::Missing),
            ("breaching", MissingData::Breaching),
            ("not_breaching", MissingData::NotBreaching),
        ],
        MissingData::Missing,
    )?;
    Ok(Rule::CloudWatch {
        period,
        evaluation_periods,
        datapoints,
        missing,
    })
}
