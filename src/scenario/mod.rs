//! Scenario files: YAML with human units into the typed [`Scenario`].
//!
//! The path of a file through this module: serde_yaml parses the text (syntax
//! errors carry their position), `--set` overrides edit the parsed document,
//! serde checks its shape against the raw structs (unknown keys, lists versus
//! mappings), and the resolver turns it into typed values with units and
//! defaults. Any problem is found at a key path; only then is it placed, at a
//! line and column in the file or on the `--set` that caused it.
pub mod config;
pub mod defaults;
mod error;
mod keypath;
mod locate;
mod monitoring;
mod overrides;
mod raw;
mod resolve;
pub mod schema;
pub mod study;
mod suggest;
mod units;

pub use config::*;
pub use error::ScenarioError;
pub use monitoring::{Alarm, AlarmMetric, Cmp, MissingData, Monitoring, Rule, Statistic, Unit};
pub use units::{format_duration, parse_duration, parse_fraction, parse_rate};

use std::path::Path;

use serde_yaml::Value;

use error::Issue;
use keypath::{KeyPath, Seg};
use locate::Locations;
use overrides::Override;

/// Reads and resolves a scenario file; its stem is the default `name`.
pub fn load_file(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
    let src = Source::read(path)?;
    load_str(&src.text, &src.origin, &src.stem, overrides)
}

/// A scenario file's text, read once and resolved as many times as a sweep
/// has points.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub text: String,
    /// The path as given, for messages.
    pub origin: String,
    /// The file's stem: the default `name`.
    pub stem: String,
}

/// The largest scenario file read: the shipped ones are under 10 KB, and
/// a file of thousands of faults is well under 1 MB. Reading stops there,
/// so a huge file, or `/dev/zero`, costs nothing.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

impl Source {
    /// Reads `path` as UTF-8 text.
    pub fn read(path: &Path) -> Result<Source, ScenarioError> {
        use std::io::Read as _;
        let origin = path.display().to_string();
        let cannot = |e: std::io::Error| {
            ScenarioError::whole(&origin, format!("cannot read the scenario file: {e}"))
        };
        let file = std::fs::File::open(path).map_err(cannot)?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(ScenarioError::whole(
                &origin,
                "is a folder: give a scenario file (scenarios/*.yaml)",
            ));
        }
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(ScenarioError::whole(
                &origin,
                format!(
                    "the file is larger than {} MiB: a scenario file is a few KB of YAML \
                     (is this the right file?)",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            ));
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Source::from_bytes(bytes, &origin, &stem)
    }

    /// The file's bytes as UTF-8 text, as [`Source::read`] decodes them: a
    /// bad byte is an error at its line and column.
    pub fn from_bytes(bytes: Vec<u8>, origin: &str, stem: &str) -> Result<Source, ScenarioError> {
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            // Everything before the bad byte is valid, so this cannot fail.
            let before = std::str::from_utf8(valid).unwrap_or_default();
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            ScenarioError {
                line: Some(line),
                column: Some(column),
                ..ScenarioError::whole(origin, "the file is not UTF-8 text")
            }
        })?;
        Ok(Source {
            text,
            origin: origin.to_string(),
            stem: stem.to_string(),
        })
    }

    /// Resolves the scenario with `overrides` (`key=value` texts).
    pub fn load(&self, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        load_str(&self.text, &self.origin, &self.stem, overrides)
    }

    /// The file's `sweep` and `variants` blocks.
    pub fn study(&self) -> Result<study::Study, ScenarioError> {
        let mut doc = parse_document(&self.text, &self.origin)?;
        study::take(&mut doc, &self.text, &self.origin)
    }
}

/// Resolves scenario text; `origin` names it in errors and `default_name` is
/// used when it has no `name`.
pub fn load_str(
    text: &str,
    origin: &str,
    default_name: &str,
    overrides: &[String],
) -> Result<Scenario, ScenarioError> {
    let mut doc = parse_document(text, origin)?;
    // `sim sweep` and `sim compare` read these; a run checks and skips them.
    study::take(&mut doc, text, origin)?;
    let overrides = overrides
        .iter()
        .map(|o| overrides::parse(o))
        .collect::<Result<Vec<_>, _>>()?;
    for ov in &overrides {
        overrides::check_keys(ov)?;
    }
    let original = doc.clone();
    for ov in &overrides {
        overrides::apply(&mut doc, ov)?;
    }
    let place = |issue: Issue| place(issue, text, origin, &original, &overrides);
    let raw = raw::deserialize(doc).map_err(place)?;
    resolve::resolve(&raw, default_name).map_err(place)
}

