//! A study's charts, as SVG: each metric against each column (swept
//! parameter or design) with its 95% confidence band, one line per value of
//! the other columns; and the distribution (CDF) of failover latency at each
//! point. Text uses the embedded font, like the run charts.

use std::collections::BTreeMap;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::output::PointStats;
use super::{METRICS, Plan, Row, metric_index};
use crate::report::charts::{PALETTE, err, page};
use crate::report::font::{self, FAMILY};

const WIDTH: u32 = 900;
const PANEL_HEIGHT: u32 = 340;
const CAPTION: u32 = 36;
/// Legend entries drawn; more lines share colours and go unlabelled.
const MAX_LEGEND: usize = 10;

/// One drawn chart.
#[derive(Debug, Clone)]
pub struct Drawn {
    /// File stem: the metric's name, or `failover_latency_cdf`.
    pub stem: String,
    pub title: String,
    pub svg: String,
}

/// A metric worth a chart: some run has a non-zero value.
pub fn charted(stats: &[PointStats], metric: usize) -> bool {
    stats.iter().any(|p| {
        p.stats[metric]
            .as_ref()
            .is_some_and(|s| s.min != 0.0 || s.max != 0.0)
    })
}

/// Whether a metric takes more than one value across the study's runs.
pub fn varies(stats: &[PointStats], m: usize) -> bool {
    let mut seen = stats.iter().filter_map(|p| p.stats[m].as_ref());
    let Some(first) = seen.next() else {
        return false;
    };
    first.min != first.max || seen.any(|s| s.min != first.min || s.max != first.max)
}

/// Every chart of the study: the metrics that vary (one equal in every run,
/// like the cost of a fixed fleet, is a table cell, not a chart).
pub fn draw(plan: &Plan, rows: &BTreeMap<usize, Row>, stats: &[PointStats]) -> Vec<Drawn> {
    font::ensure_registered();
    let mut out = Vec::new();
    for (m, metric) in METRICS.iter().enumerate() {
        if metric.better.is_none() || !varies(stats, m) || plan.columns.is_empty() {
            continue;
        }
        let title = format!("{}: {} (mean, 95% CI)", plan.name, metric.title);
        let mut svg = String::new();
        let height = CAPTION + PANEL_HEIGHT * plan.columns.len() as u32;
        let drawn = {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            metric_chart(&root, plan, stats, m, &title)
        };
        // Drawing into memory only fails on a plotters defect; a chart is
        // then left out rather than losing the study's other files.
        if drawn.is_ok() {
            out.push(Drawn {
                stem: metric.name.to_string(),
                title,
                svg,
            });
        }
    }
    let lat = metric_index("failover_latency_s").expect("a metric");
    if varies(stats, lat) {
        let title = format!("{}: failover latency across seeds (CDF)", plan.name);
        let mut svg = String::new();
        let drawn = {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, CAPTION + PANEL_HEIGHT + 60))
                .into_drawing_area();
            cdf_chart(&root, plan, rows, lat, &title)
        };
        if drawn.is_ok() {
            out.push(Drawn {
                stem: "failover_latency_cdf".into(),
                title,
                svg,
            });
        }
    }
    out
}

/// The legend of the labelled series, boxed, at `at`.
fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(at)
        .label_font((FAMILY, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(PALETTE[7])
        .draw()
        .map_err(err)
}

/// Distinct values of column `c`, in plan order.
fn distinct(plan: &Plan, c: usize) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for p in &plan.points {
        if !v.contains(&p.values[c]) {
            v.push(p.values[c].clone());
        }
    }
    v
}

/// The y axis: the data with a margin, and room at the top for a legend
/// of `entries` lines, so it does not hide the highest points.
fn y_range(lo: f64, hi: f64, entries: usize) -> std::ops::Range<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return 0.0..1.0;
    }
    let span = if hi - lo < 1e-9 {
        // A constant: a band around it, so the ticks differ.
        (hi.abs() * 0.2).max(2.0)
    } else {
        hi - lo
    };
    let legend = 0.1 + 0.08 * entries.min(MAX_LEGEND) as f64;
    (lo - span * 0.1)..(hi + span * legend.max(0.1))
}

/// A point of a line: x index, mean, confidence interval.
type Dot = (usize, f64, Option<(f64, f64)>);

