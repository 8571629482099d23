//! Many runs of one study: a grid of parameter values (`sim sweep`) or a set
//! of designs (`sim compare`), each point run with the same seeds.
//!
//! A study is a [`Plan`]: points × seeds. Run `r` is point `r / seeds` with
//! seed index `r % seeds`, and its seed is `base_seed + seed index`, the same
//! at every point (common random numbers: a difference between points is
//! not the luck of different seeds), whatever the number of threads or
//! shards. Runs go to rayon; each finished run is appended to `runs.csv` at
//! once, and the files are rewritten in run order at the end, so they are
//! byte-identical for any `--jobs`, after `--resume`, and after `sim merge`.

pub mod charts;
pub mod html;
pub mod output;
pub mod progress;
pub mod stats;
pub mod text;

use std::collections::BTreeMap;
use std::hash::Hasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::metrics::NullSink;
use crate::model::simulate;
use crate::report::Summary;
use crate::scenario::{Scenario, ScenarioError, Source};

/// `sweep` (a parameter grid) or `compare` (designs side by side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Sweep,
    Compare,
}

/// One point of the study: a design and parameter values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// `interval=10s unhealthy_threshold=2`, or the design's name.
    pub label: String,
    /// One value per [`Plan::columns`].
    pub values: Vec<String>,
    /// The scenario file, as given.
    pub file: String,
    /// Its `--set` overrides, the command line's first.
    pub sets: Vec<String>,
}

/// Everything that decides the runs and their results (not `--jobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub kind: Kind,
    /// Names the output folder and the report.
    pub name: String,
    pub description: String,
    /// Column names of the points' values: `design` for a comparison, the
    /// swept keys for a sweep (`variant` first when the file has variants).
    pub columns: Vec<String>,
    pub points: Vec<Point>,
    pub seeds: u32,
    pub base_seed: u64,
    pub sim_version: String,
    /// FNV-1a of every point's resolved scenario: a study is only resumed
    /// or merged with the same scenarios (whatever their comments or paths).
    pub fingerprint: String,
}

/// A slice of the runs: `--shard K/N` runs those with index ≡ K−1 (mod N).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("expected K/N with 1 <= K <= N, like 2/8, got `{text}`");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let k: u32 = k.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    pub fn holds(self, run: usize) -> bool {
        run % self.n as usize == (self.k - 1) as usize
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// One run to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSpec {
    pub run: usize,
    pub point: usize,
    pub seed: u64,
}

impl Plan {
    pub fn total_runs(&self) -> usize {
        self.points.len() * self.seeds as usize
    }

    pub fn spec(&self, run: usize) -> RunSpec {
        let seeds = self.seeds as usize;
        RunSpec {
            run,
            point: run / seeds,
            seed: self.base_seed.wrapping_add((run % seeds) as u64),
        }
    }

    /// The command that repeats one run alone (quoted for a POSIX shell).
    pub fn repeat_command(&self, spec: &RunSpec) -> String {
        let p = &self.points[spec.point];
        let mut cmd = format!("sim run {}", shell_quote(&p.file));
        for set in &p.sets {
            cmd += &format!(" --set {}", shell_quote(set));
        }
        cmd + &format!(" --seed {}", spec.seed)
    }

    /// The same study: equal but for the paths the files were given by.
    pub fn same_study(&self, other: &Plan) -> bool {
        let strip = |p: &Plan| {
            let mut p = p.clone();
            for pt in &mut p.points {
                pt.file.clear();
            }
            p
        };
        strip(self) == strip(other)
    }
}

/// `text` as one word for a POSIX shell: bare when it is plain, else in
/// single quotes.
fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// How a metric is read: which way is better, if either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// A per-run figure of `runs.csv`.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    pub name: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    pub better: Option<Better>,
}

const fn metric(
    name: &'static str,
    title: &'static str,
    unit: &'static str,
    better: Option<Better>,
) -> Metric {
    Metric {
        name,
        title,
        unit,
        better,
    }
}

