//! The `sweep:` and `variants:` blocks of a scenario file: what `sim sweep`
//! and `sim compare` run, next to the scenario they vary.
//!
//! ```yaml
//! sweep:
//!   seeds: 50
//!   params:
//!     load_balancer.health_check.interval: [5s, 10s, 30s]
//! variants:
//!   active-active: {}
//!   active-passive: { load_balancer.standby_azs: [b] }
//! ```
//!
//! Each parameter value and each variant entry is a `--set` override, so it
//! is checked exactly like one. `sim run` ignores both blocks.

use serde_yaml::Value;

use super::error::{Anchor, ScenarioError};
use super::keypath::KeyPath;
use super::locate::Locations;

/// The two blocks, as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Study {
    /// `sweep.seeds`: runs per point.
    pub seeds: Option<u32>,
    /// `sweep.params`, in file order.
    pub params: Vec<Param>,
    /// `variants`, in file order.
    pub variants: Vec<Variant>,
    /// `expect`, in file order: what `sim check` holds the runs to.
    pub expect: Vec<Expect>,
}

/// One expectation as written: `availability: ">= 99.9%"`, for every
/// design or, nested under a variant's name, for that one.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// The variant it is for; `None`: every design (or the scenario).
    pub design: Option<String>,
    pub metric: String,
    /// The condition's text, e.g. `>= 99.9%`.
    pub condition: String,
    /// Key path, e.g. `expect.active-passive.dropped`.
    pub key: String,
    /// (line, column) of the condition in the file.
    pub at: Option<(usize, usize)>,
}

/// One swept key and its values, each the text of a `--set` value.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub key: String,
    pub values: Vec<String>,
}

/// A named design: overrides on the base scenario (`key=value` texts).
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: String,
    pub sets: Vec<String>,
}

