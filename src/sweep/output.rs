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

/// Reads `runs.csv`, dropping a last line cut short (a kill mid-write), and
/// checks each row against the plan.
pub fn read_runs(path: &Path, plan: &Plan) -> Result<BTreeMap<usize, Row>, String> {
    let mut text = fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    if !text.ends_with('\n') {
        text.truncate(text.rfind('\n').map_or(0, |i| i + 1));
    }
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let want = header(plan);
    let mut rows = BTreeMap::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 1;
        let rec = rec.map_err(|e| io_err(path, format!("line {line}: {e}")))?;
        if i == 0 {
            if rec.iter().ne(want.iter().map(String::as_str)) {
                return Err(io_err(
                    path,
                    "line 1: the columns are not this study's (another sweep wrote this file)",
                ));
            }
            continue;
        }
        let bad = |what: &str| io_err(path, format!("line {line}: {what}"));
        if rec.len() != want.len() {
            return Err(bad("wrong number of fields"));
        }
        let run: usize = rec[0].parse().map_err(|_| bad("`run` is not a number"))?;
        let c = plan.columns.len();
        let spec = (run < plan.total_runs()).then(|| plan.spec(run));
        let seed: u64 = rec[2 + c]
            .parse()
            .map_err(|_| bad("`seed` is not a number"))?;
        let fits = spec.is_some_and(|s| {
            rec[1].parse() == Ok(s.point)
                && seed == s.seed
                && rec
                    .iter()
                    .skip(2)
                    .take(c)
                    .eq(plan.points[s.point].values.iter().map(String::as_str))
        });
        if !fits {
            return Err(bad("this run is not one of the study's runs"));
        }
        let mut values = Vec::with_capacity(METRICS.len());
        for (k, m) in METRICS.iter().enumerate() {
            let field = &rec[3 + c + k];
            values.push(if field.is_empty() {
                None
            } else {
                Some(
                    field
                        .parse::<f64>()
                        .map_err(|_| bad(&format!("`{}` is not a number", m.name)))?,
                )
            });
        }
        let row = Row {
            run,
            point: rec[1].parse().unwrap_or_default(),
            seed,
            values,
            verdict: rec[3 + c + METRICS.len()].to_string(),
            event_hash: rec[4 + c + METRICS.len()].to_string(),
        };
        if let Some(old) = rows.insert(run, row.clone())
            && old != row
        {
            return Err(bad(&format!(
                "run {run} appears twice with different results"
            )));
        }
    }
    Ok(rows)
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

/// `runs.csv` opened for appending, one whole line per finished run.
pub struct Appender {
    file: File,
    path: PathBuf,
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
/// resuming. Returns the runs already done and the appender.
pub fn open(
    dir: &Path,
    plan: &Plan,
    shard: Option<Shard>,
    existing: Existing,
) -> Result<(BTreeMap<usize, Row>, Appender), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(io_err(dir, "--out must be a folder, and this is a file"));
    }
    let has_plan = dir.join(PLAN).exists();
    let has_runs = dir.join(RUNS).exists();
    let mut rows = BTreeMap::new();
    match existing {
        Existing::Keep if has_plan || has_runs => {
            return Err(io_err(
                dir,
                "already holds a study: --resume to continue it, --force to start over, \
                 or choose another --out",
            ));
        }
        Existing::Resume if has_plan => {
            let old = read_plan(dir)?;
            if old.plan != *plan {
                return Err(io_err(
                    dir,
                    "holds a different study (other files, parameters, seeds or version): \
                     --force to start over, or choose another --out",
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
                rows = read_runs(&dir.join(RUNS), plan)?;
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
    fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
    write_file(dir.join(PLAN), &plan_json(plan, shard)).map_err(|e| e.to_string())?;
    // A clean file in run order, then appends.
    let mut bytes = csv_line(&header(plan));
    for row in rows.values() {
        bytes.extend(line(plan, row));
    }
    let path = write_file(dir.join(RUNS), &bytes).map_err(|e| e.to_string())?;
    let file = OpenOptions::new()
        .append(true)
        .open(&path)
        .map_err(|e| io_err(&path, e))?;
    Ok((rows, Appender { file, path }))
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
                        Stats::of(&v)
                    })
                    .collect(),
            }
        })
        .collect()
}

/// One design against another on one metric, over the seeds both ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub metric: usize,
    pub a: usize,
    pub b: usize,
    /// Of b − a, seed by seed.
    pub diff: Option<Stats>,
}

impl Pair {
    /// Which of the two is better at the 95% level: `Some(b)` when the
    /// interval of b − a lies wholly on b's good side, `Some(a)` when on
    /// a's, else `None` (the difference is within the noise).
    pub fn better(&self) -> Option<usize> {
        let better = METRICS[self.metric].better?;
        let (lo, hi) = self.diff.as_ref()?.ci?;
        let b_up = lo > 0.0;
        let b_down = hi < 0.0;
        match better {
            Better::Higher if b_up => Some(self.b),
            Better::Higher if b_down => Some(self.a),
            Better::Lower if b_down => Some(self.b),
            Better::Lower if b_up => Some(self.a),
            _ => None,
        }
    }
}

/// Paired differences b − a on `metric`, over seed indices both points ran.
pub fn pair(plan: &Plan, rows: &BTreeMap<usize, Row>, metric: usize, a: usize, b: usize) -> Pair {
    let seeds = plan.seeds as usize;
    let diffs: Vec<f64> = (0..seeds)
        .filter_map(|k| {
            let va = rows.get(&(a * seeds + k))?.values[metric]?;
            let vb = rows.get(&(b * seeds + k))?.values[metric]?;
            Some(vb - va)
        })
        .collect();
    Pair {
        metric,
        a,
        b,
        diff: Stats::of(&diffs),
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
        .all(|p| pair(plan, rows, metric, p, best).better() == Some(best))
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
            let better = match (metric.better, p.better()) {
                (None, _) => "",
                (_, Some(w)) => plan.points[w].label.as_str(),
                (_, None) => "tie",
            };
            out.extend(csv_line(&[
                metric.name.to_string(),
                plan.points[0].label.clone(),
                plan.points[b].label.clone(),
                d.map_or(0, |d| d.n).to_string(),
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
