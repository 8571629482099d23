//! `sim schema`: the JSON Schema of scenario files, for editors (the YAML
//! language server validates and completes keys with it).
//!
//! It is generated from the same serde structs the loader reads, so a key
//! the loader knows is a key the schema knows, and an unknown key is
//! rejected by both. Values stay loosely typed (text, number or boolean):
//! the loader reads units (`10s`, `99.9%`) and words its own errors.

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::raw::RawScenario;

/// The schema as pretty JSON with a final newline; `metrics` are the names
/// an `expect:` block may hold to a condition.
pub fn schema(metrics: &[&str]) -> String {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawScenario>();
    let mut root = serde_json::to_value(&schema).expect("a schema is JSON");
    let obj = root.as_object_mut().expect("the root schema is an object");
    obj.insert("title".into(), json!("failover-sim scenario"));
    obj.insert(
        "description".into(),
        json!(
            "A failover-sim scenario: an architecture, its workload and the faults to inject. \
             Run it with `sim run FILE`; check its expectations with `sim check FILE`."
        ),
    );
    let props = obj
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .expect("the scenario has properties");
    for (key, schema) in study_blocks(metrics) {
        props.insert(key.into(), schema);
    }
    let text = serde_json::to_string_pretty(&root).expect("JSON prints") + "\n";
    // Editors show definition names: `LoadBalancer`, not the loader's
    // `RawLoadBalancer`.
    text.replace("#/definitions/Raw", "#/definitions/")
        .replace("OrRaw", "Or")
        .replace("\n    \"Raw", "\n    \"")
}

/// The blocks `sim sweep`, `sim compare` and `sim check` read beside the
/// scenario (the loader takes them out before it reads the rest).
fn study_blocks(metrics: &[&str]) -> Vec<(&'static str, Value)> {
    let value = json!({ "type": ["string", "number", "boolean", "array", "object", "null"] });
    let condition = json!({
        "description": "a condition on the metric, e.g. \">= 99.9%\", \"<= 60\", \"== 0\" (or true/false for `recovered`)",
        "type": ["string", "number", "boolean"]
    });
    let by_metric: serde_json::Map<String, Value> = metrics
        .iter()
        .map(|m| (m.to_string(), condition.clone()))
        .collect();
    vec![
        (
            "sweep",
            json!({
                "description": "what `sim sweep` runs: seeds per point and the parameter grid",
                "type": "object",
                "properties": {
                    "seeds": { "type": "integer", "minimum": 1, "maximum": 1000000 },
                    "params": {
                        "description": "key path -> list of values, e.g. `load_balancer.health_check.interval: [5s, 10s]`",
                        "type": "object",
                        "additionalProperties": { "type": "array", "minItems": 1 }
                    }
                },
                "additionalProperties": false
            }),
        ),
        (
            "variants",
            json!({
                "description": "designs `sim compare` runs on the same seeds: name -> overrides (`{}` for the scenario as is)",
                "type": "object",
                "additionalProperties": {
                    "type": ["object", "null"],
                    "additionalProperties": value
                }
            }),
        ),
        (
            "expect",
            json!({
                "description": "what `sim check` holds the runs to: metric -> condition, or variant name -> { metric: condition }",
                "type": "object",
                "properties": by_metric.clone(),
                "additionalProperties": {
                    "description": "a variant's own expectations",
                    "type": "object",
                    "properties": by_metric,
                    "additionalProperties": false
                }
            }),
        ),
    ]
}
