//! Key path -> line and column. serde_yaml's `Value` forgets positions, so we
//! walk yaml-rust2's marked events once and remember where each key and each
//! value starts.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::error::Anchor;
use super::keypath::KeyPath;

/// 1-based line and column.
pub(crate) type Pos = (usize, usize);

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    key: Option<Pos>,
    value: Option<Pos>,
}

/// Where every key and value of the first document starts, by key path.
#[derive(Debug, Default)]
pub(crate) struct Locations {
    entries: HashMap<String, Entry>,
    duplicate: Option<Duplicate>,
    second_document: Option<Pos>,
    /// The first key that is not text (`1:`, `[a]:`) of each mapping.
    odd_keys: HashMap<String, Pos>,
    /// Just after the last character: yaml-rust2 marks an empty value at
    /// the end of the text on a line past the last, shown here instead.
    end: Pos,
    first_content: Option<Pos>,
    first_alias: Option<Pos>,
}

/// A key written twice in one mapping: where, and where it first was.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Duplicate {
    pub(crate) path: String,
    pub(crate) at: Pos,
    pub(crate) first: Pos,
}

impl Locations {
    /// Indexes `text`; a part the parser cannot read is simply not indexed
    /// (syntax errors are reported by serde_yaml, with their own position).
    pub(crate) fn index(text: &str) -> Self {
        let mut indexer = Indexer::default();
        let mut parser = Parser::new_from_str(text);
        // Every document, to see where a second one starts (the indexer
        // ignores what is in it). Where libyaml sees a second document
        // without `---`, yaml-rust2 stops with an error there instead.
        if let Err(e) = parser.load(&mut indexer, true)
            && indexer.documents <= 1
        {
            indexer.second_document.get_or_insert(pos(e.marker()));
        }
        Locations {
            entries: indexer.entries,
            duplicate: indexer.duplicate,
            second_document: indexer.second_document,
            odd_keys: indexer.odd_keys,
            end: end_of_text(text),
            first_content: first_content(text),
            first_alias: indexer.first_alias,
        }
    }

    /// The first key written twice in the same mapping, if any.
    pub(crate) fn duplicate(&self) -> Option<&Duplicate> {
        self.duplicate.as_ref()
    }

    /// Where a second YAML document starts, if the text has one (or where
    /// the parser stopped reading the first).
    pub(crate) fn second_document(&self) -> Option<Pos> {
        self.second_document.map(|p| p.min(self.end))
    }

    /// The first alias (`*name`) of the document.
    pub(crate) fn first_alias(&self) -> Option<Pos> {
        self.first_alias
    }

    /// Position of the document's top-level node; when yaml-rust2 cannot
    /// read it (it parses some tags and anchors otherwise than libyaml),
    /// the text's first line that is not blank or a comment.
    pub(crate) fn root(&self) -> Option<Pos> {
        self.entries
            .get("")
            .and_then(|e| e.value)
            .map(|p| p.min(self.end))
            .or(self.first_content)
    }

    /// Position of the key or value at `path`, else of its nearest ancestor
    /// that is in the file (a missing key is best shown at its parent), never
    /// the root: pointing at line 1 for a default would mislead.
    pub(crate) fn find(&self, path: &KeyPath, anchor: Anchor) -> Option<Pos> {
        self.find_in_text(path, anchor).map(|p| p.min(self.end))
    }

    fn find_in_text(&self, path: &KeyPath, anchor: Anchor) -> Option<Pos> {
        if anchor == Anchor::OddKey {
            if let Some(&pos) = self.odd_keys.get(&path.to_string()) {
                return Some(pos);
            }
            // yaml-rust2 read the key otherwise than libyaml (`&a: 1` is an
            // anchor `a:` to it): the mapping is the place, even the root.
            if path.is_root() {
                return self.root();
            }
        }
        let mut at = Some(path.clone());
        let mut exact = true;
        while let Some(p) = at.filter(|p| !p.is_root()) {
            if let Some(e) = self.entries.get(&p.to_string()) {
                // An ancestor's own key line reads best ("in `workload:`").
                let pos = match (anchor, exact) {
                    (Anchor::Key, true) | (_, false) => e.key.or(e.value),
                    (Anchor::Value | Anchor::OddKey, true) => e.value.or(e.key),
                };
                if pos.is_some() {
                    return pos;
                }
            }
            exact = false;
            at = p.parent();
        }
        None
    }
}

