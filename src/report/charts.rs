//! Charts of a run, drawn with plotters as SVG (and PNG on request): the
//! success ratio and throughput with the fault windows shaded and the
//! detection, recovery and alarm moments marked; latency; healthy targets
//! per AZ; dropped requests by reason; and database and Auto Scaling panels
//! when those tiers exist. Text uses the embedded font ([`super::font`]),
//! so nothing depends on the fonts of the machine.

use std::cell::RefCell;
use std::ops::Range;
use std::path::Path;
use std::rc::Rc;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::Summary;
use super::font::{self, FAMILY};
use crate::engine::as_secs_f64;
use crate::metrics::{AlarmOutcome, DropReason, Row, RowSink};
use crate::scenario::{Scenario, Unit};

/// Most points a chart series keeps; longer runs merge neighbouring rows.
pub const MAX_POINTS: usize = 1500;

/// The rows of a run, merged pairwise whenever there are more than
/// [`MAX_POINTS`], so memory stays bounded whatever the duration.
#[derive(Debug, Default)]
pub struct Series {
    pub rows: Vec<Row>,
    /// Rows merged into one point.
    per_point: usize,
    pending: Option<(Row, usize)>,
}

impl Series {
    pub fn push(&mut self, row: &Row) {
        let per = self.per_point.max(1);
        let (acc, n) = match self.pending.take() {
            None => (row.clone(), 1),
            Some((acc, n)) => (merge(&acc, row), n + 1),
        };
        if n < per {
            self.pending = Some((acc, n));
            return;
        }
        self.rows.push(acc);
        if self.rows.len() >= MAX_POINTS {
            self.rows = self
                .rows
                .chunks(2)
                .map(|c| c.iter().skip(1).fold(c[0].clone(), |a, b| merge(&a, b)))
                .collect();
            self.per_point = per * 2;
        }
    }

    /// Closes the series (a last partial point included).
    pub fn finish(&mut self) {
        if let Some((acc, _)) = self.pending.take() {
            self.rows.push(acc);
        }
    }
}

/// One point covering `a` then `b`: counts add up, gauges are `b`'s,
/// latency percentiles are the larger of the two (a conservative display:
/// a percentile of merged rows is not known from theirs).
fn merge(a: &Row, b: &Row) -> Row {
    let mut r = b.clone();
    r.start = a.start;
    r.counts.add(&a.counts);
    r.tier.add(&a.tier);
    r.client.add(&a.client);
    let max = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    r.p50_ms = max(a.p50_ms, b.p50_ms);
    r.p90_ms = max(a.p90_ms, b.p90_ms);
    r.p99_ms = max(a.p99_ms, b.p99_ms);
    r.max_ms = max(a.max_ms, b.max_ms);
    r.fleet.cpu = match (a.fleet.cpu, b.fleet.cpu) {
        (Some(x), Some(y)) => {
            let (wa, wb) = ((a.end - a.start) as f64, (b.end - b.start) as f64);
            Some((x * wa + y * wb) / (wa + wb))
        }
        (x, y) => x.or(y),
    };
    r
}

/// Collects the series of a run while it runs.
pub struct SeriesSink(pub Rc<RefCell<Series>>);

impl RowSink for SeriesSink {
    fn row(&mut self, row: &Row) {
        self.0.borrow_mut().push(row);
    }
    fn finish(&mut self) {
        self.0.borrow_mut().finish();
    }
}

// ---- colours ---------------------------------------------------------------

const FAULT: RGBColor = RGBColor(214, 39, 40);
const DETECT: RGBColor = RGBColor(255, 127, 14);
const RECOVER: RGBColor = RGBColor(44, 160, 44);
const ALARM: RGBColor = RGBColor(148, 103, 189);
const CAPACITY: RGBColor = RGBColor(23, 190, 207);
const GREY: RGBColor = RGBColor(127, 127, 127);
/// The categorical palette (matplotlib's tab10), shared with the sweep charts.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// A vertical mark or a shaded window on the time axis, as drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    /// `fault`, `detected`, `recovered`, `capacity_restored`, `alarm`.
    pub kind: &'static str,
    /// Simulated seconds (a window: its start and end).
    pub t_s: f64,
    pub end_s: Option<f64>,
    /// Pixel columns where it was drawn, in the chart's image.
    pub x_px: i32,
    pub end_px: Option<i32>,
}

