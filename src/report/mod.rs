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
        K::ResourceBusy => {
            "the folder is busy (a mount point?): a run replaces its folder whole, so give \
             --out the folder above a mount"
        }
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

/// A buffered file whose errors read as [`describe`] says and whose flush
/// reaches the disk.
struct Durable(BufWriter<File>);

impl Write for Durable {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(described)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(described)?;
        self.0.get_ref().sync_all().map_err(described)
    }
}

/// The same error with [`describe`]'s words.
pub fn described(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), describe(&e))
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

/// Whether a run writes a file of this name (its temporaries included), or
/// it is one a file browser drops into any folder.
fn written_by_a_run(name: &str) -> bool {
    let name = name
        .strip_prefix('.')
        .and_then(|n| {
            n.strip_suffix(".tmp")
                .or_else(|| n.strip_suffix(".tmp.png"))
        })
        .unwrap_or(name);
    let picture = |ext: &str| {
        name.strip_suffix(ext)
            .is_some_and(|stem| stem == "diagram" || charts::STEMS.contains(&stem))
    };
    matches!(
        name,
        "summary.json"
            | "timeseries.csv"
            | "events.jsonl"
            | "timeline.txt"
            | "report.html"
            | ".DS_Store"
            | "Thumbs.db"
            | "desktop.ini"
    ) || picture(".svg")
        || picture(".png")
}

/// What is in a folder a run would replace.
struct Contents {
    run: bool,
    foreign: Vec<String>,
}

fn contents(dir: &Path) -> Result<Contents, OutputError> {
    let mut c = Contents {
        run: false,
        foreign: Vec::new(),
    };
    for entry in fs::read_dir(dir).map_err(|e| io_err(dir, &e))? {
        let entry = entry.map_err(|e| io_err(dir, &e))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        c.run |= file == "summary.json";
        if !written_by_a_run(&file) || !entry.file_type().is_ok_and(|t| t.is_file()) {
            c.foreign.push(file);
        }
    }
    c.foreign.sort();
    Ok(c)
}

impl Contents {
    /// Why a run may not replace the folder `dest`, if it may not.
    fn refusal(&self, dest: &Path, force: bool) -> Option<OutputError> {
        if !self.foreign.is_empty() {
            let more = self.foreign.len().saturating_sub(3);
            let shown = self.foreign[..self.foreign.len().min(3)].join(", ");
            return Some(out_err(
                dest,
                format!(
                    "holds files a run does not write ({shown}{}); a run replaces the whole \
                     folder, so it will not touch this one: choose another --out",
                    if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    }
                ),
            ));
        }
        (self.run && !force).then(|| {
            out_err(
                dest,
                "holds a run already: pass --force to replace it, or choose another --out",
            )
        })
    }
}

/// A run's folder while it is written: a hidden sibling of the final
/// folder, put in place whole when complete. The folder therefore always
/// holds either the previous run or the complete new one, whenever the
/// process dies; what a killed run left is cleaned up by the next run of
/// the same scenario.
///
/// Each run has an id (process id and a nonce) and holds a lock on
/// `.NAME.ID.lock` beside the folder while it runs: a hidden folder whose
/// lock nobody holds belongs to a dead run, on this machine or another one
/// sharing the disk.
pub struct RunFolder {
    tmp: PathBuf,
    dest: PathBuf,
    /// Held until the folder is dropped (fields drop after `drop`).
    _lock: Lock,
    force: bool,
    done: bool,
}

impl RunFolder {
    /// Checks that `out/<name>` may be written (no run there unless
    /// `force`, nothing a run does not write) and makes the hidden folder.
    pub fn begin(out: &Path, name: &str, force: bool) -> Result<RunFolder, OutputError> {
        check_out(out)?;
        fs::create_dir_all(out).map_err(|e| io_err(out, &e))?;
        let dest = out.join(name);
        recover_abandoned(out, name);
        match fs::symlink_metadata(&dest) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(out_err(
                    &dest,
                    "is a symbolic link; a run replaces its folder whole, so it writes only \
                     into a real folder: give the link's target as --out's folder instead",
                ));
            }
            Ok(m) if !m.is_dir() => {
                return Err(out_err(
                    &dest,
                    "is a file, and a run writes a folder here: move it, or choose another --out",
                ));
            }
            Ok(_) => {
                if let Some(e) = contents(&dest)?.refusal(&dest, force) {
                    return Err(e);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err(&dest, &e)),
        }
        let id = format!("{}-{:08x}", std::process::id(), nonce());
        let lock =
            Lock::take(&out.join(format!(".{name}.{id}.lock"))).map_err(|e| io_err(out, &e))?;
        let tmp = out.join(format!(".{name}.{id}.partial"));
        fs::create_dir(&tmp).map_err(|e| io_err(out, &e))?;
        Ok(RunFolder {
            tmp,
            dest,
            _lock: lock,
            force,
            done: false,
        })
    }

    /// Where the files go until [`RunFolder::commit`].
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// Puts the folder in place. What it replaces is checked again at that
    /// moment: a run that finished meanwhile, or a file added meanwhile, is
    /// put back and the run refused.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        let out = self
            .dest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        sync_dir(&self.tmp);
        let err = |e: std::io::Error| io_err(&self.dest, &e);
        match swap(&self.tmp, &self.dest) {
            // Nothing was there: done.
            Ok(false) => {}
            Ok(true) => {
                // The old folder is now under the hidden name.
                let old = contents(&self.tmp)?;
                if let Some(refusal) = old.refusal(&self.dest, self.force) {
                    swap(&self.tmp, &self.dest).map_err(err)?;
                    return Err(refusal);
                }
                if abort_at("commit") {
                    std::process::abort();
                }
                let _ = fs::remove_dir_all(&self.tmp);
            }
            Err(e) => return Err(err(e)),
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
        // The lock goes after this, with the field.
    }
}