#[derive(Debug)]
enum MapState {
    ExpectKey,
    /// The next node is the value of this key (`None`: a complex key).
    ExpectValue(Option<String>),
    /// A mapping or sequence used as a key is being read.
    InComplexKey,
}

#[derive(Debug)]
enum Frame {
    Map {
        path: Option<String>,
        state: MapState,
    },
    Seq {
        path: Option<String>,
        next: usize,
    },
}

#[derive(Debug, Default)]
struct Indexer {
    frames: Vec<Frame>,
    entries: HashMap<String, Entry>,
    duplicate: Option<Duplicate>,
    documents: usize,
    second_document: Option<Pos>,
    odd_keys: HashMap<String, Pos>,
    first_alias: Option<Pos>,
}

fn pos(mark: &Marker) -> Pos {
    // yaml-rust2 lines are 1-based, columns 0-based.
    (mark.line(), mark.col() + 1)
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// What a node that just started is to its parent.
enum Role {
    /// A value (or list item) at this path; `None` when it cannot be named.
    Value(Option<String>),
    /// A mapping key; containers used as keys are never indexed.
    Key,
}

impl Indexer {
    /// `text_key`: whether the node, if it is a key, is text to serde.
    fn node_start(&mut self, mark: &Marker, scalar: Option<&str>, text_key: bool) -> Role {
        let here = pos(mark);
        let role = match self.frames.last_mut() {
            None => Role::Value(Some(String::new())),
            Some(Frame::Seq { path, next }) => {
                let p = path.as_ref().map(|p| format!("{p}[{next}]"));
                *next += 1;
                Role::Value(p)
            }
            Some(Frame::Map { path, state }) => match state {
                MapState::ExpectKey => {
                    if (scalar.is_none() || !text_key)
                        && let Some(p) = path.as_ref()
                    {
                        self.odd_keys.entry(p.clone()).or_insert(here);
                    }
                    match scalar {
                        Some(key) => {
                            // A block mapping's start event is marked at its
                            // first `:`; its first key is where a reader looks.
                            if let Some(map) = path.as_ref().and_then(|p| self.entries.get_mut(p)) {
                                map.value = map.value.map(|v| v.min(here)).or(Some(here));
                            }
                            if let Some(p) = path.as_ref().map(|p| join(p, key)) {
                                let entry = self.entries.entry(p.clone()).or_default();
                                match entry.key {
                                    Some(first) if self.duplicate.is_none() => {
                                        self.duplicate = Some(Duplicate {
                                            path: p,
                                            at: here,
                                            first,
                                        });
                                    }
                                    _ => {
                                        entry.key.get_or_insert(here);
                                    }
                                }
                            }
                            *state = MapState::ExpectValue(Some(key.to_string()));
                        }
                        None => *state = MapState::InComplexKey,
                    }
                    Role::Key
                }
                MapState::ExpectValue(key) => {
                    let p = path.as_ref().zip(key.as_ref()).map(|(p, k)| join(p, k));
                    *state = MapState::ExpectKey;
                    Role::Value(p)
                }
                // The complex key's own frame is on top while it is read.
                MapState::InComplexKey => Role::Value(None),
            },
        };
        if let Role::Value(Some(p)) = &role {
            self.entries
                .entry(p.clone())
                .or_default()
                .value
                .get_or_insert(here);
        }
        role
    }

    fn container_start(&mut self, mark: &Marker, map: bool) {
        let path = match self.node_start(mark, None, false) {
            Role::Value(p) => p,
            Role::Key => None,
        };
        self.frames.push(if map {
            Frame::Map {
                path,
                state: MapState::ExpectKey,
            }
        } else {
            Frame::Seq { path, next: 0 }
        });
    }

    fn container_end(&mut self) {
        self.frames.pop();
        if let Some(Frame::Map { state, .. }) = self.frames.last_mut()
            && matches!(state, MapState::InComplexKey)
        {
            *state = MapState::ExpectValue(None);
        }
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        // Only one document is a scenario; serde_yaml rejects the others.
        if self.documents > 1 {
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.second_document = Some(pos(&mark));
                }
            }
            Event::Scalar(text, style, ..) => {
                let text_key = style != TScalarStyle::Plain || plain_text(&text);
                self.node_start(&mark, Some(&text), text_key);
            }
            Event::Alias(_) => {
                self.first_alias.get_or_insert(pos(&mark));
                self.node_start(&mark, Some(""), true);
            }
            Event::MappingStart(..) => self.container_start(&mark, true),
            Event::SequenceStart(..) => self.container_start(&mark, false),
            Event::MappingEnd | Event::SequenceEnd => self.container_end(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

/// Whether serde_yaml reads a plain scalar as text (not a number, a
/// boolean or null); only what may be one is parsed to find out.
fn plain_text(text: &str) -> bool {
    let maybe_not = text.is_empty()
        || text.starts_with(|c: char| c.is_ascii_digit() || "+-.~".contains(c))
        || ["true", "false", "null"].contains(&text.to_ascii_lowercase().as_str());
    !maybe_not || matches!(serde_yaml::from_str(text), Ok(serde_yaml::Value::String(_)))
}

/// (line, column) just after the last character, lines broken as YAML
/// breaks them (`\r\n`, `\r`, `\n`, and NEL, LS and PS as libyaml does).
pub(crate) fn end_of_text(text: &str) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// The first character of the text that is not blank or in a comment.
fn first_content(text: &str) -> Option<Pos> {
    text.lines().enumerate().find_map(|(n, line)| {
        let blank = line.chars().take_while(|c| c.is_whitespace()).count();
        let rest = line.trim_start();
        (!rest.is_empty() && !rest.starts_with('#')).then_some((n + 1, blank + 1))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(segs: &[&str]) -> KeyPath {
        let mut p = KeyPath::root();
        for s in segs {
            p = match s.parse::<usize>() {
                Ok(i) => p.index(i),
                Err(_) => p.key(s),
            };
        }
        p
    }

    const DOC: &str = "\
name: x
workload:
  rate: 5/s
  timeout:   2s
faults:
  - { at: 10m, kind: az_outage }
  - at: 5m
    kind: instance_crash
azs: [a, b]
";

    #[test]
    fn finds_keys_and_values_in_block_and_flow_style() {
        let loc = Locations::index(DOC);
        assert_eq!(
            loc.find(&path(&["workload", "rate"]), Anchor::Key),
            Some((3, 3))
        );
        assert_eq!(
            loc.find(&path(&["workload", "timeout"]), Anchor::Value),
            Some((4, 14))
        );
        assert_eq!(
            loc.find(&path(&["faults", "0", "kind"]), Anchor::Value),
            Some((6, 22))
        );
        assert_eq!(
            loc.find(&path(&["faults", "1", "kind"]), Anchor::Key),
            Some((8, 5))
        );
        assert_eq!(loc.find(&path(&["azs", "1"]), Anchor::Value), Some((9, 10)));
    }

    #[test]
    fn a_block_mapping_starts_at_its_first_key() {
        let loc = Locations::index(DOC);
        assert_eq!(
            loc.find(&path(&["faults", "1"]), Anchor::Value),
            Some((7, 5))
        );
        assert_eq!(loc.root(), Some((1, 1)));
    }

    #[test]
    fn missing_key_falls_back_to_its_parents_key() {
        let loc = Locations::index(DOC);
        assert_eq!(
            loc.find(&path(&["workload", "retries"]), Anchor::Value),
            Some((2, 1))
        );
        assert_eq!(loc.find(&path(&["metrics", "bucket"]), Anchor::Value), None);
    }

    #[test]
    fn duplicate_keys_are_found_with_both_positions() {
        let loc = Locations::index("seed: 1\nworkload:\n  rate: 1\n  rate: 2\n");
        let dup = loc.duplicate().unwrap();
        assert_eq!(
            (dup.path.as_str(), dup.at, dup.first),
            ("workload.rate", (4, 3), (3, 3))
        );
        assert!(Locations::index("a: 1\nb: 2\n").duplicate().is_none());
    }

    #[test]
    fn complex_keys_and_garbage_do_not_break_the_index() {
        let loc = Locations::index("? [a, b]\n: 1\nseed: 2\n");
        assert_eq!(loc.find(&path(&["seed"]), Anchor::Key), Some((3, 1)));
        let loc = Locations::index("a: [\nb: }");
        assert_eq!(loc.find(&path(&["a"]), Anchor::Key), Some((1, 1)));
    }
}
