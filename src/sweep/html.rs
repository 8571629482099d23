//! `sweep.html` / `compare.html`: one self-contained page (inline CSS and
//! SVG, no script) with the points' statistics, the comparison and the
//! charts.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::charts::{Drawn, charted};
use super::output::{PointStats, pair, winner};
use super::{Kind, METRICS, Plan, Row, Shard, show_ci, signed};
use crate::report::html::{STYLE, esc};

/// The metrics a table shows: availability always, others when some run
/// has a non-zero value.
fn shown(stats: &[PointStats]) -> Vec<usize> {
    (0..METRICS.len())
        .filter(|&m| METRICS[m].better.is_some())
        .filter(|&m| METRICS[m].name == "availability" || charted(stats, m))
        .collect()
}

pub fn page(
    plan: &Plan,
    shard: Option<Shard>,
    rows: &BTreeMap<usize, Row>,
    stats: &[PointStats],
    charts: &[Drawn],
) -> String {
    let mut o = String::new();
    let what = match plan.kind {
        Kind::Sweep => "sweep",
        Kind::Compare => "comparison",
    };
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} · failover-sim {what}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        esc(&plan.name)
    );
    let _ = writeln!(o, "<h1>{} ({what})</h1>", esc(&plan.name));
    let total = plan.total_runs();
    let done = rows.len();
    let _ = writeln!(
        o,
        "<p class=\"meta\">{} point(s) × {} seeds (seeds {} to {}, the same at every point) · {done} of {total} runs{} · failover-sim {}</p>",
        plan.points.len(),
        plan.seeds,
        plan.base_seed,
        plan.base_seed.wrapping_add(u64::from(plan.seeds) - 1),
        shard.map_or(String::new(), |s| format!(" · shard {s}")),
        esc(&plan.sim_version)
    );
    if done < total {
        let _ = writeln!(
            o,
            "<p><strong>Incomplete:</strong> {} run(s) missing (stopped, failed, or in other shards); the figures cover the runs done.</p>",
            total - done
        );
    }
    if !plan.description.is_empty() {
        let _ = writeln!(o, "<p class=\"description\">{}</p>", esc(&plan.description));
    }
    let _ = writeln!(
        o,
        "<p class=\"meta\">Each cell is the mean over seeds with its 95% confidence interval (Student t) in brackets. Failover latency is a run's slowest fault; runs where a fault never recovered have none and are counted in the CDF as longer than any value.</p>"
    );
    let metrics = shown(stats);
    if plan.kind == Kind::Compare {
        compare_tables(&mut o, plan, rows, stats, &metrics);
    }
    let _ = writeln!(
        o,
        "<h2>Points</h2>\n<table>\n<tr><th>point</th><th>runs</th>"
    );
    for &m in &metrics {
        let _ = write!(
            o,
            "<th>{} ({})</th>",
            esc(METRICS[m].title),
            esc(METRICS[m].unit)
        );
    }
    let _ = writeln!(o, "</tr>");
    for (p, ps) in stats.iter().enumerate() {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td>",
            esc(&plan.points[p].label),
            ps.runs
        );
        for &m in &metrics {
            let cell = ps.stats[m].as_ref().map_or("–".into(), |s| show_ci(m, s));
            let _ = write!(o, "<td class=\"num\">{}</td>", esc(&cell));
        }
        let _ = writeln!(o, "</tr>");
    }
    let _ = writeln!(o, "</table>");
    let quiet: Vec<&str> = (0..METRICS.len())
        .filter(|&m| METRICS[m].better.is_some() && !charted(stats, m))
        .map(|m| METRICS[m].title)
        .collect();
    if !quiet.is_empty() {
        let _ = writeln!(
            o,
            "<p class=\"meta\">Zero or undefined in every run: {}.</p>",
            esc(&quiet.join(", "))
        );
    }
    if !charts.is_empty() {
        let _ = writeln!(o, "<h2>Charts</h2>");
    }
    for c in charts {
        let svg = c
            .svg
            .split_once("<svg")
            .map_or(c.svg.as_str(), |(_, rest)| rest);
        let _ = writeln!(
            o,
            "<figure><svg{svg}<figcaption>{}</figcaption></figure>",
            esc(&c.title)
        );
    }
    let _ = writeln!(o, "<h2>Repeat a run</h2>");
    if let Some(row) = rows.values().next() {
        let spec = plan.spec(row.run);
        let _ = writeln!(
            o,
            "<p>Every run is one <code>sim run</code> with the point's overrides and its seed (both in runs.csv), e.g.:</p>\n<pre>{}</pre>",
            esc(&plan.repeat_command(&spec))
        );
    }
    let _ = writeln!(
        o,
        "<footer>failover-sim {} · plan {}</footer>\n</main>\n</body>\n</html>",
        esc(&plan.sim_version),
        esc(&plan.fingerprint)
    );
    o
}

fn compare_tables(
    o: &mut String,
    plan: &Plan,
    rows: &BTreeMap<usize, Row>,
    stats: &[PointStats],
    metrics: &[usize],
) {
    let _ = writeln!(o, "<h2>Side by side</h2>\n<table>\n<tr><th>metric</th>");
    for p in &plan.points {
        let _ = write!(o, "<th>{}</th>", esc(&p.label));
    }
    let _ = writeln!(o, "<th>winner (95%)</th></tr>");
    for &m in metrics {
        let _ = write!(
            o,
            "<tr><td>{} ({})</td>",
            esc(METRICS[m].title),
            esc(METRICS[m].unit)
        );
        for ps in stats {
            let cell = ps.stats[m].as_ref().map_or("–".into(), |s| show_ci(m, s));
            let _ = write!(o, "<td class=\"num\">{}</td>", esc(&cell));
        }
        let w = winner(plan, rows, stats, m).map_or("no clear winner".to_string(), |w| {
            plan.points[w].label.clone()
        });
        let _ = writeln!(o, "<td>{}</td></tr>", esc(&w));
    }
    let _ = writeln!(o, "</table>");
    let base = &plan.points[0].label;
    let _ = writeln!(
        o,
        "<h2>Paired differences against {}</h2>\n<p class=\"meta\">Seed by seed (the same seeds ran every design), design minus {}: a difference whose interval excludes 0 is not the luck of the seeds.</p>\n<table>\n<tr><th>metric</th><th>design</th><th>seeds</th><th>difference (mean [95% CI])</th><th>better</th></tr>",
        esc(base),
        esc(base)
    );
    for &m in metrics {
        for b in 1..plan.points.len() {
            let p = pair(plan, rows, m, 0, b);
            let (n, diff) = match &p.diff {
                Some(d) => (
                    d.n,
                    match d.ci {
                        Some((lo, hi)) => {
                            format!(
                                "{} [{}, {}]",
                                signed(m, d.mean),
                                signed(m, lo),
                                signed(m, hi)
                            )
                        }
                        None => signed(m, d.mean),
                    },
                ),
                None => (0, "–".into()),
            };
            let better = p.word(plan).to_string();
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{n}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                esc(METRICS[m].title),
                esc(&plan.points[b].label),
                esc(&diff),
                esc(&better)
            );
        }
    }
    let _ = writeln!(o, "</table>");
}
