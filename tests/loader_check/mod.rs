//! The checks of the `loader` fuzz target, shared with `tests/properties.rs`
//! (generated inputs and the replay of `tests/fuzz-regressions/`): one code
//! path, so a crash the fuzzer found is replayed exactly as it was found.
//!
//! The fuzz target includes this file with `#[path]`; it only uses the
//! library's public API.
//!
//! An input is bytes: the scenario file up to the first NUL byte, then each
//! NUL-separated piece is one `--set` argument (at most [`MAX_SETS`]).
//! [`check_input`] panics when a property fails:
//!
//! - nothing panics (loader, `sweep`/`variants`/`expect` blocks, the
//!   expectations' compiler, a short simulation of what loads);
//! - every error names a place ([`place_problem`]);
//! - a simulated run keeps its invariants and conserves requests.

#![allow(dead_code)]

use failover_sim::engine::NANOS_PER_SEC;
use failover_sim::metrics::NullSink;
use failover_sim::scenario::{Scenario, Source};
use failover_sim::{ScenarioError, Summary, check, simulate};

/// The origin the scenario text is given, as a file path would be.
pub const ORIGIN: &str = "fuzz.yaml";
/// `--set` arguments taken from one input.
pub const MAX_SETS: usize = 4;
/// A loaded scenario is simulated for at most this long.
pub const SIM_CAP: u64 = NANOS_PER_SEC;

/// Splits an input into the file's bytes and its `--set` arguments.
pub fn split(data: &[u8]) -> (&[u8], Vec<String>) {
    let mut parts = data.split(|&b| b == 0);
    let file = parts.next().unwrap_or_default();
    // Command-line arguments reach the loader as Rust strings.
    let sets = parts
        .take(MAX_SETS)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    (file, sets)
}

/// Why `e` does not name a place, if it does not: a file error needs a line
/// or a key path (the line within the file), a `--set` error must name one
/// of the `--set` arguments given; the message must say something, on one
/// line.
pub fn place_problem(e: &ScenarioError, text: Option<&str>, sets: &[String]) -> Option<String> {
    let shown = e.to_string();
    if e.message.trim().is_empty() {
        return Some(format!("empty message: {shown:?}"));
    }
    if shown.contains(['\n', '\r']) {
        return Some(format!("the error is not one line: {shown:?}"));
    }
    if let Some(set) = e.origin.strip_prefix("--set ") {
        if !sets.iter().any(|s| s == set) {
            return Some(format!("names a --set that was not given: {shown:?}"));
        }
        return None;
    }
    if e.origin != ORIGIN {
        return Some(format!("unknown origin: {shown:?}"));
    }
    if e.line.is_none() && e.key.is_none() {
        // The one error about the whole file: there is no line to name.
        if e.message.starts_with("the file is empty") {
            return None;
        }
        return Some(format!("a file error without a line or key: {shown:?}"));
    }
    if let (Some(line), Some(text)) = (e.line, text) {
        // Lines as YAML breaks them: `\r\n`, `\r`, `\n`, NEL, LS, PS.
        let lines = text
            .replace("\r\n", "\n")
            .matches(['\r', '\n', '\u{85}', '\u{2028}', '\u{2029}'])
            .count()
            + 1;
        if line == 0 || line > lines {
            return Some(format!("line {line} of a {lines}-line file: {shown:?}"));
        }
    }
    if e.column == Some(0) {
        return Some(format!("column 0 (columns are 1-based): {shown:?}"));
    }
    None
}

/// Panics unless `e` names a place.
pub fn assert_place(e: &ScenarioError, text: Option<&str>, sets: &[String]) {
    if let Some(problem) = place_problem(e, text, sets) {
        panic!("{problem}");
    }
}

/// Runs every check on one input; panics when a property fails.
pub fn check_input(data: &[u8]) {
    let (file, sets) = split(data);
    check_parts(file, &sets);
}

