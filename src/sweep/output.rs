//! A study's folder: `plan.json`, `runs.csv` (appended as runs finish),
//! and, once the runs are done or stopped, `points.csv`, `compare.csv`,
//! the charts and the HTML report, all rebuilt from `runs.csv` in run order.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::stats::Stats;
use super::{Better, Kind, METRICS, Plan, Row, RunSpec, Shard};
use crate::report::write_file;

pub const PLAN: &str = "plan.json";
pub const RUNS: &str = "runs.csv";
pub const POINTS: &str = "points.csv";
pub const COMPARE: &str = "compare.csv";
pub const FAILED: &str = "failed.csv";
pub const CHARTS: &str = "charts";
pub const LOCK: &str = ".lock";

/// The report's file name.
pub fn report_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Sweep => "sweep.html",
        Kind::Compare => "compare.html",
    }
}

/// `plan.json`: the plan and which slice of it this folder holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    pub plan: Plan,
    pub shard: Option<Shard>,
}

/// What to do with a folder that already holds a study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Refuse.
    Keep,
    /// Continue it (it must be the same plan and shard).
    Resume,
    /// Delete its files and start over.
    Replace,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

/// `runs.csv`'s header.
pub fn header(plan: &Plan) -> Vec<String> {
    let mut h = vec!["run".to_string(), "point".to_string()];
    h.extend(plan.columns.iter().cloned());
    h.push("seed".into());
    h.extend(METRICS.iter().map(|m| m.name.to_string()));
    h.push("verdict".into());
    h.push("event_hash".into());
    h
}

fn num(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

fn csv_line(fields: &[String]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).expect("writing to memory");
    w.into_inner().expect("writing to memory")
}

/// One `runs.csv` line.
pub fn line(plan: &Plan, row: &Row) -> Vec<u8> {
    let mut f = vec![row.run.to_string(), row.point.to_string()];
    f.extend(plan.points[row.point].values.iter().cloned());
    f.push(row.seed.to_string());
    f.extend(row.values.iter().map(|&v| num(v)));
    f.push(row.verdict.clone());
    f.push(row.event_hash.clone());
    csv_line(&f)
}

/// `runs.csv` as read back.
#[derive(Debug, Default)]
pub struct ReadRuns {
    pub rows: BTreeMap<usize, Row>,
    /// Lines that could not be read (cut short, garbled): those runs are
    /// simply not done.
    pub skipped: usize,
}

/// Reads `runs.csv`, checking each row against the plan. A line that cannot
/// be read (a kill mid-write, a garbled byte) is skipped and its run counts
/// as not done; a header of another study is an error.
pub fn read_runs(path: &Path, plan: &Plan) -> Result<ReadRuns, String> {
    let bytes = fs::read(path).map_err(|e| io_err(path, e))?;
    let mut out = ReadRuns::default();
    let want = header(plan);
    let c = plan.columns.len();
    for (i, raw) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let line = i + 1;
        let rec = std::str::from_utf8(raw)
            .ok()
            .filter(|t| t.ends_with('\n'))
            .and_then(|t| {
                csv::ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(t.as_bytes())
                    .records()
                    .next()?
                    .ok()
            });
        if i == 0 {
            if rec.is_none_or(|r| r.iter().ne(want.iter().map(String::as_str))) {
                return Err(io_err(
                    path,
                    "line 1: the columns are not this study's (another sweep wrote this file)",
                ));
            }
            continue;
        }
        let Some(row) = rec.and_then(|r| parse_row(&r, plan, c)) else {
            out.skipped += 1;
            continue;
        };
        if let Some(old) = out.rows.insert(row.run, row.clone())
            && old != row
        {
            return Err(io_err(
                path,
                format!(
                    "line {line}: run {} appears twice with different results",
                    row.run
                ),
            ));
        }
    }
    Ok(out)
}