/// Text -> YAML document that is a mapping, with `<<` merge keys applied so
/// files can share blocks through anchors.
fn parse_document(text: &str, origin: &str) -> Result<Value, ScenarioError> {
    let at_root = |message: String| {
        let pos = Locations::index(text).root();
        ScenarioError {
            line: pos.map(|p| p.0),
            column: pos.map(|p| p.1),
            ..ScenarioError::whole(origin, message)
        }
    };
    if let Some((line, column)) = too_deep(text) {
        return Err(ScenarioError {
            line: Some(line),
            column: Some(column),
            ..ScenarioError::whole(
                origin,
                format!(
                    "brackets nested more than {MAX_NESTING} deep: a scenario needs a few \
                     levels (the YAML parser would take minutes on this)"
                ),
            )
        });
    }
    let mut doc: Value = serde_yaml::from_str(text).map_err(|e| {
        // serde_yaml points at the mapping; the second occurrence helps more.
        if e.to_string().contains("duplicate entry with key")
            && let Some(dup) = Locations::index(text).duplicate()
        {
            let name = dup.path.rsplit('.').next().unwrap_or(&dup.path);
            return ScenarioError {
                line: Some(dup.at.0),
                column: Some(dup.at.1),
                key: Some(dup.path.clone()),
                ..ScenarioError::whole(
                    origin,
                    format!(
                        "duplicate key `{name}`, first given at line {}",
                        dup.first.0
                    ),
                )
            };
        }
        // serde_yaml gives no position for this one.
        if e.to_string().contains("more than one document")
            && let Some(at) = second_document_line(text)
                .map(|line| (line, 1))
                .or_else(|| Locations::index(text).second_document())
        {
            return ScenarioError {
                line: Some(at.0),
                column: Some(at.1),
                ..ScenarioError::whole(
                    origin,
                    "invalid YAML: a second document starts here, and a scenario file is one \
                     document (remove the `---`, or the top-level line before that is not `key: value`)",
                )
            };
        }
        // Nor for this one: aliases of aliases that would expand to too many
        // nodes (a "billion laughs"); the first alias is where to look.
        if e.to_string().contains("repetition limit exceeded") {
            let at = Locations::index(text).first_alias();
            return ScenarioError {
                line: at.map(|p| p.0),
                column: at.map(|p| p.1),
                ..ScenarioError::whole(
                    origin,
                    "the aliases (`*name`) expand to too many values, as a YAML bomb does: \
                     write the repeated blocks out, or use fewer levels of aliases",
                )
            };
        }
        // At the end of the text libyaml counts a line break the file may not
        // have: a line past the last one is shown at the end of the last. An
        // error without a position is about the document: shown at its start.
        let pos = e
            .location()
            .map(|l| (l.line(), l.column()).min(locate::end_of_text(text)))
            .or_else(|| Locations::index(text).root());
        ScenarioError {
            line: pos.map(|p| p.0),
            column: pos.map(|p| p.1),
            ..ScenarioError::whole(
                origin,
                format!("invalid YAML: {}", strip_location(&e.to_string())),
            )
        }
    })?;
    match &doc {
        Value::Mapping(_) => {}
        Value::Null => {
            return Err(ScenarioError::whole(
                origin,
                "the file is empty: expected a mapping of scenario keys, e.g. `name: my-scenario`",
            ));
        }
        other => {
            return Err(at_root(format!(
                "expected a mapping of scenario keys (like `name: my-scenario`), got {}",
                kind_of(other)
            )));
        }
    }
    doc.apply_merge().map_err(|e| {
        at_root(format!(
            "cannot apply `<<` merge keys: {}",
            strip_location(&e.to_string())
        ))
    })?;
    Ok(doc)
}

/// How deep `[` and `{` may nest. serde_yaml refuses more than 128 levels,
/// but only after libyaml has scanned the whole text, in time quadratic in
/// the depth: 3 million brackets took minutes. (yaml-rust2 is no help: in
/// a flow collection it reads to the end before its first event.)
pub(crate) const MAX_NESTING: usize = 100;