/// The figures of every run, in `runs.csv` column order.
pub const METRICS: [Metric; 14] = [
    metric("requests", "Requests", "requests", None),
    metric("availability", "Availability", "%", Some(Better::Higher)),
    metric(
        "recovered",
        "Runs where every fault recovered",
        "% of runs",
        Some(Better::Higher),
    ),
    metric(
        "failover_latency_s",
        "Failover latency",
        "s",
        Some(Better::Lower),
    ),
    metric(
        "time_to_detect_s",
        "Time to detect (alarm)",
        "s",
        Some(Better::Lower),
    ),
    metric(
        "dropped",
        "Dropped requests",
        "requests",
        Some(Better::Lower),
    ),
    metric("lost_writes", "Lost writes", "writes", Some(Better::Lower)),
    metric(
        "sessions_lost",
        "Sessions lost",
        "sessions",
        Some(Better::Lower),
    ),
    metric("p99_ms", "Latency p99", "ms", Some(Better::Lower)),
    metric(
        "instance_hours",
        "Instance-hours (cost)",
        "h",
        Some(Better::Lower),
    ),
    metric(
        "idle_standby_hours",
        "Idle standby hours",
        "h",
        Some(Better::Lower),
    ),
    // Later metrics are appended here: runs.csv's earlier columns keep
    // their places (verdict and event_hash stay the last two).
    metric(
        "write_conflicts",
        "Write conflicts",
        "writes",
        Some(Better::Lower),
    ),
    metric(
        "db_node_hours",
        "Database node-hours (cost)",
        "h",
        Some(Better::Lower),
    ),
    metric(
        "db_idle_standby_hours",
        "Idle database standby hours",
        "h",
        Some(Better::Lower),
    ),
];

/// Index of a metric in [`METRICS`] by name.
pub fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|m| m.name == name)
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub run: usize,
    pub point: usize,
    pub seed: u64,
    /// One per [`METRICS`]; `None` where undefined (no fault recovered, no
    /// alarm fired, no request succeeded).
    pub values: Vec<Option<f64>>,
    /// The worst fault verdict: `not_recovered` over `recovered` over
    /// `masked`; `none` without a started fault.
    pub verdict: String,
    pub event_hash: String,
}

fn verdict_rank(v: &str) -> u8 {
    match v {
        "not_recovered" => 4,
        "no_traffic" => 3,
        "recovered" => 2,
        "masked" => 1,
        _ => 0,
    }
}

/// Reads a run's figures off its summary.
pub fn row_of(spec: &RunSpec, sum: &Summary) -> Row {
    let started: Vec<_> = sum.faults.iter().filter(|f| f.started).collect();
    // A run's failover latency is its slowest fault's, and undefined when a
    // fault never recovered (averaging it in as a number would hide that).
    let latency = if started.iter().any(|f| f.failover_latency_s.is_none()) {
        None
    } else {
        started
            .iter()
            .filter_map(|f| f.failover_latency_s)
            .reduce(f64::max)
    };
    // Likewise the slowest detection by an alarm, undefined when a fault
    // that showed (not masked) raised none.
    let detect = if started
        .iter()
        .any(|f| !f.masked && f.time_to_detect_s.is_none())
    {
        None
    } else {
        started
            .iter()
            .filter_map(|f| f.time_to_detect_s)
            .reduce(f64::max)
    };
    let verdict = started
        .iter()
        .map(|f| f.verdict)
        .max_by_key(|v| verdict_rank(v))
        .unwrap_or("none");
    let count = |n: u64| Some(n as f64);
    Row {
        run: spec.run,
        point: spec.point,
        seed: spec.seed,
        values: vec![
            count(sum.requests.total),
            sum.availability.map(|a| a * 100.0),
            // 100 or 0, so that its mean over seeds is the share of runs.
            (!started.is_empty()).then(|| {
                if started.iter().any(|f| f.verdict == "not_recovered") {
                    0.0
                } else {
                    100.0
                }
            }),
            latency,
            detect,
            count(sum.requests.dropped.total),
            count(sum.database.as_ref().map_or(0, |d| d.lost_writes)),
            count(sum.sessions_lost),
            sum.latency_ms.as_ref().map(|l| l.p99),
            Some(sum.cost.instance_hours),
            Some(sum.cost.idle_standby_hours),
            count(sum.database.as_ref().map_or(0, |d| d.write_conflicts)),
            Some(sum.cost.db_node_hours),
            Some(sum.cost.db_idle_standby_hours),
        ],
        verdict: verdict.to_string(),
        event_hash: sum.event_hash.clone(),
    }
}

/// Set this to a seed to make the runs with that seed panic: the test hook
/// for a run that fails.
pub const PANIC_SEED_ENV: &str = "FAILOVER_SIM_TEST_PANIC_SEED";