/// A line of a panel.
struct Line {
    label: String,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// A stacked layer (drawn from the top of the stack down).
struct Layer {
    label: String,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

struct Panel {
    title: String,
    y_desc: String,
    y: Range<f64>,
    lines: Vec<Line>,
    stack: Vec<Layer>,
    /// Horizontal reference lines: (value, label).
    refs: Vec<(f64, String)>,
    percent: bool,
    /// Marks drawn on this panel (and recorded).
    marks: bool,
}

/// One chart: panels stacked vertically in one image.
pub struct Chart {
    /// File stem: `success`, `latency` ...
    pub stem: &'static str,
    pub title: String,
    panels: Vec<Panel>,
}

/// What every panel shares: the time axis and the moments to mark.
struct Ctx {
    /// Seconds per axis unit (1, 60 or 3600), and the unit's name.
    scale: f64,
    unit: &'static str,
    end_s: f64,
    /// (start, end) of each fault's window.
    windows: Vec<(f64, f64)>,
    marks: Vec<(&'static str, f64, String)>,
}

impl Ctx {
    fn new(s: &Scenario, sum: &Summary, alarms: &[AlarmOutcome]) -> Ctx {
        let end_s = as_secs_f64(s.duration);
        let scale = Ctx::scale_of(s);
        let unit = match scale {
            1.0 => "s",
            60.0 => "min",
            _ => "h",
        };
        let mut windows = Vec::new();
        let mut marks = Vec::new();
        for (i, f) in sum.faults.iter().enumerate().filter(|(_, f)| f.started) {
            // A fault without an end lasts to the end of the run.
            let until = f.end_s.unwrap_or(end_s).min(end_s);
            windows.push((f.start_s, until.max(f.start_s)));
            if let Some(d) = f.detected_s {
                marks.push(("detected", d, format!("#{i} detected")));
            }
            if let Some(r) = f.recovered_s {
                marks.push(("recovered", r, format!("#{i} recovered")));
            }
            if let Some(c) = f.capacity_restored_s {
                marks.push(("capacity_restored", c, format!("#{i} capacity")));
            }
        }
        for a in alarms {
            for c in a.changes.iter().filter(|c| c.fired()) {
                marks.push(("alarm", c.at_s, format!("alarm {}", a.alarm.name)));
            }
        }
        Ctx {
            scale,
            unit,
            end_s,
            windows,
            marks,
        }
    }