/// [`check_input`] on a file's bytes and `--set` arguments.
pub fn check_parts(file: &[u8], sets: &[String]) {
    let src = match Source::from_bytes(file.to_vec(), ORIGIN, "fuzz") {
        Ok(src) => src,
        Err(e) => return assert_place(&e, None, &[]),
    };
    let text = Some(src.text.as_str());
    let study = match src.study() {
        Ok(study) => {
            if let Err(e) = check::compile(&study, ORIGIN) {
                assert_place(&e, text, &[]);
            }
            Some(study)
        }
        Err(e) => {
            assert_place(&e, text, &[]);
            None
        }
    };
    match src.load(sets) {
        Ok(s) => simulate_small(s),
        Err(e) => assert_place(&e, text, sets),
    }
    // What `sim compare` and `sim sweep` load: each variant's overrides,
    // and each swept value as a `--set` (a few of each).
    let Some(study) = study else { return };
    let mut loads: Vec<Vec<String>> = study
        .variants
        .iter()
        .take(3)
        .map(|v| v.sets.clone())
        .collect();
    for p in study.params.iter().take(3) {
        for v in p.values.iter().take(2) {
            loads.push(vec![format!("{}={v}", p.key)]);
        }
    }
    for sets in loads {
        if let Err(e) = src.load(&sets) {
            assert_place(&e, text, &sets);
        }
    }
}

/// Simulates a loaded scenario for at most [`SIM_CAP`] when that is cheap,
/// so weird but valid values reach the engine; checks its invariants.
pub fn simulate_small(mut s: Scenario) {
    s.duration = s.duration.min(SIM_CAP);
    if s.warmup >= s.duration {
        s.warmup = 0;
    }
    if !cheap(&s) {
        return;
    }
    let out = simulate(&s, Box::new(NullSink), None);
    assert!(
        out.invariants.hold(),
        "invariants failed: {:?}",
        out.invariants.violations
    );
    let summary = Summary::new(&s, &out);
    let r = &summary.requests;
    assert_eq!(
        r.total,
        r.succeeded + r.dropped.total + r.in_flight,
        "conservation: issued = succeeded + dropped + in flight"
    );
}

/// Whether a run of `s` (already capped) stays within a few thousand events
/// per periodic process: the fuzzer must run many inputs a second.
pub fn cheap(s: &Scenario) -> bool {
    let secs = s.duration as f64 / NANOS_PER_SEC as f64;
    let w = &s.workload;
    let requests = w.pattern.peak(w.rate) * secs;
    let attempts = requests * (f64::from(w.retries) + 1.0) * (f64::from(w.queries) + 1.0);
    let instances = s.max_instances() as f64;
    // Occurrences of a process with this period over the run.
    let ticks = |period: u64| s.duration as f64 / period.max(1) as f64;
    let mut periodic = vec![ticks(s.monitoring.scrape_interval)];
    periodic.push(ticks(s.monitoring.evaluation_interval));
    if let Some(hc) = &s.load_balancer.health_check {
        periodic.push(ticks(hc.interval) * instances);
    }
    if let Some(f) = &s.app.failures {
        periodic.push(ticks(f.mtbf.min(f.mttr)) * instances);
    }
    if let Some(a) = &s.autoscaling {
        periodic.push(ticks(a.metric_period));
        periodic.push(ticks(a.status_check_interval) * instances);
    }
    if let Some(d) = &s.dns {
        periodic.push(ticks(d.interval));
    }
    if let Some(db) = &s.database
        && let Some(f) = &db.failures
    {
        periodic.push(ticks(f.mtbf.min(f.mttr)) * 4.0);
    }
    for kv in [s.cache.as_ref().map(|c| &c.store), s.session_store.as_ref()]
        .into_iter()
        .flatten()
    {
        if let Some(f) = &kv.failures {
            periodic.push(ticks(f.mtbf.min(f.mttr)) * 2.0);
        }
    }
    let slots = instances * f64::from(s.app.workers);
    let db_slots = s.database.as_ref().map_or(0.0, |db| {
        f64::from(db.workers) * (3.0 + f64::from(db.read_replicas) + f64::from(db.writers))
    });
    attempts <= 2_000.0
        && instances <= 200.0
        && slots <= 50_000.0
        && db_slots <= 50_000.0
        && periodic.iter().all(|&n| n <= 2_000.0)
}