/// One data line, if it is a run of `plan` with readable figures.
fn parse_row(rec: &csv::StringRecord, plan: &Plan, c: usize) -> Option<Row> {
    if rec.len() != header(plan).len() {
        return None;
    }
    let run: usize = rec[0].parse().ok()?;
    let seed: u64 = rec[2 + c].parse().ok()?;
    let spec = (run < plan.total_runs()).then(|| plan.spec(run))?;
    let fits = rec[1].parse() == Ok(spec.point)
        && seed == spec.seed
        && rec
            .iter()
            .skip(2)
            .take(c)
            .eq(plan.points[spec.point].values.iter().map(String::as_str));
    if !fits {
        return None;
    }
    let values = (0..METRICS.len())
        .map(|k| {
            let field = &rec[3 + c + k];
            if field.is_empty() {
                Some(None)
            } else {
                field.parse::<f64>().ok().map(Some)
            }
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Row {
        run,
        point: spec.point,
        seed,
        values,
        verdict: rec[3 + c + METRICS.len()].to_string(),
        event_hash: rec[4 + c + METRICS.len()].to_string(),
    })
}

/// Reads `plan.json`.
pub fn read_plan(dir: &Path) -> Result<PlanFile, String> {
    let path = dir.join(PLAN);
    let text = fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
    serde_json::from_str(&text).map_err(|e| io_err(&path, format!("not a study's plan: {e}")))
}

/// Bytes of `plan.json`.
pub fn plan_json(plan: &Plan, shard: Option<Shard>) -> Vec<u8> {
    let file = PlanFile {
        plan: plan.clone(),
        shard,
    };
    let mut s = serde_json::to_string_pretty(&file).expect("plan serializes");
    s.push('\n');
    s.into_bytes()
}

/// `runs.csv` opened for appending, one whole line per finished run. It
/// holds the folder's lock (`.lock`, released when dropped or when the
/// process dies), so two processes never write one study.
pub struct Appender {
    file: File,
    path: PathBuf,
    _lock: File,
}

impl Appender {
    pub fn append(&mut self, line: &[u8]) -> Result<(), String> {
        self.file
            .write_all(line)
            .and_then(|()| self.file.flush())
            .map_err(|e| io_err(&self.path, e))
    }
}

/// Prepares `dir` for the plan: a new folder, or the existing study when
/// resuming. Returns the runs already done and the appender, which holds
/// the folder's lock.
pub fn open(
    dir: &Path,
    plan: &Plan,
    shard: Option<Shard>,
    existing: Existing,
) -> Result<(ReadRuns, Appender), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(io_err(dir, "--out must be a folder, and this is a file"));
    }
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    let lock_path = dir.join(LOCK);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| io_err(&lock_path, e))?;
    lock.try_lock().map_err(|_| {
        io_err(
            dir,
            "another sim process is writing this study (wait for it, or stop it first)",
        )
    })?;
    let has_plan = dir.join(PLAN).exists();
    let has_runs = dir.join(RUNS).exists();
    let mut read = ReadRuns::default();
    match existing {
        Existing::Keep if has_plan || has_runs => {
            return Err(io_err(
                dir,
                "already holds a study: --resume to continue it, --force to delete it \
                 and start over, or choose another --out",
            ));
        }
        Existing::Resume if has_plan => {
            let old = read_plan(dir)?;
            if !old.plan.same_study(plan) {
                // Never suggest --force here: it would delete finished runs.
                return Err(io_err(
                    dir,
                    "holds a different study (other scenarios, parameters, seeds or \
                     version): choose another --out for this one",
                ));
            }
            if old.shard != shard {
                return Err(io_err(
                    dir,
                    format!(
                        "holds shard {} and this is {}: pass the same --shard",
                        old.shard.map_or("none".into(), |s| s.to_string()),
                        shard.map_or("none".into(), |s| s.to_string())
                    ),
                ));
            }
            if has_runs {
                read = read_runs(&dir.join(RUNS), plan)?;
            }
        }
        Existing::Resume if has_runs => {
            return Err(io_err(
                dir,
                "has a runs.csv but no plan.json: not a study this version can resume",
            ));
        }
        Existing::Replace => clear(dir)?,
        _ => {}
    }
    write_file(dir.join(PLAN), &plan_json(plan, shard)).map_err(|e| e.to_string())?;
    // A clean file in run order, then appends.
    let mut bytes = csv_line(&header(plan));
    for row in read.rows.values() {
        bytes.extend(line(plan, row));
    }
    let path = write_file(dir.join(RUNS), &bytes).map_err(|e| e.to_string())?;
    let file = OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    Ok((
        read,
        Appender {
            file,
            path,
            _lock: lock,
        },
    ))
}