    fn x(&self, t_s: f64) -> f64 {
        t_s / self.scale
    }
}

fn mark_color(kind: &str) -> RGBColor {
    match kind {
        "detected" => DETECT,
        "recovered" => RECOVER,
        "capacity_restored" => CAPACITY,
        _ => ALARM,
    }
}

fn mid(r: &Row) -> f64 {
    as_secs_f64(r.start + (r.end - r.start) / 2)
}

fn per_sec(n: u64, r: &Row) -> f64 {
    let w = as_secs_f64(r.end - r.start);
    if w > 0.0 { n as f64 / w } else { 0.0 }
}

fn top(values: impl Iterator<Item = f64>, at_least: f64) -> f64 {
    let m = values.fold(at_least, f64::max);
    if m <= 0.0 { 1.0 } else { m * 1.1 }
}

/// The charts of a run; panels depend on the tiers the scenario has.
/// Every chart a run may draw, by file stem: a run's folder holds these
/// (`RunFolder` tells a run's files from a user's by them).
pub const STEMS: [&str; 7] = [
    "success",
    "latency",
    "healthy",
    "dropped",
    "database",
    "autoscaling",
    "alarms",
];

pub fn charts(s: &Scenario, rows: &[Row], alarms: &[AlarmOutcome]) -> Vec<Chart> {
    let ctx_threshold = s.metrics.threshold;
    let mut out = Vec::new();
    let x = |r: &Row, scale: f64| mid(r) / scale;
    let scale = Ctx::scale_of(s);

    // Success ratio and throughput.
    let ratio: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| {
            let done = r.counts.succeeded + r.counts.dropped_total();
            (done > 0).then(|| (x(r, scale), 100.0 * r.counts.succeeded as f64 / done as f64))
        })
        .collect();
    let lowest = ratio.iter().map(|p| p.1).fold(100.0, f64::min);
    let floor = if lowest >= 90.0 {
        (lowest.min(ctx_threshold * 100.0) - 1.0).floor().max(0.0)
    } else {
        0.0
    };
    let issued: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (x(r, scale), per_sec(r.counts.issued, r)))
        .collect();
    let ok: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (x(r, scale), per_sec(r.counts.succeeded, r)))
        .collect();
    let bad: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (x(r, scale), per_sec(r.counts.dropped_total(), r)))
        .collect();
    let tp_top = top(issued.iter().chain(&ok).map(|p| p.1), 1.0);
    out.push(Chart {
        stem: "success",
        title: format!("{}: success ratio and throughput", s.name),
        panels: vec![
            Panel {
                title: "Success ratio".into(),
                y_desc: "succeeded / completed (%)".into(),
                y: floor..100.5,
                lines: vec![Line {
                    label: "success ratio".into(),
                    color: PALETTE[0],
                    points: ratio,
                }],
                stack: vec![],
                refs: vec![(
                    ctx_threshold * 100.0,
                    format!("recovery threshold {}%", ctx_threshold * 100.0),
                )],
                percent: true,
                marks: true,
            },
            Panel {
                title: "Throughput".into(),
                y_desc: "requests/s".into(),
                y: 0.0..tp_top,
                lines: vec![
                    Line {
                        label: "issued".into(),
                        color: GREY,
                        points: issued,
                    },
                    Line {
                        label: "succeeded".into(),
                        color: PALETTE[0],
                        points: ok,
                    },
                    Line {
                        label: "dropped".into(),
                        color: FAULT,
                        points: bad,
                    },
                ],
                stack: vec![],
                refs: vec![],
                percent: false,
                marks: true,
            },
        ],
    });

    // Latency.
    let p = |f: fn(&Row) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|r| f(r).map(|v| (x(r, scale), v)))
            .collect()
    };
    let p50 = p(|r| r.p50_ms);
    let p99 = p(|r| r.p99_ms);
    let lat_top = top(p99.iter().chain(&p50).map(|p| p.1), 1.0);
    out.push(Chart {
        stem: "latency",
        title: format!("{}: latency of succeeded requests", s.name),
        panels: vec![Panel {
            title: "Latency (retries included)".into(),
            y_desc: "ms".into(),
            y: 0.0..lat_top,
            lines: vec![
                Line {
                    label: "p50".into(),
                    color: PALETTE[0],
                    points: p50,
                },
                Line {
                    label: "p99".into(),
                    color: PALETTE[1],
                    points: p99,
                },
            ],
            stack: vec![],
            refs: vec![],
            percent: false,
            marks: true,
        }],
    });

    // Healthy targets per AZ, stacked.
    let stack: Vec<Layer> = s
        .azs
        .iter()
        .enumerate()
        .map(|(az, name)| Layer {
            label: format!("AZ {name}"),
            color: PALETTE[az % PALETTE.len()],
            points: rows
                .iter()
                .map(|r| (as_secs_f64(r.end) / scale, f64::from(r.healthy[az])))
                .collect(),
        })
        .collect();
    let most = rows
        .iter()
        .map(|r| f64::from(r.healthy.iter().sum::<u32>()))
        .fold(1.0, f64::max);
    out.push(Chart {
        stem: "healthy",
        title: format!("{}: healthy targets per AZ", s.name),
        panels: vec![Panel {
            title: "Healthy targets (load balancer's view), stacked by AZ".into(),
            y_desc: "targets".into(),
            y: 0.0..(most * 1.15).ceil(),
            lines: vec![],
            stack,
            refs: vec![],
            percent: false,
            marks: true,
        }],
    });

    // Dropped requests by reason, stacked.
    let reasons: Vec<DropReason> = DropReason::ALL
        .iter()
        .copied()
        .filter(|r| rows.iter().any(|row| row.counts.dropped[*r as usize] > 0))
        .collect();
    let stack: Vec<Layer> = reasons
        .iter()
        .enumerate()
        .map(|(i, reason)| Layer {
            label: reason.name().to_string(),
            color: PALETTE[(i + 3) % PALETTE.len()],
            points: rows
                .iter()
                .map(|r| (x(r, scale), per_sec(r.counts.dropped[*reason as usize], r)))
                .collect(),
        })
        .collect();
    let drop_top = top(
        rows.iter().map(|r| per_sec(r.counts.dropped_total(), r)),
        1.0,
    );
    out.push(Chart {
        stem: "dropped",
        title: format!("{}: dropped requests by reason", s.name),
        panels: vec![Panel {
            title: if reasons.is_empty() {
                "Dropped requests (none)".into()
            } else {
                "Dropped requests by reason of the last attempt, stacked".into()
            },
            y_desc: "requests/s".into(),
            y: 0.0..drop_top,
            lines: vec![],
            stack,
            refs: vec![],
            percent: false,
            marks: true,
        }],
    });

    if s.database.is_some() {
        let calls: Vec<(f64, f64)> = rows
            .iter()
            .map(|r| (x(r, scale), per_sec(r.tier.db_calls, r)))
            .collect();
        let failed: Vec<(f64, f64)> = rows
            .iter()
            .map(|r| (x(r, scale), per_sec(r.tier.db_calls_failed, r)))
            .collect();
        let writes: Vec<(f64, f64)> = rows
            .iter()
            .map(|r| (x(r, scale), per_sec(r.tier.db_write_errors, r)))
            .collect();
        let db_top = top(calls.iter().map(|p| p.1), 1.0);
        let mut lines = vec![
            Line {
                label: "calls".into(),
                color: PALETTE[0],
                points: calls,
            },
            Line {
                label: "failed calls".into(),
                color: FAULT,
                points: failed,
            },
            Line {
                label: "failed writes".into(),
                color: PALETTE[5],
                points: writes,
            },
        ];
        if s.cache.is_some() {
            lines.push(Line {
                label: "cache misses".into(),
                color: PALETTE[8],
                points: rows
                    .iter()
                    .map(|r| (x(r, scale), per_sec(r.tier.cache_misses, r)))
                    .collect(),
            });
        }
        out.push(Chart {
            stem: "database",
            title: format!("{}: database tier", s.name),
            panels: vec![Panel {
                title: "App calls to the database".into(),
                y_desc: "calls/s".into(),
                y: 0.0..db_top,
                lines,
                stack: vec![],
                refs: vec![],
                percent: false,
                marks: true,
            }],
        });
    }

    if s.autoscaling.is_some() {
        let g = |f: fn(&Row) -> u32| -> Vec<(f64, f64)> {
            rows.iter()
                .map(|r| (as_secs_f64(r.end) / scale, f64::from(f(r))))
                .collect()
        };
        let desired = g(|r| r.fleet.desired);
        let serving = g(|r| r.fleet.in_service);
        let booting = g(|r| r.fleet.booting);
        let n_top = top(desired.iter().chain(&serving).map(|p| p.1), 1.0).ceil();
        let cpu: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| r.fleet.cpu.map(|c| (x(r, scale), 100.0 * c)))
            .collect();
        out.push(Chart {
            stem: "autoscaling",
            title: format!("{}: Auto Scaling", s.name),
            panels: vec![
                Panel {
                    title: "Auto Scaling Group".into(),
                    y_desc: "instances".into(),
                    y: 0.0..n_top,
                    lines: vec![
                        Line {
                            label: "desired".into(),
                            color: GREY,
                            points: desired,
                        },
                        Line {
                            label: "in service".into(),
                            color: PALETTE[0],
                            points: serving,
                        },
                        Line {
                            label: "booting".into(),
                            color: PALETTE[1],
                            points: booting,
                        },
                    ],
                    stack: vec![],
                    refs: vec![],
                    percent: false,
                    marks: true,
                },
                Panel {
                    title: "CPU of running instances".into(),
                    y_desc: "busy workers (%)".into(),
                    y: 0.0..105.0,
                    lines: vec![Line {
                        label: "CPU".into(),
                        color: PALETTE[4],
                        points: cpu,
                    }],
                    stack: vec![],
                    refs: vec![],
                    percent: true,
                    marks: true,
                },
            ],
        });
    }
    if !alarms.is_empty() {
        out.push(alarm_chart(s, alarms, scale));
    }
    out
}