/// Takes the `sweep` and `variants` blocks out of `doc` (so the scenario
/// reader never sees them) and reads them.
pub(crate) fn take(doc: &mut Value, text: &str, origin: &str) -> Result<Study, ScenarioError> {
    let Some(map) = doc.as_mapping_mut() else {
        return Ok(Study::default());
    };
    let sweep = map.remove("sweep");
    let variants = map.remove("variants");
    let expect = map.remove("expect");
    let fail = |path: KeyPath, message: String| {
        let pos = Locations::index(text).find(&path, Anchor::Value);
        ScenarioError {
            origin: origin.to_string(),
            line: pos.map(|p| p.0),
            column: pos.map(|p| p.1),
            key: path.display(),
            message,
        }
    };
    let mut study = Study::default();
    let root = KeyPath::root();
    if let Some(sweep) = sweep.filter(|v| !v.is_null()) {
        let at = root.key("sweep");
        let Value::Mapping(m) = sweep else {
            return Err(fail(
                at,
                "expected a mapping with `seeds` and `params`".into(),
            ));
        };
        for (k, v) in m {
            let name = k.as_str().unwrap_or_default();
            match name {
                "seeds" => {
                    let n = v.as_u64().filter(|n| (1..=1_000_000).contains(n));
                    study.seeds = Some(n.ok_or_else(|| {
                        fail(
                            at.key("seeds"),
                            "expected a whole number from 1 to 1000000".into(),
                        )
                    })? as u32);
                }
                "params" => {
                    let at = at.key("params");
                    let Value::Mapping(params) = v else {
                        return Err(fail(
                            at,
                            "expected a mapping of key paths to lists of values, \
                             e.g. `load_balancer.health_check.interval: [5s, 10s]`"
                                .into(),
                        ));
                    };
                    for (key, values) in params {
                        let Some(key) = key.as_str().map(str::to_string) else {
                            return Err(fail(
                                at,
                                format!("a key path is text, not {}", super::kind_of(&key)),
                            ));
                        };
                        let at = at.key(&key);
                        let list = match values {
                            Value::Sequence(list) if !list.is_empty() => list,
                            _ => {
                                return Err(fail(
                                    at,
                                    "expected a non-empty list of values, e.g. [5s, 10s]".into(),
                                ));
                            }
                        };
                        study.params.push(Param {
                            key,
                            values: list.iter().map(value_text).collect(),
                        });
                    }
                }
                other => {
                    return Err(fail(
                        at.key(other),
                        format!("unknown key `{other}` in `sweep` (expected seeds, params)"),
                    ));
                }
            }
        }
    }
    if let Some(variants) = variants.filter(|v| !v.is_null()) {
        let at = root.key("variants");
        let Value::Mapping(m) = variants else {
            return Err(fail(
                at,
                "expected a mapping of variant names to overrides, \
                 e.g. `active-passive: { load_balancer.standby_azs: [b] }`"
                    .into(),
            ));
        };
        for (name, sets) in m {
            let Some(name) = name.as_str().map(str::to_string) else {
                return Err(fail(
                    at,
                    format!("a variant name is text, not {}", super::kind_of(&name)),
                ));
            };
            let at = at.key(&name);
            if name.is_empty() || name.chars().any(|c| c.is_control() || c == ',') {
                return Err(fail(
                    at,
                    "a variant name must be non-empty text without commas".into(),
                ));
            }
            let sets = match sets {
                Value::Null => Vec::new(),
                Value::Mapping(sets) => {
                    let mut out = Vec::new();
                    flatten("", &sets, &mut out)
                        .map_err(|k| fail(at.clone(), format!("a key path is text, not {k}")))?;
                    out
                }
                _ => {
                    return Err(fail(
                        at,
                        "expected a mapping of key paths to values (`{}` for the scenario as is)"
                            .into(),
                    ));
                }
            };
            study.variants.push(Variant { name, sets });
        }
    }
    if let Some(expect) = expect.filter(|v| !v.is_null()) {
        let at = root.key("expect");
        let Value::Mapping(m) = expect else {
            return Err(fail(
                at,
                "expected a mapping of metrics to conditions, e.g. `availability: \">= 99.9%\"`"
                    .into(),
            ));
        };
        let locations = Locations::index(text);
        let mut entry = |design: Option<&str>, metric: &Value, cond: &Value, at: &KeyPath| {
            let Some(metric) = metric.as_str() else {
                return Err(fail(
                    at.clone(),
                    format!("a metric name is text, not {}", super::kind_of(metric)),
                ));
            };
            let path = at.key(metric);
            if matches!(cond, Value::Sequence(_) | Value::Mapping(_) | Value::Null) {
                return Err(fail(
                    path,
                    format!(
                        "expected a condition such as \">= 99.9%\" or \"== 0\", got {}",
                        super::kind_of(cond)
                    ),
                ));
            }
            study.expect.push(Expect {
                design: design.map(str::to_string),
                metric: metric.to_string(),
                condition: value_text(cond),
                key: path.display().unwrap_or_default(),
                at: locations.find(&path, Anchor::Value),
            });
            Ok(())
        };
        for (k, v) in &m {
            match v {
                Value::Mapping(inner) => {
                    let Some(design) = k.as_str() else {
                        return Err(fail(
                            at,
                            format!("a variant name is text, not {}", super::kind_of(k)),
                        ));
                    };
                    let at = at.key(design);
                    for (metric, cond) in inner {
                        entry(Some(design), metric, cond, &at)?;
                    }
                }
                _ => entry(None, k, v, &at)?,
            }
        }
    }
    Ok(study)
}

/// `{a: {b: 1}}` as `a.b=1`: a nested mapping sets the keys it names and
/// keeps the file's others (as a `--set` of each would), rather than
/// replacing the whole block. Lists are values. Err: a key that is not text.
fn flatten(prefix: &str, m: &serde_yaml::Mapping, out: &mut Vec<String>) -> Result<(), String> {
    for (k, v) in m {
        let k = k.as_str().ok_or_else(|| super::kind_of(k).to_string())?;
        let path = if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Mapping(inner) if !inner.is_empty() => flatten(&path, inner, out)?,
            _ => out.push(format!("{path}={}", value_text(v))),
        }
    }
    Ok(())
}

/// The text of a value as a `--set` would carry it: scalars as written,
/// lists and mappings as JSON (which YAML reads back as flow style).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}