fn is_blank(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Length of `b` up to its first newline.
fn line_len(b: &[u8]) -> usize {
    b.iter().position(|&c| c == b'\n').unwrap_or(b.len())
}

/// Where flow collections (`[` and `{`) first nest deeper than
/// [`MAX_NESTING`], if they do: a linear scan that reads quotes, comments,
/// anchors, tags and block scalars as YAML does. Inside a flow collection
/// it follows YAML's rules (plain text there cannot hold brackets, and a
/// quote opens only where a node starts); outside one a quote ends with its
/// line and a bracket counts only where a value can start, so a quote
/// YAML does not open hides at most the rest of a line YAML reads as text.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let (mut line, mut column) = (1usize, 0usize);
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    // Where a node may start: a quote or a bracket here opens one.
    let mut node_start = true;
    // The indentation of the current line, and of the line that began the
    // block scalar under way.
    let mut indent = 0usize;
    let mut block: Option<usize> = None;
    let mut i = 0;
    let mut line_start = true;
    while i < b.len() {
        if line_start {
            line_start = false;
            let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
            let rest = &b[i + spaces..];
            let blank = rest.first().is_none_or(|&c| c == b'\n' || c == b'\r');
            if let Some(parent) = block {
                if blank || spaces > parent {
                    // Block scalar text: the whole line.
                    i += spaces + line_len(rest);
                    continue;
                }
                block = None;
            }
            indent = spaces;
            if depth == 0 {
                quote = None;
                node_start = true;
            }
            i += spaces;
            column += spaces;
            continue;
        }
        let c = b[i];
        i += 1;
        // Columns count characters: not the bytes after a first one.
        if c & 0xC0 != 0x80 {
            column += 1;
        }
        if c == b'\n' {
            (line, column, line_start) = (line + 1, 0, true);
            continue;
        }
        if let Some(q) = quote {
            if q == b'"' && c == b'\\' && b.get(i).is_some_and(|&n| n != b'\n') {
                i += 1; // The escaped character (a continuation byte at most).
                column += 1;
            } else if c == q {
                if q == b'\'' && b.get(i) == Some(&b'\'') {
                    i += 1; // '' is a quote inside.
                    column += 1;
                } else {
                    quote = None;
                    node_start = false;
                }
            }
            continue;
        }
        let prev_blank = i < 2 || is_blank(b[i - 2]);
        let next_blank = b.get(i).is_none_or(|&n| is_blank(n));
        match c {
            b' ' | b'\t' | b'\r' => {}
            b'#' if prev_blank => i += line_len(&b[i..]),
            b'"' | b'\'' if node_start => quote = Some(c),
            b'[' | b'{' if node_start || depth > 0 => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((line, column));
                }
                node_start = true;
            }
            b']' | b'}' if depth > 0 => {
                depth -= 1;
                node_start = false;
            }
            b',' if depth > 0 => node_start = true,
            b':' | b'?' if depth > 0 || next_blank => node_start = true,
            b'-' if depth == 0 && node_start && next_blank => {}
            b'&' | b'!' if node_start => {
                // An anchor or a tag: the node starts after it.
                let len = b[i..]
                    .iter()
                    .position(|&c| is_blank(c) || matches!(c, b',' | b'[' | b']' | b'{' | b'}'))
                    .unwrap_or(b.len() - i);
                i += len;
                column += len;
            }
            b'|' | b'>' if depth == 0 && node_start => {
                // A block scalar when only its indicators follow.
                let rest = &b[i..i + line_len(&b[i..])];
                let body = rest
                    .iter()
                    .position(|&c| c == b'#')
                    .map_or(rest, |p| &rest[..p]);
                if body
                    .iter()
                    .all(|&c| matches!(c, b'+' | b'-' | b' ' | b'\t' | b'\r' | b'0'..=b'9'))
                {
                    i += rest.len();
                    block = Some(indent);
                } else {
                    node_start = false;
                }
            }
            _ => node_start = false,
        }
    }
    None
}