/// Runs one point with one seed; a panic is caught and returned as text.
pub fn run_one(s: &Scenario, spec: &RunSpec) -> Result<Row, String> {
    let hook = std::env::var(PANIC_SEED_ENV).ok();
    let result = std::panic::catch_unwind(|| {
        if hook.is_some_and(|h| h.parse() == Ok(spec.seed)) {
            panic!("{PANIC_SEED_ENV} asked this run to fail");
        }
        let mut s = s.clone();
        s.seed = spec.seed;
        let out = simulate(&s, Box::new(NullSink), None);
        if !out.invariants.hold() {
            return Err(format!(
                "internal error: invariant failed: {}",
                out.invariants.violations.join("; ")
            ));
        }
        Ok(row_of(spec, &Summary::new(&s, &out)))
    });
    result.unwrap_or_else(|payload| {
        Err(payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the run panicked".into()))
    })
}

/// What became of one run.
#[derive(Debug)]
pub enum Outcome {
    Done(Row),
    Failed { spec: RunSpec, message: String },
}

/// Runs `todo` on `jobs` threads, calling `each` on this thread as every run
/// finishes (in finishing order). Once `stop` is set, no run starts; those
/// under way finish and are reported.
pub fn execute(
    plan: &Plan,
    scenarios: &[Scenario],
    todo: &[RunSpec],
    jobs: usize,
    stop: &AtomicBool,
    mut each: impl FnMut(Outcome),
) -> Result<(), String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| format!("cannot start {jobs} threads: {e}"))?;
    debug_assert_eq!(plan.points.len(), scenarios.len());
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            pool.install(|| {
                // One run per task: runs differ in length, and stealing
                // single runs keeps every thread busy to the end.
                todo.par_iter()
                    .with_max_len(1)
                    .for_each_with(tx, |tx, spec| {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        let outcome = match run_one(&scenarios[spec.point], spec) {
                            Ok(row) => Outcome::Done(row),
                            Err(message) => Outcome::Failed {
                                spec: *spec,
                                message,
                            },
                        };
                        // The receiver lives until every sender is gone.
                        let _ = tx.send(outcome);
                    });
            });
        });
        for outcome in rx {
            each(outcome);
        }
    });
    Ok(())
}

/// A study's command-line inputs.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub kind: Option<Kind>,
    /// Scenario files: one for a sweep; one with `variants` or several for a
    /// comparison.
    pub files: Vec<std::path::PathBuf>,
    /// `--set` on every point.
    pub sets: Vec<String>,
    /// `--param key=v1,v2` (replace the file's `sweep.params`).
    pub params: Vec<String>,
    pub seeds: Option<u32>,
    pub seed: Option<u64>,
}

/// Default runs per point.
pub const DEFAULT_SEEDS: u32 = 20;

/// A plan and its points' resolved scenarios.
pub struct Study {
    pub plan: Plan,
    pub scenarios: Vec<Scenario>,
}

