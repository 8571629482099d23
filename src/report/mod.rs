//! Everything a run writes: `summary.json`, `timeseries.csv`, the optional
//! `events.jsonl` trace, `timeline.txt`, the charts, `report.html`, the
//! OpenMetrics export, the architecture diagram and the short terminal
//! summary. Reads metrics and the scenario, never the actors.

pub mod charts;
pub mod diagram;
pub mod font;
pub mod html;
pub mod lang;
pub mod openmetrics;
pub mod summary;
pub mod text;
pub mod timeline;
pub mod timeseries;

use std::cell::RefCell;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub use lang::{Label, Lang, label};
pub use summary::{
    CacheSummary, CostSummary, DatabaseSummary, DbFailoverSummary, SessionStoreSummary, Summary,
};

use crate::metrics::RowSink;
use crate::model::{Progress, RunOutput, simulate_with_progress};
use crate::scenario::Scenario;

/// An output file or folder could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OutputError {
    pub path: PathBuf,
    pub message: String,
}

fn out_err(path: &Path, e: impl ToString) -> OutputError {
    OutputError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Where a run's files went.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub dir: PathBuf,
    pub summary: PathBuf,
    pub timeseries: PathBuf,
    pub events: Option<PathBuf>,
    pub timeline: PathBuf,
    /// SVG charts (and PNG ones with `png`).
    pub charts: Vec<PathBuf>,
    pub report: PathBuf,
    pub metrics: Option<PathBuf>,
}

impl RunFiles {
    /// File names relative to the run's folder (others in full).
    pub fn names(&self) -> Vec<String> {
        let mut all = vec![&self.summary, &self.timeseries];
        all.extend(&self.events);
        all.push(&self.timeline);
        all.extend(&self.charts);
        all.push(&self.report);
        all.extend(&self.metrics);
        all.iter()
            .map(|p| match p.strip_prefix(&self.dir) {
                Ok(rel) => rel.display().to_string(),
                Err(_) => p.display().to_string(),
            })
            .collect()
    }
}

/// What a run writes besides its summary, series and charts.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// `events.jsonl`.
    pub trace: bool,
    /// PNG copies of the charts.
    pub png: bool,
    /// OpenMetrics export of the simulated metrics.
    pub metrics_out: Option<PathBuf>,
    /// Unix time (seconds) of the simulated time 0 in the export.
    pub metrics_start: f64,
}

/// A finished run: its numbers, its story and where it was written.
pub struct RunResult {
    pub summary: Summary,
    pub output: RunOutput,
    pub timeline: Vec<timeline::Entry>,
    /// The charts as drawn (their SVG is in the run's folder too).
    pub charts: Vec<charts::Drawn>,
    /// Wall time of the simulation alone (not of the files).
    pub simulation: std::time::Duration,
    pub files: RunFiles,
}

/// Sends each row to several sinks.
struct Tee(Vec<Box<dyn RowSink>>);

impl RowSink for Tee {
    fn latency(&mut self, hist: &hdrhistogram::Histogram<u64>) {
        for s in &mut self.0 {
            s.latency(hist);
        }
    }
    fn row(&mut self, row: &crate::metrics::Row) {
        for s in &mut self.0 {
            s.row(row);
        }
    }
    fn finish(&mut self) {
        for s in &mut self.0 {
            s.finish();
        }
    }
}

/// A file written under a temporary name and renamed into place when
/// complete, so an interrupted run never leaves a truncated result.
struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
}

impl Staged {
    fn create(dest: PathBuf) -> Result<(Staged, File), OutputError> {
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dest.with_file_name(format!(".{name}.tmp"));
        let file = File::create(&tmp).map_err(|e| out_err(&dest, e))?;
        Ok((Staged { tmp, dest }, file))
    }

    fn commit(self) -> Result<PathBuf, OutputError> {
        fs::rename(&self.tmp, &self.dest).map_err(|e| out_err(&self.dest, e))?;
        Ok(self.dest.clone())
    }
}

impl Drop for Staged {
    /// A file never committed leaves no temporary behind (after a commit
    /// the temporary name no longer exists and this does nothing).
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

/// The folder a run of `s` writes into, `out/<scenario name>/`, created.
pub fn run_dir(out: &Path, s: &Scenario) -> Result<PathBuf, OutputError> {
    if out.exists() && !out.is_dir() {
        return Err(out_err(out, "--out must be a folder, and this is a file"));
    }
    let dir = out.join(&s.name);
    fs::create_dir_all(&dir).map_err(|e| out_err(&dir, e))?;
    Ok(dir)
}

/// Writes `bytes` to `dest` through a temporary file.
pub fn write_file(dest: PathBuf, bytes: &[u8]) -> Result<PathBuf, OutputError> {
    let (stage, mut file) = Staged::create(dest)?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| out_err(&stage.dest, e))?;
    stage.commit()
}

