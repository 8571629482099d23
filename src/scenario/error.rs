//! The user-facing error value and the internal, not-yet-located issue.

use std::fmt;

use super::keypath::KeyPath;

/// Where and what went wrong in a scenario; `Display` is one line, e.g.
/// `scenarios/x.yaml:12:5: workload.rate: expected a rate like 1000/s, got "fast"`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.one_line())]
pub struct ScenarioError {
    /// The file path as given, or `--set k=v` for a command-line override.
    pub origin: String,
    /// 1-based line in the file, when the problem is in the file.
    pub line: Option<usize>,
    /// 1-based column in the file, when the problem is in the file.
    pub column: Option<usize>,
    /// Dotted key path such as `faults[0].az`, when a key is involved.
    pub key: Option<String>,
    /// What is wrong and, where possible, what was expected.
    pub message: String,
}

impl ScenarioError {
    /// An error about the whole file or override, with no position or key.
    pub(crate) fn whole(origin: &str, message: impl Into<String>) -> Self {
        ScenarioError {
            origin: origin.to_string(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
        }
    }

    fn one_line(&self) -> String {
        // A `--set` argument (or a path) may hold a line break too.
        let mut out = self.origin.replace(['\n', '\r'], " ");
        if let Some(line) = self.line {
            out.push_str(&format!(":{line}"));
            if let Some(column) = self.column {
                out.push_str(&format!(":{column}"));
            }
        }
        out.push_str(": ");
        // `--set workload.rat=5` already shows the key; repeating it is noise.
        let key_in_origin = self
            .key
            .as_ref()
            .is_some_and(|k| set_path(&self.origin) == Some(k.as_str()));
        if let Some(key) = self.key.as_ref().filter(|_| !key_in_origin) {
            out.push_str(&key.replace(['\n', '\r'], " "));
            out.push_str(": ");
        }
        // One line, whatever a YAML library or an OS error put in the text.
        out.push_str(&self.message.replace(['\n', '\r'], " "));
        out
    }
}

/// The key written in a `--set key=value` origin, normalised like a key path.
fn set_path(origin: &str) -> Option<&str> {
    let rest = origin.strip_prefix("--set ")?;
    let (key, _) = rest.split_once('=')?;
    Some(key.trim())
}

/// Which part of a `key: value` entry a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The key itself (unknown key): point at the key.
    Key,
    /// The value (bad type, bad unit, failed check): point at the value.
    Value,
    /// A key that is not text (a number, a list) in the mapping at the
    /// path: point at that key.
    OddKey,
}

/// A problem found before we know whether it comes from the file or a `--set`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Issue {
    pub(crate) path: KeyPath,
    pub(crate) anchor: Anchor,
    pub(crate) message: String,
}

impl Issue {
    pub(crate) fn at(path: &KeyPath, message: impl Into<String>) -> Self {
        Issue {
            path: path.clone(),
            anchor: Anchor::Value,
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(origin: &str, line: Option<usize>, key: Option<&str>, message: &str) -> ScenarioError {
        ScenarioError {
            origin: origin.into(),
            line,
            column: line.map(|_| 5),
            key: key.map(Into::into),
            message: message.into(),
        }
    }

    #[test]
    fn file_error_shows_path_line_column_key_and_message() {
        let e = err(
            "s/x.yaml",
            Some(12),
            Some("workload.rate"),
            "expected a rate",
        );
        assert_eq!(
            e.to_string(),
            "s/x.yaml:12:5: workload.rate: expected a rate"
        );
    }

    #[test]
    fn set_error_omits_the_key_the_override_already_names() {
        let e = err(
            "--set workload.rat=5",
            None,
            Some("workload.rat"),
            "unknown key",
        );
        assert_eq!(e.to_string(), "--set workload.rat=5: unknown key");
        let e = err(
            "--set workload={rat: 5}",
            None,
            Some("workload.rat"),
            "unknown key",
        );
        assert_eq!(
            e.to_string(),
            "--set workload={rat: 5}: workload.rat: unknown key"
        );
    }

    #[test]
    fn display_is_always_one_line() {
        let e = err("x.yaml", None, None, "first\nsecond");
        assert_eq!(e.to_string(), "x.yaml: first second");
        // Found by tests/properties.rs: a `--set` with a line break.
        let e = err("--set a\r\nb", None, Some("x\ny"), "expected key=value");
        assert_eq!(e.to_string(), "--set a  b: x y: expected key=value");
    }
}