/// Deletes the files a study writes (and nothing else) from `dir`.
fn clear(dir: &Path) -> Result<(), String> {
    for name in [
        PLAN,
        RUNS,
        POINTS,
        COMPARE,
        FAILED,
        report_name(Kind::Sweep),
        report_name(Kind::Compare),
    ] {
        let p = dir.join(name);
        if p.exists() {
            fs::remove_file(&p).map_err(|e| io_err(&p, e))?;
        }
    }
    let charts = dir.join(CHARTS);
    if charts.is_dir() {
        fs::remove_dir_all(&charts).map_err(|e| io_err(&charts, e))?;
    }
    Ok(())
}

/// Every metric's statistics at every point.
pub struct PointStats {
    /// Runs done at the point.
    pub runs: usize,
    /// Per metric.
    pub stats: Vec<Option<Stats>>,
}

pub fn point_stats(plan: &Plan, rows: &BTreeMap<usize, Row>) -> Vec<PointStats> {
    (0..plan.points.len())
        .map(|p| {
            let at: Vec<&Row> = rows.values().filter(|r| r.point == p).collect();
            PointStats {
                runs: at.len(),
                stats: (0..METRICS.len())
                    .map(|m| {
                        let v: Vec<f64> = at.iter().filter_map(|r| r.values[m]).collect();
                        Stats::of(&v).map(|s| bounded(m, s))
                    })
                    .collect(),
            }
        })
        .collect()
}

/// Keeps an interval inside what the metric can be: no figure is negative,
/// no percentage above 100. `recovered` is a share of runs (each 0 or
/// 100), and its interval is Wilson's score interval for a proportion,
/// which stays in [0, 100] and is not zero-width at 0 or 100%.
fn bounded(m: usize, mut s: Stats) -> Stats {
    if METRICS[m].name == "recovered" {
        s.ci = (s.n > 1).then(|| {
            let (lo, hi) = super::stats::wilson(s.mean / 100.0, s.n);
            (lo * 100.0, hi * 100.0)
        });
        return s;
    }
    let percent = METRICS[m].unit == "%";
    s.ci =
        s.ci.map(|(lo, hi)| (lo.max(0.0), if percent { hi.min(100.0) } else { hi }));
    s
}

/// One design against another on one metric, over the seeds both ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub metric: usize,
    pub a: usize,
    pub b: usize,
    /// Of b − a, seed by seed, where both have a value.
    pub diff: Option<Stats>,
    /// Seeds where only a, resp. only b, has a value: the other never
    /// recovered, never raised an alarm, or answered nothing.
    pub only_a: usize,
    pub only_b: usize,
}

/// How a pair compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// This design is better at the 95% level.
    Better(usize),
    /// The interval of the difference contains 0.
    Tie,
    /// Too few paired seeds to tell (under 2), or each side lacks a value
    /// on some seed.
    Unknown,
    /// The metric has no better direction (`requests`).
    Neutral,
}

impl Pair {
    /// Which of the two is better. A missing value is worse than any: a
    /// design that never recovers on a seed where the other did loses on
    /// failover latency. Otherwise b is better when the interval of b − a
    /// lies wholly on b's good side, a when on a's, else a tie.
    pub fn verdict(&self) -> Verdict {
        let Some(better) = METRICS[self.metric].better else {
            return Verdict::Neutral;
        };
        match (self.only_a, self.only_b) {
            (0, 0) => {}
            (_, 0) => return Verdict::Better(self.a),
            (0, _) => return Verdict::Better(self.b),
            _ => return Verdict::Unknown,
        }
        let Some((lo, hi)) = self.diff.as_ref().and_then(|d| d.ci) else {
            return Verdict::Unknown;
        };
        let (b_up, b_down) = (lo > 0.0, hi < 0.0);
        match better {
            Better::Higher if b_up => Verdict::Better(self.b),
            Better::Higher if b_down => Verdict::Better(self.a),
            Better::Lower if b_down => Verdict::Better(self.b),
            Better::Lower if b_up => Verdict::Better(self.a),
            _ => Verdict::Tie,
        }
    }

