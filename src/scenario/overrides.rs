//! `--set key.path=value`: command-line edits applied to the parsed file
//! before it is read, so an override is checked exactly like the file.

use serde_yaml::{Mapping, Value};

use super::error::ScenarioError;
use super::keypath::{KeyPath, Seg};
use super::raw;

const EXAMPLE: &str = "e.g. --set workload.rate=500/s";

/// One parsed `--set`.
#[derive(Debug, Clone)]
pub(crate) struct Override {
    /// The whole argument as given, for error messages.
    pub(crate) text: String,
    pub(crate) path: KeyPath,
    pub(crate) value: Value,
}

impl Override {
    /// The origin shown in errors: `--set workload.rate=fast`.
    pub(crate) fn origin(&self) -> String {
        format!("--set {}", self.text)
    }

    fn error(&self, key: Option<&KeyPath>, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            key: key.and_then(KeyPath::display),
            ..ScenarioError::whole(&self.origin(), message)
        }
    }
}

/// Parses `key.path=value`; the value is YAML (`3`, `true`, `10s`, `[a, b]`).
pub(crate) fn parse(text: &str) -> Result<Override, ScenarioError> {
    let origin = format!("--set {text}");
    let fail = |message: String| ScenarioError::whole(&origin, message);
    let Some((key, value_text)) = text.split_once('=') else {
        return Err(fail(format!("expected key=value, {EXAMPLE}")));
    };
    let path = parse_path(key.trim()).map_err(fail)?;
    let value = parse_value(value_text).map_err(fail)?;
    Ok(Override {
        text: text.to_string(),
        path,
        value,
    })
}

/// `faults[0].at` and `faults.0.at` are the same path.
fn parse_path(key: &str) -> Result<KeyPath, String> {
    if key.is_empty() {
        return Err(format!("the key before `=` is empty, {EXAMPLE}"));
    }
    let bad = |why: &str| format!("malformed key `{key}`: {why}");
    let mut segs = Vec::new();
    for part in key.split('.') {
        if part.is_empty() {
            return Err(bad("empty part between dots"));
        }
        let (name, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if name.contains(']') {
            return Err(bad("`]` without `[`"));
        }
        if !name.is_empty() {
            let digits = name.bytes().all(|b| b.is_ascii_digit());
            segs.push(if digits {
                Seg::Index(name.parse().map_err(|_| bad("index too large"))?)
            } else {
                Seg::Key(name.to_string())
            });
        }
        while !rest.is_empty() {
            let inner = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .filter(|(i, _)| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()));
            let Some((index, after)) = inner else {
                return Err(bad("an index is written [0], a number in brackets"));
            };
            segs.push(Seg::Index(
                index.parse().map_err(|_| bad("index too large"))?,
            ));
            rest = after;
        }
    }
    Ok(KeyPath(segs))
}

/// YAML for lists, maps, numbers and booleans; anything that does not look
/// like a flow list or map stays text, so `description=Note: x` just works.
fn parse_value(text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    let flow = trimmed.starts_with(['[', '{', '"', '\'']);
    if let Some((_, column)) = super::too_deep(text) {
        return Err(format!(
            "brackets nested more than {} deep (at character {column} of the value)",
            super::MAX_NESTING
        ));
    }
    match serde_yaml::from_str::<Value>(text) {
        Ok(Value::Mapping(_) | Value::Sequence(_)) if !flow => {
            Ok(Value::String(trimmed.to_string()))
        }
        Ok(v) => Ok(v),
        Err(_) if !flow => Ok(Value::String(trimmed.to_string())),
        Err(e) => Err(format!(
            "cannot read the value as YAML: {}",
            super::strip_location(&e.to_string())
        )),
    }
}

/// Checks an override's keys against the schema on its own, before it meets
/// the file: a misspelt key is the override's fault whatever the file holds.
/// Every index becomes a one-element list: all items of a list share a type.
pub(crate) fn check_keys(ov: &Override) -> Result<(), ScenarioError> {
    let mut tree = ov.value.clone();
    for seg in ov.path.0.iter().rev() {
        tree = match seg {
            Seg::Key(k) => {
                let mut m = Mapping::new();
                m.insert(Value::String(k.clone()), tree);
                Value::Mapping(m)
            }
            Seg::Index(_) => Value::Sequence(vec![tree]),
        };
    }
    match raw::deserialize(tree) {
        Ok(_) => Ok(()),
        Err(issue) => {
            // Put the user's indices back in place of the placeholder zeros.
            let mut segs = issue.path.0;
            for (seg, mine) in segs.iter_mut().zip(&ov.path.0) {
                *seg = mine.clone();
            }
            Err(ov.error(Some(&KeyPath(segs)), issue.message))
        }
    }
}

