//! Expectations: the `expect:` block of a scenario file, what `sim check`
//! (and `sim run`) hold a run to.
//!
//! ```yaml
//! expect:
//!   availability: ">= 99.9%"        # every design
//!   failover_latency_s: "<= 60"     # seconds; "1m" works too
//!   active-passive:                 # only this variant
//!     idle_standby_hours: "> 0"
//! ```
//!
//! A metric is one of the sweep metrics ([`crate::sweep::METRICS`]), read
//! off a run exactly as `runs.csv` does. A value a run leaves undefined (a
//! fault that never recovered has no failover latency) fails every
//! condition: an expectation must never pass by default.

use crate::scenario::study::{Expect, Study};
use crate::scenario::{ScenarioError, parse_duration};
use crate::sweep::{METRICS, metric_index, show};

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
    Ne,
}

impl Op {
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    fn holds(self, actual: f64, wanted: f64) -> bool {
        match self {
            Op::Ge => actual >= wanted,
            Op::Le => actual <= wanted,
            Op::Gt => actual > wanted,
            Op::Lt => actual < wanted,
            Op::Eq => actual == wanted,
            Op::Ne => actual != wanted,
        }
    }
}

/// One checked expectation.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The variant it is for; `None`: every design.
    pub design: Option<String>,
    /// Index into [`METRICS`].
    pub metric: usize,
    pub op: Op,
    /// In the metric's unit (`%`, seconds, ms, hours, a count).
    pub value: f64,
    /// The condition as written, for reports.
    pub written: String,
}

impl Expectation {
    /// Does it apply to the design named `design` (`None`: a file without
    /// variants)?
    pub fn applies_to(&self, design: Option<&str>) -> bool {
        self.design.is_none() || self.design.as_deref() == design
    }

    /// Whether `actual` meets it; an undefined value never does.
    pub fn holds(&self, actual: Option<f64>) -> bool {
        actual.is_some_and(|a| self.op.holds(a, self.value))
    }

    pub fn name(&self) -> &'static str {
        METRICS[self.metric].name
    }
}

/// `value` in the metric's unit, or what its absence means.
pub fn shown(metric: usize, value: Option<f64>) -> String {
    match value {
        Some(v) if METRICS[metric].name == "recovered" && (v == 0.0 || v == 100.0) => {
            if v == 100.0 { "yes" } else { "no" }.into()
        }
        Some(v) => show(metric, v),
        None => match METRICS[metric].name {
            "failover_latency_s" => "none (a fault never recovered)".into(),
            "time_to_detect_s" => "none (no alarm fired)".into(),
            "p99_ms" | "availability" => "none (no request)".into(),
            _ => "none".into(),
        },
    }
}

/// Checks the file's `expect:` block against the metrics and the file's
/// variants; errors point at the condition's line.
pub fn compile(study: &Study, origin: &str) -> Result<Vec<Expectation>, ScenarioError> {
    study
        .expect
        .iter()
        .map(|e| compile_one(e, study, origin))
        .collect()
}

fn compile_one(e: &Expect, study: &Study, origin: &str) -> Result<Expectation, ScenarioError> {
    let fail = |message: String| ScenarioError {
        origin: origin.to_string(),
        line: e.at.map(|p| p.0),
        column: e.at.map(|p| p.1),
        key: Some(e.key.clone()),
        message,
    };
    if let Some(design) = &e.design {
        if study.variants.is_empty() {
            return Err(fail(format!(
                "`{design}` is neither a metric nor a variant: this file has no `variants:` \
                 (metrics: {})",
                metric_names()
            )));
        }
        if !study.variants.iter().any(|v| &v.name == design) {
            let names: Vec<_> = study.variants.iter().map(|v| v.name.as_str()).collect();
            return Err(fail(format!(
                "no variant named `{design}` (variants: {})",
                names.join(", ")
            )));
        }
    }
    let Some(metric) = metric_index(&e.metric) else {
        return Err(fail(format!(
            "unknown metric `{}`{} (metrics: {})",
            e.metric,
            suggestion(&e.metric),
            metric_names()
        )));
    };
    let (op, value) = parse_condition(metric, &e.condition).map_err(fail)?;
    Ok(Expectation {
        design: e.design.clone(),
        metric,
        op,
        value,
        written: e.condition.trim().to_string(),
    })
}