/// The line on which libyaml (serde_yaml) starts a second document: the
/// end of the shortest run of whole lines it reads as two. yaml-rust2
/// (`Locations`) does not always agree where that is. A search in time
/// quadratic in the lines, only for this error and up to 10000 lines.
fn second_document_line(text: &str) -> Option<usize> {
    let mut end = 0;
    for (n, line) in text.split_inclusive('\n').enumerate().take(10_000) {
        end += line.len();
        if serde_yaml::from_str::<Value>(&text[..end])
            .is_err_and(|e| e.to_string().contains("more than one document"))
        {
            return Some(n + 1);
        }
    }
    None
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// Attributes an issue to the `--set` that wrote the value, else to the file
/// at the line and column of the key path.
fn place(
    issue: Issue,
    text: &str,
    origin: &str,
    original: &Value,
    overrides: &[Override],
) -> ScenarioError {
    // How much of the issue's path the file itself has: an override whose
    // path goes deeper along it created the node the issue is about.
    let in_file = (0..=issue.path.0.len())
        .rev()
        .find(|&n| value_at(original, &KeyPath(issue.path.0[..n].to_vec())).is_some())
        .unwrap_or(0);
    // The last override wins, as it did when they were applied.
    for ov in overrides.iter().rev() {
        let wrote_it = issue.path.starts_with(&ov.path);
        let shared = ov
            .path
            .0
            .iter()
            .zip(&issue.path.0)
            .take_while(|(a, b)| a == b)
            .count();
        let created_it = shared > in_file;
        if wrote_it || created_it {
            return ScenarioError {
                key: issue.path.display(),
                ..ScenarioError::whole(&ov.origin(), issue.message)
            };
        }
    }
    let pos = Locations::index(text).find(&issue.path, issue.anchor);
    ScenarioError {
        origin: origin.to_string(),
        line: pos.map(|p| p.0),
        column: pos.map(|p| p.1),
        key: issue.path.display(),
        message: issue.message,
    }
}

fn value_at<'v>(doc: &'v Value, path: &KeyPath) -> Option<&'v Value> {
    path.0.iter().try_fold(doc, |node, seg| match seg {
        Seg::Key(k) => node.as_mapping()?.get(k.as_str()),
        Seg::Index(i) => node.as_sequence()?.get(*i),
    })
}

/// Drops libyaml's " at line 3 column 5" (we report the position ourselves)
/// and " at position 12".
pub(crate) fn strip_location(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(" at ") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let skip = position_len(after);
        if skip == 0 {
            out.push_str(" at ");
        }
        rest = &after[skip..];
    }
    out.push_str(rest);
    out
}