/// `key=v1,v2,...`, splitting on commas outside brackets and quotes.
pub fn parse_param(text: &str) -> Result<crate::scenario::study::Param, String> {
    let (key, values) = text
        .split_once('=')
        .filter(|(k, v)| !k.trim().is_empty() && !v.trim().is_empty())
        .ok_or_else(|| {
            format!(
                "--param {text}: expected key=v1,v2,..., e.g. \
                 --param load_balancer.health_check.interval=5s,10s,30s"
            )
        })?;
    let mut out = Vec::new();
    let (mut depth, mut quote, mut cur) = (0i32, None, String::new());
    for c in values.chars() {
        match (c, quote) {
            // A quote opens a quoted value only where a YAML scalar starts
            // (an apostrophe inside `it's` is text).
            ('"' | '\'', None) if cur.trim().is_empty() => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('[' | '{', None) => depth += 1,
            (']' | '}', None) => depth -= 1,
            (',', None) if depth == 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if quote.is_some() || depth != 0 {
        return Err(format!("--param {text}: a quote or bracket is not closed"));
    }
    out.push(cur.trim().to_string());
    if out.iter().any(String::is_empty) {
        return Err(format!("--param {text}: a value between commas is empty"));
    }
    Ok(crate::scenario::study::Param {
        key: key.trim().to_string(),
        values: out,
    })
}

/// Column names of runs.csv that a swept key may not take.
const RESERVED: [&str; 6] = ["run", "point", "seed", "design", "variant", "verdict"];

/// Most seeds per point, and most runs in a study.
pub const MAX_SEEDS: u32 = 1_000_000;
pub const MAX_RUNS: usize = 10_000_000;

/// Resolves a request into a plan: every point's scenario is loaded and
/// checked before any run starts.
pub fn prepare(req: &Request) -> Result<Study, ScenarioError> {
    let kind = req.kind.unwrap_or(Kind::Sweep);
    let whole = |m: String| ScenarioError {
        origin: "command line".into(),
        line: None,
        column: None,
        key: None,
        message: m,
    };
    let sources = req
        .files
        .iter()
        .map(|f| Source::read(f))
        .collect::<Result<Vec<_>, _>>()?;
    let studies = sources
        .iter()
        .map(Source::study)
        .collect::<Result<Vec<_>, _>>()?;
    let first = sources
        .first()
        .ok_or_else(|| whole("no scenario file given".into()))?;
    // Designs: files, or the single file's variants.
    let designs: Vec<(String, &Source, Vec<String>)> = if sources.len() > 1 {
        let mut seen = BTreeMap::new();
        sources
            .iter()
            .map(|src| {
                let s = src.load(&req.sets)?;
                if let Some(other) = seen.insert(s.name.clone(), src.origin.clone()) {
                    return Err(whole(format!(
                        "{} and {other} are both named `{}`: give each design its own `name`",
                        src.origin, s.name
                    )));
                }
                Ok((s.name, src, Vec::new()))
            })
            .collect::<Result<_, _>>()?
    } else {
        studies[0]
            .variants
            .iter()
            .map(|v| (v.name.clone(), first, v.sets.clone()))
            .collect()
    };
    if kind == Kind::Compare && designs.len() < 2 {
        return Err(ScenarioError {
            key: Some("variants".into()),
            ..whole(format!(
                "nothing to compare: give two or more scenario files, or one with a \
                 `variants` block of two or more designs ({} has {})",
                first.origin,
                designs.len()
            ))
        });
    }
    let params = if !req.params.is_empty() {
        req.params
            .iter()
            .map(|p| parse_param(p))
            .collect::<Result<Vec<_>, _>>()
            .map_err(whole)?
    } else if kind == Kind::Sweep {
        studies[0].params.clone()
    } else {
        Vec::new()
    };
    for p in &params {
        if RESERVED.contains(&p.key.as_str()) || metric_index(&p.key).is_some() {
            return Err(whole(format!(
                "`{}` cannot be swept{}",
                p.key,
                if p.key == "seed" {
                    ": every point already runs seeds BASE.. BASE+N-1 (--seed, --seeds)"
                } else {
                    ": it names a column of runs.csv"
                }
            )));
        }
        if params.iter().filter(|q| q.key == p.key).count() > 1 {
            return Err(whole(format!("`{}` is swept twice", p.key)));
        }
    }
    let seeds = req.seeds.or(studies[0].seeds).unwrap_or(DEFAULT_SEEDS);
    if !(1..=MAX_SEEDS).contains(&seeds) {
        return Err(whole(format!(
            "--seeds must be at least 1 and at most {MAX_SEEDS}"
        )));
    }
    let mut columns = Vec::new();
    if !designs.is_empty() {
        columns.push(if kind == Kind::Compare || sources.len() > 1 {
            "design".to_string()
        } else {
            "variant".to_string()
        });
    }
    columns.extend(params.iter().map(|p| p.key.clone()));
    // The grid: designs outermost, then each parameter in order.
    let base: Vec<(Vec<String>, &Source, Vec<String>)> = if designs.is_empty() {
        vec![(Vec::new(), first, Vec::new())]
    } else {
        designs
            .into_iter()
            .map(|(name, src, sets)| (vec![name], src, sets))
            .collect()
    };
    let mut grid = base;
    for p in &params {
        grid = grid
            .into_iter()
            .flat_map(|(values, src, sets)| {
                p.values.iter().map(move |v| {
                    let mut values = values.clone();
                    values.push(v.clone());
                    let mut sets = sets.clone();
                    sets.push(format!("{}={v}", p.key));
                    (values, src, sets)
                })
            })
            .collect();
    }
    if grid.len().saturating_mul(seeds as usize) > MAX_RUNS {
        return Err(whole(format!(
            "{} points x {seeds} seeds is more than {MAX_RUNS} runs: \
             split the study (fewer values per --param, or fewer seeds)",
            grid.len()
        )));
    }
    let mut points = Vec::with_capacity(grid.len());
    let mut scenarios = Vec::with_capacity(grid.len());
    for (values, src, own) in grid {
        let mut sets = req.sets.clone();
        sets.extend(own);
        let label = if values.is_empty() {
            "all".to_string()
        } else {
            columns
                .iter()
                .zip(&values)
                .map(|(c, v)| match c.as_str() {
                    "design" | "variant" => v.clone(),
                    _ => format!("{}={v}", c.rsplit('.').next().unwrap_or(c)),
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let s = src.load(&sets).map_err(|e| ScenarioError {
            message: format!("{} (at point `{label}`)", e.message),
            ..e
        })?;
        points.push(Point {
            label,
            values,
            file: src.origin.clone(),
            sets,
        });
        scenarios.push(s);
    }
    let base_seed = req.seed.unwrap_or(scenarios[0].seed);
    // The study is what runs, not how the files are written: the resolved
    // scenario of every point (comments, layout and paths do not count).
    let mut hash = fnv::FnvHasher::default();
    for s in &scenarios {
        let mut s = s.clone();
        s.seed = 0;
        hash.write(format!("{s:?}").as_bytes());
        hash.write_u8(0);
    }
    let name = match (kind, sources.len()) {
        (Kind::Compare, n) if n > 1 => scenarios
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join("-vs-"),
        _ => first.stem.clone(),
    };
    let plan = Plan {
        kind,
        name,
        description: scenarios[0].description.clone(),
        columns,
        points,
        seeds,
        base_seed,
        sim_version: env!("CARGO_PKG_VERSION").to_string(),
        fingerprint: format!("{:016x}", hash.finish()),
    };
    Ok(Study { plan, scenarios })
}

/// A metric's number for people: availability (percent) with 4
/// decimals, seconds and hours with 2, milliseconds, shares of runs and
/// mean counts with 1.
pub fn number(metric: usize, v: f64) -> String {
    match METRICS[metric].unit {
        "%" => format!("{v:.4}"),
        "s" | "h" => format!("{v:.2}"),
        _ if v.fract() == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    }
}

/// `text` (a number or `mean [low, high]`) followed by the metric's unit.
fn with_unit(metric: usize, text: String) -> String {
    match METRICS[metric].unit {
        "%" => format!("{text}%"),
        "s" | "h" | "ms" => format!("{text} {}", METRICS[metric].unit),
        "% of runs" => format!("{text}% of runs"),
        _ => text,
    }
}

/// The number with its unit: `99.9722%`, `57.10 s`, `4.50 h`, `12.5`.
pub fn show(metric: usize, v: f64) -> String {
    with_unit(metric, number(metric, v))
}

/// The number with a sign: `+1.50`, `-0.20`, `+0` (for differences).
pub fn signed(metric: usize, v: f64) -> String {
    let n = number(metric, v);
    if n.starts_with('-') {
        n
    } else {
        format!("+{n}")
    }
}

/// `mean [low, high]` without the unit, or the mean alone below two values.
pub fn number_ci(metric: usize, s: &stats::Stats) -> String {
    match s.ci {
        Some((lo, hi)) => format!(
            "{} [{}, {}]",
            number(metric, s.mean),
            number(metric, lo),
            number(metric, hi)
        ),
        None => number(metric, s.mean),
    }
}

/// `mean [low, high]` with the unit.
pub fn show_ci(metric: usize, s: &stats::Stats) -> String {
    with_unit(metric, number_ci(metric, s))
}

impl Study {
    /// One point, `seeds` runs of a resolved scenario (`sim bench --sweep`).
    pub fn of(s: Scenario, origin: &str, seeds: u32) -> Study {
        let plan = Plan {
            kind: Kind::Sweep,
            name: s.name.clone(),
            description: s.description.clone(),
            columns: Vec::new(),
            points: vec![Point {
                label: "all".into(),
                values: Vec::new(),
                file: origin.to_string(),
                sets: Vec::new(),
            }],
            seeds,
            base_seed: s.seed,
            sim_version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint: String::new(),
        };
        Study {
            plan,
            scenarios: vec![s],
        }
    }
}
