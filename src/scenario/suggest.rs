//! "Did you mean" for misspelt keys and values.

/// The candidate closest to `input`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // Cargo's rule of thumb: a third of the length in edits, at least one;
    // beyond that a suggestion is more often confusing than helpful.
    let limit = (input.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(input, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// "; did you mean `rate`?" or nothing.
pub(crate) fn hint(input: &str, candidates: &[&str]) -> String {
    did_you_mean(input, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

/// "`a`, `b`, `c`", for listing what was expected.
pub(crate) fn list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_close_candidate() {
        let keys = ["rate", "arrival", "timeout", "retries"];
        assert_eq!(did_you_mean("rat", &keys), Some("rate"));
        assert_eq!(did_you_mean("timout", &keys), Some("timeout"));
        assert_eq!(did_you_mean("retires", &keys), Some("retries"));
    }

    #[test]
    fn stays_silent_when_nothing_is_close() {
        assert_eq!(did_you_mean("colour", &["rate", "arrival"]), None);
        assert_eq!(hint("zzz", &["rate"]), "");
    }

    #[test]
    fn lists_in_backticks() {
        assert_eq!(list(&["a", "b"]), "`a`, `b`");
    }
}
