//! The file as written: serde structs that only check shape (which keys,
//! mapping or list or single value). Every leaf is a [`Scalar`] so the
//! validator, not serde, decides what `10s` or `fast` means and words the
//! error. Unknown keys are rejected here with serde's list of known ones.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Visitor};

use super::error::{Anchor, Issue};
use super::keypath::KeyPath;
use super::suggest;

/// A single YAML value as written, before units are resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
}

impl fmt::Display for Scalar {
    /// Echoes the value back the way the user would recognise it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Int(n) => write!(f, "{n}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a single value (text, a number or true/false)")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

type Leaf = Option<Scalar>;

/// A text for people: one value (English), or a mapping of language codes
/// (`en`, `ko`) to values.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(from = "ScalarOr<Langs>")]
pub(crate) struct RawText {
    pub en: Leaf,
    pub ko: Leaf,
}

/// The mapping form of a [`RawText`]; a scalar is the English.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Langs {
    en: Leaf,
    ko: Leaf,
}

impl Expecting for Langs {
    const EXPECTING: &'static str =
        "text, or a mapping of languages to text `{ en: ..., ko: ... }` (languages: en, ko)";
}

impl From<ScalarOr<Langs>> for RawText {
    fn from(shape: ScalarOr<Langs>) -> RawText {
        match shape {
            ScalarOr::Scalar(en) => RawText {
                en: Some(en),
                ko: None,
            },
            ScalarOr::Block(l) => RawText { en: l.en, ko: l.ko },
        }
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of scenario keys")]
pub(crate) struct RawScenario {
    pub name: Leaf,
    pub description: Option<RawText>,
    pub lesson: Option<RawText>,
    pub seed: Leaf,
    pub duration: Leaf,
    pub warmup: Leaf,
    pub azs: Option<Vec<Scalar>>,
    pub network: Option<RawNetwork>,
    pub load_balancer: Option<RawLoadBalancer>,
    pub app: Option<RawApp>,
    pub workload: Option<RawWorkload>,
    pub faults: Option<Vec<RawFault>>,
    pub metrics: Option<RawMetrics>,
    #[serde(default, deserialize_with = "present")]
    pub database: Option<RawDatabase>,
    #[serde(default, deserialize_with = "present")]
    pub cache: Option<RawCache>,
    #[serde(default, deserialize_with = "present")]
    pub session_store: Option<RawKvStore>,
    #[serde(default, deserialize_with = "present")]
    pub autoscaling: Option<RawAutoScaling>,
    pub monitoring: Option<RawMonitoring>,
    pub regions: Option<Named<Vec<Scalar>>>,
    pub region_latency: Option<Named<Scalar>>,
    #[serde(default, deserialize_with = "present")]
    pub dns: Option<RawDns>,
}

/// `dns:` (Route 53 failover routing between regions).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of dns keys")]
pub(crate) struct RawDns {
    pub routing: Leaf,
    pub primary: Leaf,
    pub secondary: Leaf,
    pub ttl: Leaf,
    pub health_check: Option<RawDnsHealthCheck>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of health_check keys")]
pub(crate) struct RawDnsHealthCheck {
    pub interval: Leaf,
    pub failure_threshold: Leaf,
}

/// A mapping whose keys the user names (regions, AZs), in file order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Named<T>(pub Vec<(Scalar, T)>);

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Named<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Named<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of names")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<Scalar, T>()? {
                    out.push(entry);
                }
                Ok(Named(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Named<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("NamedMapOf{}", T::schema_name()).into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "a mapping of names (regions, AZs) to values",
            "type": "object",
            "additionalProperties": g.subschema_for::<T>()
        })
    }
}

impl Expecting for Named<Scalar> {
    const EXPECTING: &'static str = "a count, or a mapping of AZ name -> count";
}