/// Length of a leading "line N column M" or "position N", else 0.
fn position_len(s: &str) -> usize {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    if let Some(r) = s.strip_prefix("line ") {
        let n = digits(r);
        if n > 0
            && let Some(c) = r[n..].strip_prefix(" column ")
        {
            let m = digits(c);
            if m > 0 {
                return s.len() - c.len() + m;
            }
        }
    } else if let Some(r) = s.strip_prefix("position ") {
        let n = digits(r);
        if n > 0 {
            return s.len() - r.len() + n;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_location_removes_positions_and_keeps_the_words() {
        assert_eq!(
            strip_location(
                "did not find expected key at line 3 column 5, while parsing a block mapping at line 1 column 1"
            ),
            "did not find expected key, while parsing a block mapping"
        );
        assert_eq!(strip_location("bad at position 12"), "bad");
        assert_eq!(strip_location("look at this"), "look at this");
        assert_eq!(strip_location("at line x"), "at line x");
    }

    #[test]
    fn brackets_nested_too_deep_are_found_as_yaml_reads_them() {
        let deep = format!("a: {}1{}", "[".repeat(101), "]".repeat(101));
        assert_eq!(too_deep(&deep), Some((1, 104)));
        let ok = format!("a: {}1{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(too_deep(&ok), None);
        // Siblings do not add up.
        assert_eq!(too_deep(&"a: [[1], [2]]\n".repeat(1000)), None);
        // Brackets in quotes (escapes included), comments, block scalars
        // and plain text are text.
        let text = format!(
            "a: \"{o}\\\"{o}\"\nb: 'it''s {c}'\n# {o}\nc: |-\n  {o}\n\n  {o}\nd: x {o}\ne: [\"{o}\", '{o}', \"x\n {o}\"]",
            o = "[".repeat(200),
            c = "]".repeat(200)
        );
        assert_eq!(too_deep(&text), None);
        // A quote in plain text opens nothing: what follows counts.
        let stray = format!("note: -'\nb: {}", "[".repeat(101));
        assert_eq!(too_deep(&stray), Some((2, 3 + 101)));
        let plain = format!("note: x'\nb: [a'b, {}", "[".repeat(100));
        assert_eq!(too_deep(&plain), Some((2, 9 + 100)));
        // Closers in a quoted string close nothing; anchors and tags start
        // nodes.
        let hidden = format!("b: {}", "[ &x \"]]\", !t ']]', ".repeat(101));
        assert_eq!(too_deep(&hidden).map(|p| p.0), Some(1));
        let second_line = format!("a: 1\nb: {}", "{x: ".repeat(101));
        assert_eq!(too_deep(&second_line), Some((2, 4 + 4 * 100)));
    }

    #[test]
    fn a_syntax_error_at_the_end_points_into_the_file() {
        // libyaml places it on line 3, after a final line break the text
        // does not have (found by the loader fuzz target).
        let e = load_str("a: 1\nboot_t", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(7)), "{e}");
        assert_eq!(locate::end_of_text(""), (1, 1));
        assert_eq!(locate::end_of_text("a\r\nb\rc\u{2028}"), (4, 1));
    }

    #[test]
    fn a_second_document_is_an_error_at_its_start() {
        // Found by the loader fuzz target: this error had no position.
        let e = load_str("a: 1\n---\nb: 2\n", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("second document"), "{e}");
        // Without `---`: libyaml ends the first document after a top-level
        // scalar (tests/fuzz-regressions/second-document-after-a-scalar.yaml).
        let e = load_str("# c\nh\n# c\nname: x\n", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        // yaml-rust2 reads this as one document (found by the fuzz target).
        // libyaml: an empty block scalar, then `standby_azsr, |` on line 2.
        let e = load_str("|\nstandby_azsr, |\nstandby_azs: ", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn a_key_that_is_not_text_is_shown_at_that_key() {
        // Found by tests/properties.rs: at the top level this error had no
        // position (the mapping it is in is the root, never pointed at).
        let e = load_str("name: x\n0: 0\n", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(1)), "{e}");
        let e = load_str("workload:\n  rate: 5/s\n  [a]: 1\n", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!((e.line, e.column), (Some(3), Some(3)), "{e}");
        assert_eq!(e.key.as_deref(), Some("workload"));
        // An anchor on an empty key: yaml-rust2 takes the `:` into the
        // anchor's name and sees no mapping (found by the fuzz target).
        let e = load_str("&dropped: ", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        // A tag on an empty key that yaml-rust2 cannot read at all.
        let e = load_str("\n!metrics:+!bi.arstr : 0", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn a_missing_value_at_the_end_points_into_the_file() {
        // Found by the fuzz target and tests/properties.rs: yaml-rust2 marks
        // the empty value after the last line (2:1 here).
        let e = load_str("!x", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!((e.line, e.column), (Some(1), Some(3)), "{e}");
        let e = load_str("expect:\n  availability:", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn a_document_yaml_rust2_cannot_read_is_shown_at_its_first_line() {
        // Found by the fuzz target: a tag libyaml reads and yaml-rust2 does
        // not, so the root had no position.
        let e = load_str("# c\n\n  !(a:!\n", "x.yaml", "x", &[]).unwrap_err();
        assert_eq!((e.line, e.column), (Some(3), Some(3)), "{e}");
    }

    #[test]
    fn too_many_faults_are_an_error_at_the_first_one_too_many() {
        // Hand-written: 65536 overlapping crashes of one instance overflowed
        // its 16-bit fault counter in the engine (a panic with debug
        // assertions, a wrong run without).
        let mut y = String::from(
            "azs: [a]\nfaults:\n  - &f {at: 1s, kind: instance_crash, instance: a-1}\n",
        );
        y.push_str(&"  - *f\n".repeat(10_000));
        let e = load_str(&y, "x.yaml", "x", &[]).unwrap_err();
        assert_eq!(e.key.as_deref(), Some("faults[10000]"), "{e}");
        assert_eq!(e.line, Some(10_003), "{e}");
        assert!(e.message.contains("at most 10000 faults"), "{e}");
    }

    #[test]
    fn a_billion_laughs_is_an_error_at_the_first_alias() {
        // Hand-written: aliases of aliases, 10^10 values; serde_yaml stops
        // it without a position.
        let mut y = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let items = vec![format!("*a{}", i - 1); 10].join(", ");
            y.push_str(&format!("a{i}: &a{i} [{items}]\n"));
        }
        let e = load_str(&y, "x.yaml", "x", &[]).unwrap_err();
        assert_eq!((e.line, e.column), (Some(2), Some(10)), "{e}");
        assert!(e.message.contains("too many values"), "{e}");
    }

    #[test]
    fn value_at_walks_keys_and_indices() {
        let doc: Value = serde_yaml::from_str("faults: [{at: 1s}]").unwrap();
        let p = KeyPath::root().key("faults").index(0).key("at");
        assert_eq!(value_at(&doc, &p), Some(&Value::from("1s")));
        assert_eq!(
            value_at(&doc, &KeyPath::root().key("faults").index(1)),
            None
        );
    }
}