fn metric_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    plan: &Plan,
    stats: &[PointStats],
    m: usize,
    title: &str,
) -> Result<(), String> {
    let root = page(root, title)?;
    let areas = root.split_evenly((plan.columns.len(), 1));
    let metric = METRICS[m];
    for (c, area) in areas.iter().enumerate() {
        let xs = distinct(plan, c);
        // Lines: points sharing the values of every other column.
        let mut lines: Vec<(String, Vec<Dot>)> = Vec::new();
        for (p, point) in plan.points.iter().enumerate() {
            let Some(s) = &stats[p].stats[m] else {
                continue;
            };
            let key: Vec<String> = plan
                .columns
                .iter()
                .zip(&point.values)
                .enumerate()
                .filter(|(k, _)| *k != c)
                .map(|(_, (col, v))| format!("{}={v}", col.rsplit('.').next().unwrap_or(col)))
                .collect();
            let key = if key.is_empty() {
                "mean".to_string()
            } else {
                key.join(" ")
            };
            let x = xs.iter().position(|v| *v == point.values[c]).unwrap_or(0);
            match lines.iter_mut().find(|(k, _)| *k == key) {
                Some((_, pts)) => pts.push((x, s.mean, s.ci)),
                None => lines.push((key, vec![(x, s.mean, s.ci)])),
            }
        }
        let lo = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(_, m, ci)| ci.map_or(*m, |c| c.0)))
            .fold(f64::INFINITY, f64::min);
        let hi = lines
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(_, m, ci)| ci.map_or(*m, |c| c.1)))
            .fold(f64::NEG_INFINITY, f64::max);
        let column = &plan.columns[c];
        let mut chart = ChartBuilder::on(area)
            .margin(8)
            .margin_right(24)
            .caption(format!("{} by {column}", metric.title), (FAMILY, 15))
            .x_label_area_size(40)
            .y_label_area_size(72)
            .build_cartesian_2d(
                (0..xs.len() as i32 - 1).into_segmented(),
                y_range(lo, hi, lines.len()),
            )
            .map_err(err)?;
        let x_fmt = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) => xs.get(*i as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .x_desc(column.as_str())
            .y_desc(metric.unit)
            .x_label_formatter(&x_fmt)
            .x_labels(xs.len() + 1)
            .label_style((FAMILY, 12))
            .axis_desc_style((FAMILY, 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        let at = |x: usize| SegmentValue::CenterOf(x as i32);
        // Designs have no order: points and intervals, no line between them.
        let ordered = !matches!(column.as_str(), "design" | "variant");
        for (i, (label, pts)) in lines.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            // The confidence band: the polygon up the highs and back down
            // the lows (a bar at a lone x).
            let band: Vec<_> = pts
                .iter()
                .filter_map(|(x, _, ci)| ci.map(|c| (at(*x), c.1)))
                .chain(
                    pts.iter()
                        .rev()
                        .filter_map(|(x, _, ci)| ci.map(|c| (at(*x), c.0))),
                )
                .collect();
            if ordered && band.len() > 2 {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        band,
                        color.mix(0.18).filled(),
                    )))
                    .map_err(err)?;
            }
            chart
                .draw_series(pts.iter().filter_map(|(x, _, ci)| {
                    ci.map(|c| {
                        PathElement::new(vec![(at(*x), c.0), (at(*x), c.1)], color.stroke_width(2))
                    })
                }))
                .map_err(err)?;
            chart
                .draw_series(
                    pts.iter()
                        .map(|(x, m, _)| Circle::new((at(*x), *m), 4, color.filled())),
                )
                .map_err(err)?;
            let line: Vec<_> = if ordered {
                pts.iter().map(|(x, m, _)| (at(*x), *m)).collect()
            } else {
                Vec::new()
            };
            let series = chart
                .draw_series(LineSeries::new(line, color.stroke_width(2)))
                .map_err(err)?;
            if i < MAX_LEGEND {
                series.label(label).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
            }
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    }
    root.present().map_err(err)
}

fn cdf_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    plan: &Plan,
    rows: &BTreeMap<usize, Row>,
    m: usize,
    title: &str,
) -> Result<(), String> {
    let root = page(root, title)?;
    let per_point: Vec<Vec<f64>> = (0..plan.points.len())
        .map(|p| {
            let mut v: Vec<f64> = rows
                .values()
                .filter(|r| r.point == p)
                .filter_map(|r| r.values[m])
                .collect();
            v.sort_by(f64::total_cmp);
            v
        })
        .collect();
    let max = per_point
        .iter()
        .flatten()
        .copied()
        .fold(0.0, f64::max)
        .max(1.0);
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .margin_right(24)
        .caption(
            "Fraction of runs whose failover took at most x seconds (never-recovered runs count as longer than any x)",
            (FAMILY, 13),
        )
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..max * 1.05, 0.0..1.0)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("failover latency (s)")
        .y_desc("fraction of runs")
        .label_style((FAMILY, 12))
        .axis_desc_style((FAMILY, 13))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    for (p, values) in per_point.iter().enumerate() {
        let runs = rows.values().filter(|r| r.point == p).count();
        if values.is_empty() || runs == 0 {
            continue;
        }
        // A step function over every run of the point.
        let mut pts = vec![(0.0, 0.0)];
        for (i, v) in values.iter().enumerate() {
            pts.push((*v, i as f64 / runs as f64));
            pts.push((*v, (i + 1) as f64 / runs as f64));
        }
        pts.push((max * 1.05, values.len() as f64 / runs as f64));
        let color = PALETTE[p % PALETTE.len()];
        let series = chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(err)?;
        if p < MAX_LEGEND {
            series
                .label(plan.points[p].label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                });
        }
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present().map_err(err)
}
