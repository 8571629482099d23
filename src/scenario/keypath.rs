//! Dotted key paths (`faults[0].az`): the one vocabulary shared by the
//! deserializer, the validator, the location index and `--set`, so an error
//! found by any of them can be matched to a line in the file or to an override.

use std::fmt;

/// One step into the document: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// A path from the document root; empty means the root itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyPath(pub(crate) Vec<Seg>);

impl KeyPath {
    pub(crate) fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub(crate) fn key(&self, name: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(name.to_string()));
        KeyPath(segs)
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        KeyPath(segs)
    }

    pub(crate) fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn parent(&self) -> Option<Self> {
        let (_, init) = self.0.split_last()?;
        Some(KeyPath(init.to_vec()))
    }

    pub(crate) fn starts_with(&self, prefix: &KeyPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// `Some("workload.rate")`, or `None` for the root (no key to name).
    pub(crate) fn display(&self) -> Option<String> {
        (!self.is_root()).then(|| self.to_string())
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl From<&serde_path_to_error::Path> for KeyPath {
    fn from(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment;
        KeyPath(
            path.iter()
                .map(|seg| match seg {
                    Segment::Seq { index } => Seg::Index(*index),
                    Segment::Map { key } => Seg::Key(key.clone()),
                    Segment::Enum { variant } => Seg::Key(variant.clone()),
                    // A non-string mapping key: no name to give, `?` keeps the depth.
                    Segment::Unknown => Seg::Key("?".to_string()),
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_keys_with_dots_and_indices_with_brackets() {
        let p = KeyPath::root().key("faults").index(2).key("az");
        assert_eq!(p.to_string(), "faults[2].az");
        assert_eq!(KeyPath::root().display(), None);
    }

    #[test]
    fn prefix_and_parent_follow_segments_not_text() {
        let p = KeyPath::root().key("app").key("workers");
        assert!(p.starts_with(&KeyPath::root().key("app")));
        assert!(
            !KeyPath::root()
                .key("ap")
                .starts_with(&KeyPath::root().key("app"))
        );
        assert_eq!(p.parent(), Some(KeyPath::root().key("app")));
        assert_eq!(KeyPath::root().parent(), None);
    }
}