/// Most alarms drawn, one panel each.
const MAX_ALARM_PANELS: usize = 6;

/// Each alarm's datapoints against its threshold: why it fired, or not.
fn alarm_chart(s: &Scenario, alarms: &[AlarmOutcome], scale: f64) -> Chart {
    let panels = alarms
        .iter()
        .take(MAX_ALARM_PANELS)
        .map(|o| {
            let a = &o.alarm;
            let unit = a.metric.unit();
            let (factor, desc) = match unit {
                Unit::Ratio => (100.0, "%".to_string()),
                Unit::Seconds => (1000.0, "ms".to_string()),
                Unit::Count => (1.0, a.metric.name().replace('_', " ")),
            };
            let points: Vec<(f64, f64)> = o
                .datapoints
                .iter()
                .filter_map(|(t, v)| v.map(|v| (as_secs_f64(*t) / scale, v * factor)))
                .collect();
            let threshold = a.threshold * factor;
            let hi = points.iter().map(|p| p.1).fold(threshold, f64::max);
            let lo = points.iter().map(|p| p.1).fold(threshold, f64::min);
            let pad = ((hi - lo) * 0.1).max(if unit == Unit::Ratio { 0.5 } else { 1.0 });
            let floor = if lo >= 0.0 {
                (lo - pad).max(0.0)
            } else {
                lo - pad
            };
            Panel {
                title: format!("Alarm {}: {}", a.name, a.condition()),
                y_desc: desc,
                y: floor..hi + pad,
                lines: vec![Line {
                    label: "datapoint".into(),
                    color: PALETTE[0],
                    points,
                }],
                stack: vec![],
                refs: vec![(threshold, format!("threshold {}", unit.show(a.threshold)))],
                percent: unit == Unit::Ratio,
                marks: true,
            }
        })
        .collect();
    Chart {
        stem: "alarms",
        title: format!("{}: alarm datapoints against their thresholds", s.name),
        panels,
    }
}