/// Writes the override into the document, creating missing mappings.
pub(crate) fn apply(doc: &mut Value, ov: &Override) -> Result<(), ScenarioError> {
    let mut node = doc;
    let mut here = KeyPath::root();
    for seg in &ov.path.0 {
        let at = here.clone();
        node = match seg {
            Seg::Key(k) => {
                if node.is_null() {
                    *node = Value::Mapping(Mapping::new());
                }
                let Value::Mapping(map) = node else {
                    return Err(ov.error(
                        Some(&at),
                        format!("cannot set `{k}` inside `{at}`: it is not a mapping in the file"),
                    ));
                };
                map.entry(Value::String(k.clone())).or_insert(Value::Null)
            }
            Seg::Index(i) => {
                if node.is_null() {
                    *node = Value::Sequence(Vec::new());
                }
                let Value::Sequence(items) = node else {
                    return Err(ov.error(
                        Some(&at),
                        format!("cannot use index [{i}]: `{at}` is not a list in the file"),
                    ));
                };
                let len = items.len();
                if *i > len {
                    let what = at.display().unwrap_or_else(|| "the document".into());
                    let range = if len == 0 {
                        "the only usable index is [0], to add the first item".to_string()
                    } else {
                        format!("use [0] to [{}], or [{len}] to append", len - 1)
                    };
                    return Err(ov.error(
                        Some(&at.index(*i)),
                        format!(
                            "index [{i}] is out of range: `{what}` has {len} item{}; {range}",
                            if len == 1 { "" } else { "s" }
                        ),
                    ));
                }
                if *i == len {
                    items.push(Value::Null);
                }
                &mut items[*i]
            }
        };
        here = match seg {
            Seg::Key(k) => here.key(k),
            Seg::Index(i) => here.index(*i),
        };
    }
    *node = ov.value.clone();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(key: &str) -> String {
        parse_path(key).unwrap().to_string()
    }

    #[test]
    fn index_syntaxes_are_equivalent() {
        assert_eq!(path_of("faults[0].at"), "faults[0].at");
        assert_eq!(path_of("faults.0.at"), "faults[0].at");
        assert_eq!(path_of("a[1][2]"), "a[1][2]");
    }

    #[test]
    fn malformed_keys_are_rejected_with_a_reason() {
        assert!(parse_path("").unwrap_err().contains("empty"));
        assert!(parse_path("a..b").unwrap_err().contains("empty part"));
        assert!(parse_path("a.").unwrap_err().contains("empty part"));
        assert!(parse_path("a[x]").unwrap_err().contains("[0]"));
        assert!(parse_path("a[1").unwrap_err().contains("[0]"));
        assert!(parse_path("a]").unwrap_err().contains("`]`"));
        assert!(
            parse_path("a[99999999999999999999999]")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn values_are_yaml_but_prose_stays_text() {
        assert_eq!(parse_value("3").unwrap(), Value::from(3));
        assert_eq!(parse_value("true").unwrap(), Value::Bool(true));
        assert_eq!(parse_value("10s").unwrap(), Value::from("10s"));
        assert!(parse_value("[a, b]").unwrap().is_sequence());
        assert!(parse_value("{x: 1}").unwrap().is_mapping());
        assert_eq!(parse_value("Note: x").unwrap(), Value::from("Note: x"));
        assert_eq!(parse_value("- a").unwrap(), Value::from("- a"));
        assert!(parse_value("").unwrap().is_null());
        assert!(
            parse_value("[a,")
                .unwrap_err()
                .contains("cannot read the value")
        );
    }

    #[test]
    fn apply_creates_missing_mappings_and_appends_at_the_end() {
        let mut doc: Value = serde_yaml::from_str("faults: [{at: 1s}]").unwrap();
        apply(&mut doc, &parse("workload.rate=5/s").unwrap()).unwrap();
        apply(&mut doc, &parse("faults[1].at=2s").unwrap()).unwrap();
        assert_eq!(doc["workload"]["rate"], Value::from("5/s"));
        assert_eq!(doc["faults"][1]["at"], Value::from("2s"));
        let e = apply(&mut doc, &parse("faults[5].at=2s").unwrap()).unwrap_err();
        assert!(
            e.message.contains(
                "index [5] is out of range: `faults` has 2 items; use [0] to [1], or [2] to append"
            ),
            "{}",
            e.message
        );
        assert_eq!(e.key.as_deref(), Some("faults[5]"));
    }

    #[test]
    fn apply_refuses_to_descend_into_a_scalar() {
        let mut doc: Value = serde_yaml::from_str("workload: 5").unwrap();
        let e = apply(&mut doc, &parse("workload.rate=1").unwrap()).unwrap_err();
        assert!(e.message.contains("not a mapping"), "{}", e.message);
    }

    #[test]
    fn key_check_finds_misspelt_keys_at_any_depth_with_real_indices() {
        let e = check_keys(&parse("faults[3].azz=a").unwrap()).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("faults[3].azz"));
        assert!(e.message.contains("did you mean `az`?"), "{}", e.message);
        assert!(check_keys(&parse("faults[3].az=a").unwrap()).is_ok());
        assert!(
            check_keys(&parse("app.service_time={dist: constant, value: 1s}").unwrap()).is_ok()
        );
    }
}