fn metric_names() -> String {
    METRICS
        .iter()
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn suggestion(name: &str) -> String {
    METRICS
        .iter()
        .map(|m| (strsim::jaro_winkler(name, m.name), m.name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, m)| format!("; did you mean `{m}`?"))
        .unwrap_or_default()
}

/// `>= 99.9%`, `<= 60`, `<= 1m`, `== 0`, a bare number (`0`: equal to),
/// or `true`/`false` for `recovered`.
pub fn parse_condition(metric: usize, text: &str) -> Result<(Op, f64), String> {
    let t = text.trim();
    let m = &METRICS[metric];
    if m.name == "recovered" {
        match t {
            "true" => return Ok((Op::Eq, 100.0)),
            "false" => return Ok((Op::Eq, 0.0)),
            _ => {}
        }
    }
    let ops = [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
    ];
    let (op, rest) = ops
        .iter()
        .find_map(|(s, op)| t.strip_prefix(s).map(|rest| (*op, rest.trim())))
        .unwrap_or((Op::Eq, t));
    let example = match m.unit {
        "%" => "\">= 99.9%\"",
        "% of runs" => "true, or \"== 100%\"",
        "s" => "\"<= 60\" (seconds) or \"<= 1m\"",
        "ms" => "\"<= 250\" (ms) or \"<= 250ms\"",
        "h" => "\"<= 4.5\" (hours)",
        _ => "\"== 0\" or \"< 1000\"",
    };
    let bad = || {
        format!(
            "cannot read the condition {text:?} for {}: expected an operator (>=, <=, >, <, ==, !=) \
             and a value, e.g. {example}",
            m.name
        )
    };
    if rest.is_empty() {
        return Err(bad());
    }
    let plain: String = rest.chars().filter(|c| *c != '_' && *c != ',').collect();
    let value = match m.unit {
        "%" | "% of runs" => plain
            .strip_suffix('%')
            .unwrap_or(&plain)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| (0.0..=100.0).contains(v))
            .ok_or_else(|| format!("{} (a percentage from 0 to 100)", bad()))?,
        "s" | "ms" => match plain.parse::<f64>() {
            Ok(v) => v,
            Err(_) => {
                let ns = parse_duration(&plain).map_err(|e| format!("{}: {e}", bad()))?;
                let per = if m.unit == "s" { 1e9 } else { 1e6 };
                ns as f64 / per
            }
        },
        _ => plain.parse::<f64>().map_err(|_| bad())?,
    };
    if !value.is_finite() {
        return Err(bad());
    }
    Ok((op, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(name: &str) -> usize {
        metric_index(name).unwrap()
    }

    #[test]
    fn conditions_read_in_the_metric_unit() {
        let a = at("availability");
        assert_eq!(parse_condition(a, ">= 99.9%"), Ok((Op::Ge, 99.9)));
        assert_eq!(parse_condition(a, ">=99.9"), Ok((Op::Ge, 99.9)));
        assert!(parse_condition(a, ">= 120%").is_err());
        let f = at("failover_latency_s");
        assert_eq!(parse_condition(f, "<= 60"), Ok((Op::Le, 60.0)));
        assert_eq!(parse_condition(f, "<= 1m"), Ok((Op::Le, 60.0)));
        assert_eq!(parse_condition(f, "< 500ms"), Ok((Op::Lt, 0.5)));
        assert_eq!(parse_condition(at("p99_ms"), "<= 1s"), Ok((Op::Le, 1000.0)));
        let d = at("dropped");
        assert_eq!(parse_condition(d, "0"), Ok((Op::Eq, 0.0)));
        assert_eq!(parse_condition(d, "!= 0"), Ok((Op::Ne, 0.0)));
        assert_eq!(parse_condition(d, "< 1_000"), Ok((Op::Lt, 1000.0)));
        assert_eq!(parse_condition(d, "> 1,000"), Ok((Op::Gt, 1000.0)));
        assert!(parse_condition(d, "about 3").is_err());
        assert!(parse_condition(d, ">=").is_err());
        assert!(parse_condition(d, "=> 3").is_err());
        let r = at("recovered");
        assert_eq!(parse_condition(r, "true"), Ok((Op::Eq, 100.0)));
        assert_eq!(parse_condition(r, "false"), Ok((Op::Eq, 0.0)));
    }

    #[test]
    fn an_undefined_value_fails_every_condition() {
        for op in [Op::Ge, Op::Le, Op::Gt, Op::Lt, Op::Eq, Op::Ne] {
            let e = Expectation {
                design: None,
                metric: at("failover_latency_s"),
                op,
                value: 60.0,
                written: String::new(),
            };
            assert!(!e.holds(None), "{op:?}");
        }
        let e = Expectation {
            design: Some("b".into()),
            metric: at("dropped"),
            op: Op::Le,
            value: 10.0,
            written: String::new(),
        };
        assert!(e.holds(Some(10.0)) && !e.holds(Some(10.5)));
        assert!(e.applies_to(Some("b")) && !e.applies_to(Some("a")) && !e.applies_to(None));
    }
}