/// For a block whose presence matters: `database:` with nothing under it is
/// the block with every default, not an absent one.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: de::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(d).map(|block| Some(block.unwrap_or_default()))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of network keys")]
pub(crate) struct RawNetwork {
    pub latency: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of load_balancer keys")]
pub(crate) struct RawLoadBalancer {
    pub algorithm: Leaf,
    pub cross_zone: Leaf,
    pub standby_azs: Option<Vec<Scalar>>,
    pub standby_mode: Leaf,
    pub standby_start_delay: Leaf,
    pub fail_open: Leaf,
    pub health_check: Option<ScalarOr<RawHealthCheck>>,
    pub deregistration_delay: Leaf,
    pub dns_ttl: Leaf,
    pub max_outstanding: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of health_check keys")]
pub(crate) struct RawHealthCheck {
    pub interval: Leaf,
    pub timeout: Leaf,
    pub healthy_threshold: Leaf,
    pub unhealthy_threshold: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of app keys")]
pub(crate) struct RawApp {
    pub instances_per_az: Option<ScalarOr<Named<Scalar>>>,
    pub workers: Leaf,
    pub queue_capacity: Leaf,
    pub service_time: Option<RawServiceTime>,
    pub boot_time: Leaf,
    pub mtbf: Leaf,
    pub mttr: Leaf,
    pub sessions: Leaf,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of distribution keys")]
pub(crate) struct RawServiceTime {
    pub dist: Leaf,
    pub mean: Leaf,
    pub p99: Leaf,
    pub value: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of workload keys")]
pub(crate) struct RawWorkload {
    pub rate: Leaf,
    pub arrival: Leaf,
    pub timeout: Leaf,
    pub retries: Leaf,
    pub retry_backoff: Leaf,
    pub connect_timeout: Leaf,
    pub queries: Leaf,
    pub write_fraction: Leaf,
    pub users: Leaf,
    pub pattern: Option<ScalarOr<RawPattern>>,
    pub backoff: Leaf,
    pub backoff_cap: Leaf,
    pub jitter: Leaf,
    #[serde(default, deserialize_with = "present")]
    pub retry_budget: Option<ScalarOr<RawRetryBudget>>,
    #[serde(default, deserialize_with = "present")]
    pub circuit_breaker: Option<ScalarOr<RawCircuitBreaker>>,
}

/// `workload.retry_budget`: a mapping, a ratio (`10%`) or `none`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of retry_budget keys")]
pub(crate) struct RawRetryBudget {
    pub ratio: Leaf,
    pub min_per_second: Leaf,
    pub ttl: Leaf,
}

/// `workload.circuit_breaker`: a mapping or `none`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of circuit_breaker keys")]
pub(crate) struct RawCircuitBreaker {
    pub failure_ratio: Leaf,
    pub window: Leaf,
    pub min_calls: Leaf,
    pub open_for: Leaf,
    pub probes: Leaf,
}

impl Expecting for RawCircuitBreaker {
    const EXPECTING: &'static str = "`none` or a mapping of circuit_breaker keys \
         (`failure_ratio`, `window`, `min_calls`, `open_for`, `probes`)";
}

impl Expecting for RawHealthCheck {
    const EXPECTING: &'static str = "`none` or a mapping of health_check keys \
         (`interval`, `timeout`, `healthy_threshold`, `unhealthy_threshold`)";
}

impl Expecting for RawRetryBudget {
    const EXPECTING: &'static str = "`none`, a ratio like 20%, or a mapping of retry_budget keys (`ratio`, `min_per_second`, `ttl`)";
}

/// A key written either as a single value (a shorthand such as `constant`
/// or `none`) or as a mapping of its own keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ScalarOr<T> {
    Scalar(Scalar),
    Block(T),
}

/// What a [`ScalarOr`] key expects, for serde's "expected ..., got ..." message.
pub(crate) trait Expecting {
    const EXPECTING: &'static str;
}

impl<T: Default> Default for ScalarOr<T> {
    fn default() -> Self {
        ScalarOr::Block(T::default())
    }
}

impl<'de, T: Deserialize<'de> + Expecting> Deserialize<'de> for ScalarOr<T> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Expecting> Visitor<'de> for V<T> {
            type Value = ScalarOr<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(T::EXPECTING)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(ScalarOr::Scalar(Scalar::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(ScalarOr::Scalar(Scalar::Int(v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(ScalarOr::Scalar(Scalar::Int(v.into())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(ScalarOr::Scalar(Scalar::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(ScalarOr::Scalar(Scalar::Str(v.to_string())))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(ScalarOr::Block)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `workload.pattern`: one of its keys, or the scalar `constant`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of pattern keys")]
pub(crate) struct RawPattern {
    #[serde(default, deserialize_with = "present")]
    pub ramp: Option<RawRamp>,
    #[serde(default, deserialize_with = "present")]
    pub spike: Option<RawSpike>,
    #[serde(default, deserialize_with = "present")]
    pub diurnal: Option<RawDiurnal>,
    pub schedule: Option<Vec<RawRateStep>>,
}

impl Expecting for RawPattern {
    const EXPECTING: &'static str =
        "`constant` or a mapping with one pattern (`ramp`, `spike`, `diurnal` or `schedule`)";
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of ramp keys")]
pub(crate) struct RawRamp {
    pub start: Leaf,
    pub duration: Leaf,
    pub to: Leaf,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of spike keys")]
pub(crate) struct RawSpike {
    pub at: Leaf,
    pub duration: Leaf,
    pub factor: Leaf,
    pub to: Leaf,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of diurnal keys")]
pub(crate) struct RawDiurnal {
    pub amplitude: Leaf,
    pub period: Leaf,
    pub peak_at: Leaf,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping with `at` and `rate`")]
pub(crate) struct RawRateStep {
    pub at: Leaf,
    pub rate: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of autoscaling keys")]
pub(crate) struct RawAutoScaling {
    pub min: Leaf,
    pub max: Leaf,
    pub desired: Leaf,
    pub health_check: Leaf,
    pub grace_period: Leaf,
    pub boot_time: Leaf,
    pub warmup: Leaf,
    pub metric_period: Leaf,
    pub status_check_interval: Leaf,
    pub static_stability: Leaf,
    pub policy: Option<RawPolicy>,
    pub scheduled: Option<Vec<RawScheduled>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with one policy: target_tracking or step"
)]
pub(crate) struct RawPolicy {
    pub target_tracking: Option<RawTargetTracking>,
    pub step: Option<RawStepPolicy>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of target_tracking keys")]
pub(crate) struct RawTargetTracking {
    pub metric: Leaf,
    pub target: Leaf,
    pub disable_scale_in: Leaf,
    pub scale_out_periods: Leaf,
    pub scale_in_periods: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of step policy keys")]
pub(crate) struct RawStepPolicy {
    pub metric: Leaf,
    pub scale_out: Option<RawStepAlarm>,
    pub scale_in: Option<RawStepAlarm>,
    pub periods: Leaf,
    pub cooldown: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `threshold` and `steps`"
)]
pub(crate) struct RawStepAlarm {
    pub threshold: Leaf,
    pub steps: Option<Vec<RawStep>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping with `over` and `change`")]
pub(crate) struct RawStep {
    pub over: Leaf,
    pub change: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of scheduled action keys")]
pub(crate) struct RawScheduled {
    pub at: Leaf,
    pub min: Leaf,
    pub max: Leaf,
    pub desired: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of fault keys")]
pub(crate) struct RawFault {
    pub at: Leaf,
    pub kind: Leaf,
    pub az: Leaf,
    pub region: Leaf,
    pub instance: Leaf,
    pub duration: Leaf,
    pub extra: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of metrics keys")]
pub(crate) struct RawMetrics {
    pub bucket: Leaf,
    pub window: Leaf,
    pub threshold: Leaf,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of database keys")]
pub(crate) struct RawDatabase {
    pub mode: Leaf,
    pub replication: Leaf,
    pub replication_lag: Option<RawServiceTime>,
    pub endpoint: Leaf,
    pub dns_ttl: Leaf,
    pub reconnect_time: Leaf,
    pub proxy_switch: Leaf,
    pub detection: Leaf,
    pub promotion: Leaf,
    pub primary_az: Leaf,
    pub standby_az: Leaf,
    pub read_replicas: Leaf,
    pub reads: Leaf,
    pub workers: Leaf,
    pub queue_capacity: Leaf,
    pub query_time: Option<RawServiceTime>,
    pub mtbf: Leaf,
    pub mttr: Leaf,
    pub writers: Leaf,
    pub keys: Leaf,
}

/// A Redis-like store (`session_store`, and the store part of `cache`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of session_store keys")]
pub(crate) struct RawKvStore {
    pub replica: Leaf,
    pub failover_time: Option<RawServiceTime>,
    pub primary_az: Leaf,
    pub mtbf: Leaf,
    pub mttr: Leaf,
}

/// The store keys are written flat beside the cache's own: serde cannot
/// deny unknown keys through `flatten`, so they are repeated here.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of cache keys")]
pub(crate) struct RawCache {
    pub hit_ratio: Leaf,
    pub warm_time: Leaf,
    pub replica: Leaf,
    pub failover_time: Option<RawServiceTime>,
    pub primary_az: Leaf,
    pub mtbf: Leaf,
    pub mttr: Leaf,
}

impl RawCache {
    /// The keys the cache shares with a session store.
    pub(crate) fn store(&self) -> RawKvStore {
        RawKvStore {
            replica: self.replica.clone(),
            failover_time: self.failover_time.clone(),
            primary_az: self.primary_az.clone(),
            mtbf: self.mtbf.clone(),
            mttr: self.mttr.clone(),
        }
    }
}

/// Deserializes the shape of a scenario, turning serde's first error into an
/// [`Issue`] at the key path where it happened.
pub(crate) fn deserialize(value: serde_yaml::Value) -> Result<RawScenario, Issue> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = KeyPath::from(err.path());
        explain(path, &err.into_inner().to_string())
    })
}

/// Rewrites serde's wording ("unknown field", "invalid type: map") into the
/// scenario's vocabulary (key, mapping) and adds a did-you-mean.
fn explain(path: KeyPath, msg: &str) -> Issue {
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        return unknown_key(path, rest);
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        if expected == "field identifier" {
            // A number or list used as a key: name the mapping it is in.
            let parent = path.parent().unwrap_or_default();
            return Issue {
                path: parent,
                anchor: Anchor::OddKey,
                message: format!("keys must be names, got the key {}", describe_got(got)),
            };
        }
        // serde says "sequence"; YAML users say "list".
        let expected = expected.replace("a sequence", "a list");
        return Issue::at(
            &path,
            format!("expected {expected}, got {}", describe_got(got)),
        );
    }
    Issue::at(&path, msg.to_string())
}

/// `rest` is what follows "unknown field `": "rat`, expected one of `rate`, ...".
fn unknown_key(path: KeyPath, rest: &str) -> Issue {
    let (name, tail) = rest.split_once('`').unwrap_or((rest, ""));
    let expected: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    let place = match path.parent() {
        Some(p) if !p.is_root() => format!("in `{p}`"),
        _ => "at the top level".to_string(),
    };
    let known = if expected.is_empty() {
        String::new()
    } else {
        format!(", expected one of {}", suggest::list(&expected))
    };
    Issue {
        path,
        anchor: Anchor::Key,
        message: format!(
            "unknown key `{name}` {place}{known}{}",
            suggest::hint(name, &expected)
        ),
    }
}

/// serde's `string "x"`, `integer `5``, `map` into `"x"`, `5`, `a mapping`.
fn describe_got(got: &str) -> String {
    let ticked = |prefix: &str| {
        got.strip_prefix(prefix)
            .map(|v| v.trim_matches('`').to_string())
    };
    if let Some(s) = got.strip_prefix("string ") {
        return s.to_string();
    }
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(v) = ticked(prefix) {
            return v;
        }
    }
    match got {
        "map" => "a mapping".to_string(),
        "sequence" => "a list".to_string(),
        "unit value" => "nothing (null)".to_string(),
        "enum" => "a tagged value (`!tag`)".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(yaml: &str) -> Result<RawScenario, Issue> {
        deserialize(serde_yaml::from_str(yaml).unwrap())
    }

    #[test]
    fn unknown_key_names_the_parent_lists_known_keys_and_suggests() {
        let e = shape("workload: { rat: 5 }").unwrap_err();
        assert_eq!(e.path.to_string(), "workload.rat");
        assert_eq!(e.anchor, Anchor::Key);
        assert!(
            e.message
                .starts_with("unknown key `rat` in `workload`, expected one of `rate`, `arrival`"),
            "{}",
            e.message
        );
        assert!(
            e.message.ends_with("; did you mean `rate`?"),
            "{}",
            e.message
        );
    }

    #[test]
    fn unknown_top_level_key_says_top_level() {
        let e = shape("nmae: x").unwrap_err();
        assert_eq!(e.path.to_string(), "nmae");
        assert!(
            e.message.starts_with("unknown key `nmae` at the top level"),
            "{}",
            e.message
        );
        assert!(e.message.contains("did you mean `name`?"), "{}", e.message);
    }

    #[test]
    fn wrong_shape_says_what_was_expected_and_what_was_found() {
        let e = shape("workload: 5").unwrap_err();
        assert_eq!(e.path.to_string(), "workload");
        assert_eq!(e.message, "expected a mapping of workload keys, got 5");
        let e = shape("seed: [1, 2]").unwrap_err();
        assert_eq!(
            e.message,
            "expected a single value (text, a number or true/false), got a list"
        );
        let e = shape("faults: {at: 1s}").unwrap_err();
        assert_eq!(e.message, "expected a list, got a mapping");
        let e = shape("azs: [a, {x: 1}]").unwrap_err();
        assert_eq!(e.path.to_string(), "azs[1]");
    }

    #[test]
    fn non_text_keys_are_reported_at_their_mapping() {
        let e = shape("workload: {1: 2}").unwrap_err();
        assert_eq!(e.path.to_string(), "workload");
        assert_eq!(e.message, "keys must be names, got the key 1");
    }

    #[test]
    fn scalars_keep_their_yaml_type() {
        let raw = shape("seed: 7\nduration: 1.5\nname: x\nwarmup: true").unwrap();
        assert_eq!(raw.seed, Some(Scalar::Int(7)));
        assert_eq!(raw.duration, Some(Scalar::Float(1.5)));
        assert_eq!(raw.name, Some(Scalar::Str("x".into())));
        assert_eq!(raw.warmup, Some(Scalar::Bool(true)));
        assert_eq!(Scalar::Str("fast".into()).to_string(), "\"fast\"");
    }

    #[test]
    fn null_means_not_given() {
        let raw = shape("seed:\nworkload:\n").unwrap();
        assert!(raw.seed.is_none() && raw.workload.is_none());
    }

    #[test]
    fn a_data_tier_block_written_empty_is_present_and_an_absent_one_is_not() {
        let raw = shape("database:\nsession_store:\n").unwrap();
        assert!(raw.database.is_some() && raw.session_store.is_some());
        assert!(raw.cache.is_none());
        let e = shape("cache: [a]").unwrap_err();
        assert_eq!(e.message, "expected a mapping of cache keys, got a list");
    }
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of monitoring keys")]
pub(crate) struct RawMonitoring {
    pub scrape_interval: Leaf,
    pub evaluation_interval: Leaf,
    pub alarms: Option<Vec<RawAlarm>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a mapping of alarm keys")]
pub(crate) struct RawAlarm {
    pub name: Leaf,
    pub metric: Leaf,
    pub statistic: Leaf,
    pub az: Leaf,
    pub threshold: Leaf,
    // CloudWatch style.
    pub period: Leaf,
    pub evaluation_periods: Leaf,
    pub datapoints_to_alarm: Leaf,
    pub treat_missing_data: Leaf,
    // Prometheus style.
    #[serde(rename = "for")]
    pub for_: Leaf,
    pub range: Leaf,
}

// JSON Schema of the leaves, for `sim schema`: the file's shape is checked
// there (keys, mappings, lists); values are checked by the loader, which
// words the error.
impl JsonSchema for Scalar {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Value".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "a single value: text such as `10s` or `99.9%`, a number, or true/false",
            "type": ["string", "number", "boolean"]
        })
    }
}

impl<T: JsonSchema> JsonSchema for ScalarOr<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("ValueOr{}", T::schema_name()).into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "anyOf": [g.subschema_for::<Scalar>(), g.subschema_for::<T>()]
        })
    }
}

impl JsonSchema for RawText {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Text".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "text for people: English, or a mapping of languages to text",
            "anyOf": [
                { "type": ["string", "number"] },
                {
                    "type": "object",
                    "properties": {
                        "en": { "type": "string", "description": "English (required)" },
                        "ko": { "type": "string", "description": "Korean (한국어)" }
                    },
                    "required": ["en"],
                    "additionalProperties": false
                }
            ]
        })
    }
}