    /// The verdict in words: a design's label, `tie`, `n/a`, or nothing.
    pub fn word<'p>(&self, plan: &'p Plan) -> &'p str {
        match self.verdict() {
            Verdict::Better(w) => plan.points[w].label.as_str(),
            Verdict::Tie => "tie",
            Verdict::Unknown => "n/a",
            Verdict::Neutral => "",
        }
    }
}

/// Paired differences b − a on `metric`, over seed indices both points ran.
pub fn pair(plan: &Plan, rows: &BTreeMap<usize, Row>, metric: usize, a: usize, b: usize) -> Pair {
    let seeds = plan.seeds as usize;
    let (mut only_a, mut only_b) = (0, 0);
    let diffs: Vec<f64> = (0..seeds)
        .filter_map(|k| {
            let va = rows.get(&(a * seeds + k))?.values[metric];
            let vb = rows.get(&(b * seeds + k))?.values[metric];
            match (va, vb) {
                (Some(va), Some(vb)) => return Some(vb - va),
                (Some(_), None) => only_a += 1,
                (None, Some(_)) => only_b += 1,
                (None, None) => {}
            }
            None
        })
        .collect();
    Pair {
        metric,
        a,
        b,
        diff: Stats::of(&diffs),
        only_a,
        only_b,
    }
}

/// The design that beats every other on `metric` at the 95% level.
pub fn winner(
    plan: &Plan,
    rows: &BTreeMap<usize, Row>,
    stats: &[PointStats],
    metric: usize,
) -> Option<usize> {
    let better = METRICS[metric].better?;
    let means: Vec<(usize, f64)> = stats
        .iter()
        .enumerate()
        .filter_map(|(p, s)| Some((p, s.stats[metric].as_ref()?.mean)))
        .collect();
    let best = match better {
        Better::Higher => means.iter().max_by(|x, y| x.1.total_cmp(&y.1)),
        Better::Lower => means.iter().min_by(|x, y| x.1.total_cmp(&y.1)),
    }?
    .0;
    (0..plan.points.len())
        .filter(|&p| p != best)
        .all(|p| pair(plan, rows, metric, p, best).verdict() == Verdict::Better(best))
        .then_some(best)
}

/// `points.csv`: one line per point and metric.
pub fn points_csv(plan: &Plan, stats: &[PointStats]) -> Vec<u8> {
    let mut h = vec!["point".to_string()];
    h.extend(plan.columns.iter().cloned());
    for c in [
        "metric",
        "runs",
        "n",
        "mean",
        "sd",
        "ci95_low",
        "ci95_high",
        "min",
        "p50",
        "p95",
        "max",
    ] {
        h.push(c.into());
    }
    let mut out = csv_line(&h);
    for (p, ps) in stats.iter().enumerate() {
        for (m, st) in ps.stats.iter().enumerate() {
            let mut f = vec![p.to_string()];
            f.extend(plan.points[p].values.iter().cloned());
            f.push(METRICS[m].name.into());
            f.push(ps.runs.to_string());
            match st {
                Some(s) => {
                    f.push(s.n.to_string());
                    for v in [
                        Some(s.mean),
                        Some(s.sd),
                        s.ci.map(|c| c.0),
                        s.ci.map(|c| c.1),
                    ] {
                        f.push(num(v));
                    }
                    for v in [s.min, s.p50, s.p95, s.max] {
                        f.push(v.to_string());
                    }
                }
                None => {
                    f.push("0".into());
                    f.extend(std::iter::repeat_n(String::new(), 8));
                }
            }
            out.extend(csv_line(&f));
        }
    }
    out
}

