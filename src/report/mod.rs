//! Everything a run writes: `summary.json`, `timeseries.csv`, the optional
//! `events.jsonl` trace, and the short terminal summary. Reads metrics and
//! the scenario, never the actors.

pub mod diagram;
pub mod font;
pub mod summary;
pub mod text;
pub mod timeseries;

use std::cell::RefCell;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;

pub use summary::{CacheSummary, DatabaseSummary, DbFailoverSummary, SessionStoreSummary, Summary};

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
        let file = File::create(&tmp).map_err(|e| out_err(&tmp, e))?;
        Ok((Staged { tmp, dest }, file))
    }

    fn commit(self) -> Result<PathBuf, OutputError> {
        fs::rename(&self.tmp, &self.dest).map_err(|e| out_err(&self.dest, e))?;
        Ok(self.dest)
    }
}

/// Runs `s` and writes its files into `out/<scenario name>/`, reporting
/// simulated time to `progress` now and then.
pub fn run_to_dir(
    s: &Scenario,
    out: &Path,
    trace: bool,
    progress: Option<Progress>,
) -> Result<(Summary, RunOutput, RunFiles), OutputError> {
    if out.exists() && !out.is_dir() {
        return Err(out_err(out, "--out must be a folder, and this is a file"));
    }
    let dir = out.join(&s.name);
    fs::create_dir_all(&dir).map_err(|e| out_err(&dir, e))?;

    let (ts_stage, ts_file) = Staged::create(dir.join("timeseries.csv"))?;
    let csv_error = Rc::new(RefCell::new(None));
    let sink = timeseries::CsvSink::new(ts_file, timeseries::Columns::of(s), csv_error.clone());
    let trace_stage = if trace {
        let (stage, file) = Staged::create(dir.join("events.jsonl"))?;
        Some((stage, Box::new(BufWriter::new(file)) as Box<dyn Write>))
    } else {
        None
    };
    let (trace_stage, trace_out) = match trace_stage {
        Some((stage, w)) => (Some(stage), Some(w)),
        None => (None, None),
    };

    let output = simulate_with_progress(s, Box::new(sink), trace_out, progress);

    if let Some(e) = csv_error.borrow().as_ref() {
        return Err(out_err(&ts_stage.tmp, e));
    }
    if let (Some(e), Some(stage)) = (&output.trace_error, &trace_stage) {
        return Err(out_err(&stage.tmp, e));
    }
    let summary = Summary::new(s, &output);
    let (sum_stage, mut sum_file) = Staged::create(dir.join("summary.json"))?;
    let json = serde_json::to_string_pretty(&summary).expect("summary serializes");
    sum_file
        .write_all(json.as_bytes())
        .and_then(|()| sum_file.write_all(b"\n"))
        .and_then(|()| sum_file.sync_all())
        .map_err(|e| out_err(&sum_stage.tmp, e))?;
    let files = RunFiles {
        dir,
        timeseries: ts_stage.commit()?,
        events: trace_stage.map(Staged::commit).transpose()?,
        summary: sum_stage.commit()?,
    };
    Ok((summary, output, files))
}