/// Runs `s` and writes its files into `out/<scenario name>/`, reporting
/// simulated time to `progress` now and then.
pub fn run_to_dir(
    s: &Scenario,
    out: &Path,
    opts: &RunOptions,
    progress: Option<Progress>,
) -> Result<RunResult, OutputError> {
    if let Some(m) = &opts.metrics_out
        && m.is_dir()
    {
        return Err(out_err(
            m,
            "--metrics-out must be a file, and this is a folder",
        ));
    }
    let dir = run_dir(out, s)?;

    let (ts_stage, ts_file) = Staged::create(dir.join("timeseries.csv"))?;
    let csv_error = Rc::new(RefCell::new(None));
    let csv = timeseries::CsvSink::new(ts_file, timeseries::Columns::of(s), csv_error.clone());
    let series = Rc::new(RefCell::new(charts::Series::default()));
    let mut sinks: Vec<Box<dyn RowSink>> =
        vec![Box::new(csv), Box::new(charts::SeriesSink(series.clone()))];
    // Opened before the run, so a bad path costs nothing.
    let export = match &opts.metrics_out {
        None => None,
        Some(path) => {
            let (stage, file) = Staged::create(path.clone())?;
            let e = Rc::new(RefCell::new(openmetrics::Export::new(s)));
            sinks.push(Box::new(openmetrics::ExportSink(e.clone())));
            Some((stage, file, e))
        }
    };
    let trace_stage = if opts.trace {
        let (stage, file) = Staged::create(dir.join("events.jsonl"))?;
        Some((stage, Box::new(BufWriter::new(file)) as Box<dyn Write>))
    } else {
        None
    };
    let (trace_stage, trace_out) = match trace_stage {
        Some((stage, w)) => (Some(stage), Some(w)),
        None => (None, None),
    };

    let clock = std::time::Instant::now();
    let output = simulate_with_progress(s, Box::new(Tee(sinks)), trace_out, progress);
    let simulation = clock.elapsed();

    if let Some(e) = csv_error.borrow().as_ref() {
        return Err(out_err(&ts_stage.dest, e));
    }
    if let (Some(e), Some(stage)) = (&output.trace_error, &trace_stage) {
        return Err(out_err(&stage.dest, e));
    }
    let summary = Summary::new(s, &output);
    let json = serde_json::to_string_pretty(&summary).expect("summary serializes") + "\n";
    let summary_path = write_file(dir.join("summary.json"), json.as_bytes())?;

    let entries = timeline::entries(s, &summary, &output);
    let story = timeline::render(&entries, output.events_left_out, usize::MAX);
    let timeline_path = write_file(dir.join("timeline.txt"), story.as_bytes())?;

    let rows = std::mem::take(&mut series.borrow_mut().rows);
    let drawn = charts::draw_all(s, &summary, &rows, &output.metrics.alarms)
        .map_err(|e| out_err(&dir, format!("drawing the charts: {e}")))?;
    let mut chart_paths = Vec::new();
    for d in &drawn {
        chart_paths.push(write_file(
            dir.join(format!("{}.svg", d.stem)),
            d.svg.as_bytes(),
        )?);
    }
    if opts.png {
        let pngs = charts::write_pngs(s, &summary, &rows, &output.metrics.alarms, &dir)
            .map_err(|e| out_err(&dir, e))?;
        chart_paths.extend(pngs);
    }
    let page = html::page(s, &summary, &drawn, &entries, &diagram::svg(s));
    let report_path = write_file(dir.join("report.html"), page.as_bytes())?;

    let metrics_path = match export {
        Some((stage, mut file, e)) => {
            let text = e
                .borrow()
                .render(&output.metrics.alarms, opts.metrics_start);
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| out_err(&stage.dest, e))?;
            Some(stage.commit()?)
        }
        None => None,
    };
    let files = RunFiles {
        dir,
        timeseries: ts_stage.commit()?,
        events: trace_stage.map(Staged::commit).transpose()?,
        summary: summary_path,
        timeline: timeline_path,
        charts: chart_paths,
        report: report_path,
        metrics: metrics_path,
    };
    Ok(RunResult {
        summary,
        output,
        timeline: entries,
        charts: drawn,
        simulation,
        files,
    })
}
