//! The terminal's view of a study: one aligned table of the points, and for
//! a comparison the designs side by side with the winner of each metric.

use std::collections::BTreeMap;

use super::charts::{charted, varies};
use super::output::{PointStats, Verdict, pair, winner};
use super::{Kind, METRICS, Plan, Row, metric_index, number, number_ci, signed};

/// Columns aligned on their widest cell (by characters).
fn align(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from("  ");
        for (c, cell) in r.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < r.len() {
                line.push_str(&" ".repeat(width[c] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The headline metrics: availability, failover latency, dropped, cost,
/// and the others that are non-zero somewhere.
fn headline(stats: &[PointStats]) -> Vec<usize> {
    (0..METRICS.len())
        .filter(|&m| METRICS[m].better.is_some())
        .filter(|&m| {
            matches!(
                METRICS[m].name,
                "availability" | "recovered" | "failover_latency_s" | "instance_hours"
            ) || charted(stats, m)
        })
        .collect()
}

/// Points × headline metrics, `mean [95% CI]`; a metric equal in every run
/// (the cost of a fixed fleet, say) is left to points.csv.
pub fn points(plan: &Plan, stats: &[PointStats]) -> String {
    let metrics: Vec<usize> = headline(stats)
        .into_iter()
        .filter(|&m| varies(stats, m) || METRICS[m].name == "availability")
        .collect();
    let mut rows = vec![{
        let mut h = vec!["point".to_string(), "runs".to_string()];
        h.extend(
            metrics
                .iter()
                .map(|&m| format!("{} ({})", METRICS[m].name, METRICS[m].unit)),
        );
        h
    }];
    for (p, ps) in stats.iter().enumerate() {
        let mut r = vec![plan.points[p].label.clone(), ps.runs.to_string()];
        r.extend(
            metrics
                .iter()
                .map(|&m| ps.stats[m].as_ref().map_or("-".into(), |s| number_ci(m, s))),
        );
        rows.push(r);
    }
    align(&rows)
}

/// Designs side by side (rows are metrics), the winner of each, and the
/// paired differences against the first design.
pub fn comparison(plan: &Plan, rows: &BTreeMap<usize, Row>, stats: &[PointStats]) -> String {
    let metrics = headline(stats);
    let base = &plan.points[0].label;
    let mut table = vec![{
        let mut h = vec!["metric".to_string()];
        h.extend(plan.points.iter().map(|p| p.label.clone()));
        // One column per design against the first, seed by seed.
        h.extend(
            plan.points[1..]
                .iter()
                .map(|p| format!("{} - {base} (paired)", p.label)),
        );
        h.push("winner (95%)".into());
        h
    }];
    for &m in &metrics {
        let mut r = vec![format!("{} ({})", METRICS[m].name, METRICS[m].unit)];
        r.extend(stats.iter().map(|ps| {
            ps.stats[m]
                .as_ref()
                .map_or("-".into(), |s| number(m, s.mean))
        }));
        r.extend((1..plan.points.len()).map(|b| {
            pair(plan, rows, m, 0, b)
                .diff
                .and_then(|d| {
                    d.ci.map(|(lo, hi)| {
                        format!(
                            "{} [{}, {}]",
                            signed(m, d.mean),
                            signed(m, lo),
                            signed(m, hi)
                        )
                    })
                })
                .unwrap_or_else(|| "-".into())
        }));
        r.push(
            winner(plan, rows, stats, m)
                .map_or("no clear winner".into(), |w| plan.points[w].label.clone()),
        );
        table.push(r);
    }
    align(&table)
}

/// The `--fail-if-worse` gate: for each design after the first and each
/// gated metric (indices), why it fails: worse than the first at the 95%
/// level, or no way to tell (fewer than 2 paired seeds, or each side
/// missing values). A gate that cannot decide does not pass.
pub fn gate_failures(plan: &Plan, rows: &BTreeMap<usize, Row>, gate: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    for &m in gate {
        for b in 1..plan.points.len() {
            let p = pair(plan, rows, m, 0, b);
            let (design, base, name) = (
                &plan.points[b].label,
                &plan.points[0].label,
                METRICS[m].name,
            );
            match p.verdict() {
                Verdict::Better(0) => {
                    out.push(format!("{design} is worse than {base} on {name}"));
                }
                Verdict::Unknown => out.push(format!(
                    "cannot tell {design} from {base} on {name}: {} paired seed(s) with a value{}",
                    p.diff.as_ref().map_or(0, |d| d.n),
                    if p.only_a > 0 && p.only_b > 0 {
                        ", and each lacks a value where the other has one"
                    } else {
                        ""
                    }
                )),
                _ => {}
            }
        }
    }
    out
}

/// Parses `--fail-if-worse`: metric names (comma-separated) or `all`.
pub fn parse_gate(text: &str) -> Result<Vec<usize>, String> {
    let names: Vec<&str> = METRICS
        .iter()
        .filter(|m| m.better.is_some())
        .map(|m| m.name)
        .collect();
    if text.trim() == "all" {
        return Ok((0..METRICS.len())
            .filter(|&m| METRICS[m].better.is_some())
            .collect());
    }
    text.split(',')
        .map(|n| {
            metric_index(n.trim())
                .filter(|&m| METRICS[m].better.is_some())
                .ok_or_else(|| {
                    format!(
                        "--fail-if-worse: unknown metric `{}` (expected all, or some of {})",
                        n.trim(),
                        names.join(", ")
                    )
                })
        })
        .collect()
}

/// One line: what the study is.
pub fn intro(plan: &Plan, done: usize, todo: usize, jobs: usize) -> String {
    let what = match plan.kind {
        Kind::Sweep => "sweep",
        Kind::Compare => "compare",
    };
    let mut s = format!(
        "{what} {}: {} point(s) x {} seeds = {} runs",
        plan.name,
        plan.points.len(),
        plan.seeds,
        plan.total_runs()
    );
    if done > 0 {
        s += &format!(", {done} already done");
    }
    s += &format!(", {todo} to run on {jobs} thread(s)");
    s
}