impl Ctx {
    fn scale_of(s: &Scenario) -> f64 {
        let end_s = as_secs_f64(s.duration);
        if end_s <= 180.0 {
            1.0
        } else if end_s <= 3.0 * 3600.0 {
            60.0
        } else {
            3600.0
        }
    }
}

const WIDTH: u32 = 960;
const PANEL_HEIGHT: u32 = 300;
const CAPTION: u32 = 36;

fn size(chart: &Chart) -> (u32, u32) {
    (WIDTH, CAPTION + PANEL_HEIGHT * chart.panels.len() as u32)
}

pub(crate) fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A white page with `title` over it; returns the area under the title.
pub(crate) fn page<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(err)?;
    root.titled(title, (FAMILY, 20).into_font().style(FontStyle::Bold))
        .map_err(err)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
    ctx: &Ctx,
) -> Result<(Vec<Mark>, Vec<AxisPx>), String> {
    let root = page(root, &chart.title)?;
    let areas = root.split_evenly((chart.panels.len(), 1));
    let mut recorded = Vec::new();
    let mut axes = Vec::new();
    let x_end = ctx.x(ctx.end_s);
    for (panel, area) in chart.panels.iter().zip(&areas) {
        let mut c = ChartBuilder::on(area)
            .margin(8)
            .margin_right(24)
            .caption(&panel.title, (FAMILY, 15))
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_end, panel.y.clone())
            .map_err(err)?;
        let y_fmt = |v: &f64| {
            if panel.percent {
                format!("{v:.1}")
            } else if *v >= 10_000.0 {
                format!("{:.0}k", v / 1000.0)
            } else if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        };
        c.configure_mesh()
            .x_desc(format!("simulated time ({})", ctx.unit))
            .y_desc(&panel.y_desc)
            .y_label_formatter(&y_fmt)
            .label_style((FAMILY, 12))
            .axis_desc_style((FAMILY, 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        let (y0, y1) = (panel.y.start, panel.y.end);
        axes.push((
            c.backend_coord(&(0.0, y0)).0,
            c.backend_coord(&(x_end, y0)).0,
        ));
        // Fault windows first, under everything.
        for (i, &(a, b)) in ctx.windows.iter().enumerate() {
            let r = c
                .draw_series(std::iter::once(Rectangle::new(
                    [(ctx.x(a), y0), (ctx.x(b), y1)],
                    FAULT.mix(0.12).filled(),
                )))
                .map_err(err)?;
            if i == 0 {
                r.label("fault window").legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], FAULT.mix(0.3).filled())
                });
            }
            if panel.marks {
                recorded.push(Mark {
                    kind: "fault",
                    t_s: a,
                    end_s: Some(b),
                    x_px: c.backend_coord(&(ctx.x(a), y0)).0,
                    end_px: Some(c.backend_coord(&(ctx.x(b), y0)).0),
                });
            }
        }
        // Stacked layers: the whole stack first, then each lower part.
        let n = panel.stack.len();
        for k in (0..n).rev() {
            let pts: Vec<(f64, f64)> = (0..panel.stack[0].points.len())
                .map(|i| {
                    let x = panel.stack[0].points[i].0;
                    let y: f64 = panel.stack[..=k].iter().map(|l| l.points[i].1).sum();
                    (x, y)
                })
                .collect();
            let layer = &panel.stack[k];
            let color = layer.color;
            c.draw_series(AreaSeries::new(pts, y0, color.mix(0.85).filled()))
                .map_err(err)?
                .label(&layer.label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 18, y + 5)], color.filled())
                });
        }
        for (v, label) in &panel.refs {
            c.draw_series(LineSeries::new(
                vec![(0.0, *v), (x_end, *v)],
                GREY.stroke_width(1),
            ))
            .map_err(err)?
            .label(label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY));
        }
        for line in &panel.lines {
            let color = line.color;
            c.draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(&line.label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
            });
        }
        if panel.marks {
            let mut labelled: Vec<&str> = Vec::new();
            for (kind, t, _) in &ctx.marks {
                let color = mark_color(kind);
                let series = c
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(ctx.x(*t), y0), (ctx.x(*t), y1)],
                        color.stroke_width(2),
                    )))
                    .map_err(err)?;
                if !labelled.contains(kind) {
                    labelled.push(kind);
                    let name = match *kind {
                        "detected" => "detected",
                        "recovered" => "recovered",
                        "capacity_restored" => "capacity restored",
                        _ => "alarm fires",
                    };
                    series.label(name).legend(move |(x, y)| {
                        PathElement::new(
                            vec![(x + 9, y - 6), (x + 9, y + 6)],
                            color.stroke_width(2),
                        )
                    });
                }
                recorded.push(Mark {
                    kind,
                    t_s: *t,
                    end_s: None,
                    x_px: c.backend_coord(&(ctx.x(*t), y0)).0,
                    end_px: None,
                });
            }
        }
        c.configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .label_font((FAMILY, 12))
            .background_style(WHITE.mix(0.85))
            .border_style(GREY)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok((recorded, axes))
}

