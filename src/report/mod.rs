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

impl OutputError {
    /// The same error named at the final folder instead of the hidden one
    /// it was written in (which is gone by the time the user reads it).
    fn relocated(self, tmp: &Path, dest: &Path) -> OutputError {
        let path = match self.path.strip_prefix(tmp) {
            Ok(rel) => dest.join(rel),
            Err(_) => self.path,
        };
        let message = self
            .message
            .replace(&tmp.display().to_string(), &dest.display().to_string());
        OutputError { path, message }
    }
}

fn out_err(path: &Path, e: impl ToString) -> OutputError {
    OutputError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn io_err(path: &Path, e: &std::io::Error) -> OutputError {
    out_err(path, describe(e))
}

/// An I/O error in words a user can act on: the cause first, the system's
/// own message after.
pub fn describe(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let cause = match e.kind() {
        K::PermissionDenied => "cannot write here: permission denied (a read-only folder?)",
        K::ReadOnlyFilesystem => "cannot write here: the file system is read-only",
        K::StorageFull => "the disk is full",
        K::QuotaExceeded => "the disk quota is used up",
        K::FileTooLarge => "the file is too large for the disk or the process's file size limit",
        _ => return e.to_string(),
    };
    format!("{cause} ({e})")
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
    /// Replace a run already in the folder.
    pub force: bool,
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
        let file = File::create(&tmp).map_err(|e| io_err(&dest, &e))?;
        Ok((Staged { tmp, dest }, file))
    }

    fn commit(self) -> Result<PathBuf, OutputError> {
        fs::rename(&self.tmp, &self.dest).map_err(|e| io_err(&self.dest, &e))?;
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

/// `--out` exists and is not a folder.
fn check_out(out: &Path) -> Result<(), OutputError> {
    if out.exists() && !out.is_dir() {
        return Err(out_err(out, "--out must be a folder, and this is a file"));
    }
    Ok(())
}

/// The folder a run of `s` writes into, `out/<scenario name>/`, created
/// (for `sim diagram`, which adds one file to it).
pub fn run_dir(out: &Path, s: &Scenario) -> Result<PathBuf, OutputError> {
    check_out(out)?;
    let dir = out.join(&s.name);
    fs::create_dir_all(&dir).map_err(|e| io_err(&dir, &e))?;
    Ok(dir)
}

/// Test hook: `FAILOVER_SIM_ABORT_AT=<file name>` aborts the process half
/// way through writing that file, and `=commit` between putting a run's
/// folder in place and deleting the old one: the interruption tests kill a
/// run at the worst moments this way.
pub const ABORT_ENV: &str = "FAILOVER_SIM_ABORT_AT";

fn abort_at(stage: &str) -> bool {
    std::env::var_os(ABORT_ENV).is_some_and(|v| v == stage)
}

/// Writes `bytes` to `dest` through a temporary file.
pub fn write_file(dest: PathBuf, bytes: &[u8]) -> Result<PathBuf, OutputError> {
    let (stage, mut file) = Staged::create(dest)?;
    if stage
        .dest
        .file_name()
        .is_some_and(|n| abort_at(&n.to_string_lossy()))
    {
        let _ = file.write_all(&bytes[..bytes.len() / 2]);
        let _ = file.sync_all();
        std::process::abort();
    }
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_err(&stage.dest, &e))?;
    stage.commit()
}

/// Whether a run writes a file of this name (its temporaries included).
fn written_by_a_run(name: &str) -> bool {
    matches!(
        name,
        "summary.json" | "timeseries.csv" | "events.jsonl" | "timeline.txt" | "report.html"
    ) || name.ends_with(".svg")
        || name.ends_with(".png")
        || (name.starts_with('.') && name.contains(".tmp"))
}

/// A run's folder while it is written: a hidden sibling of the final
/// folder, put in place whole when complete. The folder therefore always
/// holds either the previous run or the complete new one, whenever the
/// process dies; a folder left behind by a killed run is deleted by the
/// next run of the same scenario.
pub struct RunFolder {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl RunFolder {
    /// Checks that `out/<name>` may be written (no run there unless
    /// `force`, nothing a run does not write) and makes the hidden folder.
    pub fn begin(out: &Path, name: &str, force: bool) -> Result<RunFolder, OutputError> {
        check_out(out)?;
        fs::create_dir_all(out).map_err(|e| io_err(out, &e))?;
        let dest = out.join(name);
        match fs::symlink_metadata(&dest) {
            Ok(m) if !m.is_dir() => {
                return Err(out_err(
                    &dest,
                    "is a file, and a run writes a folder here: move it, or choose another --out",
                ));
            }
            Ok(_) => {
                let mut foreign = Vec::new();
                let mut has_run = false;
                for entry in fs::read_dir(&dest).map_err(|e| io_err(&dest, &e))? {
                    let entry = entry.map_err(|e| io_err(&dest, &e))?;
                    let file = entry.file_name().to_string_lossy().into_owned();
                    has_run |= file == "summary.json";
                    if !written_by_a_run(&file) || entry.file_type().is_ok_and(|t| t.is_dir()) {
                        foreign.push(file);
                    }
                }
                if !foreign.is_empty() {
                    foreign.sort();
                    let more = foreign.len().saturating_sub(3);
                    foreign.truncate(3);
                    return Err(out_err(
                        &dest,
                        format!(
                            "holds files a run does not write ({}{}); a run replaces the \
                             whole folder, so it will not touch this one: choose another --out",
                            foreign.join(", "),
                            if more > 0 {
                                format!(" and {more} more")
                            } else {
                                String::new()
                            }
                        ),
                    ));
                }
                if has_run && !force {
                    return Err(out_err(
                        &dest,
                        "holds a run already: pass --force to replace it, or choose another --out",
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&dest, &e)),
        }
        remove_abandoned(out, name);
        let tmp = out.join(format!(".{name}.partial-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(|e| io_err(&tmp, &e))?;
        }
        fs::create_dir(&tmp).map_err(|e| io_err(out, &e))?;
        Ok(RunFolder {
            tmp,
            dest,
            done: false,
        })
    }

    /// Where the files go until [`RunFolder::commit`].
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Puts the folder in place, replacing the previous run's.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        let out = self
            .dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let err = |e: std::io::Error| io_err(&self.dest, &e);
        if self.dest.exists() {
            // Swapped in one step where the system can; else the old folder
            // steps aside first (a kill between the two renames leaves both
            // hidden, and the next run cleans them up).
            if exchange(&self.tmp, &self.dest).is_err() {
                let aside = out.join(format!(
                    ".{}.old-{}",
                    self.dest.file_name().unwrap_or_default().to_string_lossy(),
                    std::process::id()
                ));
                fs::rename(&self.dest, &aside).map_err(err)?;
                if let Err(e) = fs::rename(&self.tmp, &self.dest) {
                    let _ = fs::rename(&aside, &self.dest);
                    return Err(err(e));
                }
                fs::rename(&aside, &self.tmp).map_err(err)?;
            }
            if abort_at("commit") {
                std::process::abort();
            }
            // The old run, now under the hidden name.
            let _ = fs::remove_dir_all(&self.tmp);
        } else {
            fs::rename(&self.tmp, &self.dest).map_err(err)?;
        }
        self.done = true;
        sync_dir(&out);
        Ok(self.dest.clone())
    }
}

impl Drop for RunFolder {
    /// A run that failed leaves nothing behind.
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Deletes hidden folders of `name` whose process is gone (a run killed
/// before it finished).
fn remove_abandoned(out: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&format!(".{name}.")) else {
            continue;
        };
        let pid = rest
            .strip_prefix("partial-")
            .or_else(|| rest.strip_prefix("old-"))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !alive(pid)
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return true;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    true
}

/// Swaps two folders in one step (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both are valid NUL-terminated paths for the call's duration.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Makes a rename in `dir` durable (best effort).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
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
    if let Some(m) = &opts.metrics_out {
        let inside = |m: &Path| {
            let (m, dir) = (
                std::path::absolute(m),
                std::path::absolute(out.join(&s.name)),
            );
            matches!((m, dir), (Ok(m), Ok(dir)) if m.starts_with(&dir))
        };
        if inside(m) {
            return Err(out_err(
                m,
                "--metrics-out must be outside the run's folder, which a run replaces whole",
            ));
        }
    }
    let folder = RunFolder::begin(out, &s.name, opts.force)?;
    let (tmp, dest) = (folder.tmp.clone(), folder.dest.clone());
    write_run(s, opts, progress, folder).map_err(|e| e.relocated(&tmp, &dest))
}

/// Writes a run's files into `folder` and puts it in place.
fn write_run(
    s: &Scenario,
    opts: &RunOptions,
    progress: Option<Progress>,
    folder: RunFolder,
) -> Result<RunResult, OutputError> {
    let dir = folder.path().to_path_buf();

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
    let architecture = diagram::svg(s);
    chart_paths.push(write_file(
        dir.join("diagram.svg"),
        architecture.as_bytes(),
    )?);
    let page = html::page(s, &summary, &drawn, &entries, &architecture);
    let report_path = write_file(dir.join("report.html"), page.as_bytes())?;

    let metrics_path = match export {
        Some((stage, mut file, e)) => {
            let text = e
                .borrow()
                .render(&output.metrics.alarms, opts.metrics_start);
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| io_err(&stage.dest, &e))?;
            Some(stage)
        }
        None => None,
    };
    let timeseries = ts_stage.commit()?;
    let events = trace_stage.map(Staged::commit).transpose()?;
    // Every file is complete: the folder goes in place, then the export
    // beside it.
    let final_dir = folder.commit()?;
    let moved = |p: PathBuf| match p.strip_prefix(&dir) {
        Ok(rel) => final_dir.join(rel),
        Err(_) => p,
    };
    let files = RunFiles {
        timeseries: moved(timeseries),
        events: events.map(moved),
        summary: moved(summary_path),
        timeline: moved(timeline_path),
        charts: chart_paths.into_iter().map(moved).collect(),
        report: moved(report_path),
        metrics: metrics_path.map(Staged::commit).transpose()?,
        dir: final_dir,
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