/// `compare.csv`: every design against the first (the baseline), per metric.
pub fn compare_csv(plan: &Plan, rows: &BTreeMap<usize, Row>, stats: &[PointStats]) -> Vec<u8> {
    let h = [
        "metric",
        "baseline",
        "design",
        "n",
        "only_baseline",
        "only_design",
        "baseline_mean",
        "design_mean",
        "diff_mean",
        "diff_ci95_low",
        "diff_ci95_high",
        "better",
    ]
    .map(String::from);
    let mut out = csv_line(&h);
    for (m, metric) in METRICS.iter().enumerate() {
        for b in 1..plan.points.len() {
            let p = pair(plan, rows, m, 0, b);
            let mean = |i: usize| stats[i].stats[m].as_ref().map(|s| s.mean);
            let d = p.diff.as_ref();
            let better = p.word(plan);
            out.extend(csv_line(&[
                metric.name.to_string(),
                plan.points[0].label.clone(),
                plan.points[b].label.clone(),
                d.map_or(0, |d| d.n).to_string(),
                p.only_a.to_string(),
                p.only_b.to_string(),
                num(mean(0)),
                num(mean(b)),
                num(d.map(|d| d.mean)),
                num(d.and_then(|d| d.ci).map(|c| c.0)),
                num(d.and_then(|d| d.ci).map(|c| c.1)),
                better.to_string(),
            ]));
        }
    }
    out
}

/// `failed.csv`: runs that failed in this invocation.
pub fn failed_csv(plan: &Plan, failed: &[(RunSpec, String)]) -> Vec<u8> {
    let mut out = csv_line(&["run", "point", "seed", "error", "repeat_with"].map(String::from));
    for (spec, message) in failed {
        out.extend(csv_line(&[
            spec.run.to_string(),
            spec.point.to_string(),
            spec.seed.to_string(),
            message.clone(),
            plan.repeat_command(spec),
        ]));
    }
    out
}

/// What [`finish`] wrote.
pub struct Written {
    pub files: Vec<PathBuf>,
    pub report: PathBuf,
}

/// Rewrites every file from the runs done: `runs.csv` in run order, the
/// statistics, the charts and the report.
pub fn finish(
    dir: &Path,
    plan: &Plan,
    shard: Option<Shard>,
    rows: &BTreeMap<usize, Row>,
    failed: &[(RunSpec, String)],
) -> Result<Written, String> {
    let w = |name: &str, bytes: &[u8]| write_file(dir.join(name), bytes).map_err(|e| e.to_string());
    let mut files = Vec::new();
    let mut runs = csv_line(&header(plan));
    for row in rows.values() {
        runs.extend(line(plan, row));
    }
    files.push(w(RUNS, &runs)?);
    let stats = point_stats(plan, rows);
    files.push(w(POINTS, &points_csv(plan, &stats))?);
    if plan.kind == Kind::Compare {
        files.push(w(COMPARE, &compare_csv(plan, rows, &stats))?);
    }
    let failed_path = dir.join(FAILED);
    if failed.is_empty() {
        if failed_path.exists() {
            fs::remove_file(&failed_path).map_err(|e| io_err(&failed_path, e))?;
        }
    } else {
        files.push(w(FAILED, &failed_csv(plan, failed))?);
    }
    let charts = super::charts::draw(plan, rows, &stats);
    let chart_dir = dir.join(CHARTS);
    if chart_dir.is_dir() {
        fs::remove_dir_all(&chart_dir).map_err(|e| io_err(&chart_dir, e))?;
    }
    fs::create_dir_all(&chart_dir).map_err(|e| io_err(&chart_dir, e))?;
    for c in &charts {
        files.push(
            write_file(chart_dir.join(format!("{}.svg", c.stem)), c.svg.as_bytes())
                .map_err(|e| e.to_string())?,
        );
    }
    let page = super::html::page(plan, shard, rows, &stats, &charts);
    let report = w(report_name(plan.kind), page.as_bytes())?;
    files.push(report.clone());
    Ok(Written { files, report })
}