/// A few bits that differ between runs started in the same process or
/// the same nanosecond on two machines.
fn nonce() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now()) as u32
}

/// Puts `tmp` at `dest`: renamed when nothing is there (never onto a
/// folder that appeared meanwhile), else exchanged with it. True when
/// something was there, which is now at `tmp`.
fn swap(tmp: &Path, dest: &Path) -> std::io::Result<bool> {
    match rename2(tmp, dest, Rename::NoReplace) {
        Ok(()) => return Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
            if !dest.exists() {
                fs::rename(tmp, dest)?;
                return Ok(false);
            }
        }
        Err(e) => return Err(e),
    }
    match rename2(tmp, dest, Rename::Exchange) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
            // Without an atomic exchange the old folder steps aside first;
            // a kill between the two renames leaves it at `.old`, and the
            // next run puts it back (`recover_abandoned`).
            let aside = tmp.with_extension("old");
            fs::rename(dest, &aside)?;
            if let Err(e) = fs::rename(tmp, dest) {
                let _ = fs::rename(&aside, dest);
                return Err(e);
            }
            fs::rename(&aside, tmp)?;
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

#[derive(Clone, Copy)]
enum Rename {
    NoReplace,
    Exchange,
}

/// `renameat2` (Linux): one atomic step. Unsupported elsewhere, and where
/// the file system refuses the flag.
#[cfg(target_os = "linux")]
fn rename2(a: &Path, b: &Path, how: Rename) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    let flags: libc::c_uint = match how {
        Rename::NoReplace => libc::RENAME_NOREPLACE,
        Rename::Exchange => libc::RENAME_EXCHANGE,
    };
    // SAFETY: both are valid NUL-terminated paths for the call's duration;
    // the raw system call works with any C library.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EINVAL | libc::ENOSYS | libc::ENOTSUP) => {
            Err(std::io::ErrorKind::Unsupported.into())
        }
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn rename2(_a: &Path, _b: &Path, _how: Rename) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// An exclusive lock on a file, held while the run lives (the system drops
/// it when the process dies).
struct Lock {
    path: PathBuf,
    file: Option<File>,
}

impl Lock {
    fn take(path: &Path) -> std::io::Result<Lock> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        if !try_lock(&file) {
            return Err(std::io::Error::other("the run's lock file is in use"));
        }
        Ok(Lock {
            path: path.to_path_buf(),
            file: Some(file),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Takes the lock on `file` if no one holds it.
fn try_lock(file: &File) -> bool {
    file.try_lock().is_ok()
}

/// Cleans up after runs of `name` that died: their hidden folders go, and a
/// previous run a killed swap left aside is put back in place.
fn recover_abandoned(out: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    let prefix = format!(".{name}.");
    let mut ids = Vec::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(id) = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".lock"))
            // The id is the process id and a nonce, nothing with dots.
            .filter(|id| !id.contains('.'))
        {
            ids.push(id.to_string());
        }
    }
    for id in ids {
        let lock_path = out.join(format!("{prefix}{id}.lock"));
        let Ok(lock) = fs::OpenOptions::new().write(true).open(&lock_path) else {
            continue;
        };
        if !try_lock(&lock) {
            continue; // Alive.
        }
        let dest = out.join(name);
        let old = out.join(format!("{prefix}{id}.old"));
        if old.is_dir() && !dest.exists() {
            let _ = fs::rename(&old, &dest);
        }
        let _ = fs::remove_dir_all(&old);
        let _ = fs::remove_dir_all(out.join(format!("{prefix}{id}.partial")));
        let _ = fs::remove_file(&lock_path);
    }
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
        // Through links and `..`: the folders that exist, resolved.
        let real = |p: &Path| {
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
            parent
                .unwrap_or(Path::new("."))
                .canonicalize()
                .ok()
                .map(|d| d.join(p.file_name().unwrap_or_default()))
        };
        let inside = match (real(m), real(&out.join(&s.name))) {
            (Some(m), Some(dir)) => m.starts_with(dir),
            _ => false,
        };
        if inside {
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
        Some((
            stage,
            Box::new(Durable(BufWriter::new(file))) as Box<dyn Write>,
        ))
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