/// Pixel columns of simulated time 0 and of the end of the run.
pub type AxisPx = (i32, i32);

/// A drawn chart: its SVG text and where its marks went.
pub struct Drawn {
    pub stem: &'static str,
    pub title: String,
    pub svg: String,
    /// Marks of every panel, in drawing order.
    pub marks: Vec<Mark>,
    /// Per panel, the pixel columns of simulated time 0 and of the run's
    /// end: where a time lands is linear between them.
    pub axes_px: Vec<AxisPx>,
}

/// Draws every chart of a run as SVG.
pub fn draw_all(
    s: &Scenario,
    sum: &Summary,
    rows: &[Row],
    alarms: &[AlarmOutcome],
) -> Result<Vec<Drawn>, String> {
    font::ensure_registered();
    let ctx = Ctx::new(s, sum, alarms);
    charts(s, rows, alarms)
        .into_iter()
        .map(|chart| {
            debug_assert!(STEMS.contains(&chart.stem), "{} not in STEMS", chart.stem);
            let mut svg = String::new();
            let (marks, axes_px) = {
                let root = SVGBackend::with_string(&mut svg, size(&chart)).into_drawing_area();
                draw(&root, &chart, &ctx)?
            };
            Ok(Drawn {
                stem: chart.stem,
                title: chart.title,
                svg,
                marks,
                axes_px,
            })
        })
        .collect()
}

/// Draws every chart of a run as PNG files `<stem>.png` in `dir`.
pub fn write_pngs(
    s: &Scenario,
    sum: &Summary,
    rows: &[Row],
    alarms: &[AlarmOutcome],
    dir: &Path,
) -> Result<Vec<std::path::PathBuf>, String> {
    font::ensure_registered();
    let ctx = Ctx::new(s, sum, alarms);
    let mut written = Vec::new();
    for chart in charts(s, rows, alarms) {
        // The encoder picks the format from the extension: the temporary
        // name ends in .png too. Renamed into place once complete.
        let tmp = dir.join(format!(".{}.tmp.png", chart.stem));
        let path = dir.join(format!("{}.png", chart.stem));
        {
            let root = BitMapBackend::new(&tmp, size(&chart)).into_drawing_area();
            draw(&root, &chart, &ctx).map_err(|e| format!("{}: {e}", tmp.display()))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
