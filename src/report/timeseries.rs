//! `timeseries.csv`: one row per closed time bucket, written as it closes.

use std::cell::RefCell;
use std::fs::File;
use std::io::BufWriter;
use std::rc::Rc;

use crate::engine::as_secs_f64;
use crate::metrics::{DropReason, Row, RowSink};
use crate::scenario::{DbMode, Scenario, Sessions};

/// Writes rows as CSV; the first write error is kept for the caller.
pub struct CsvSink {
    writer: Option<csv::Writer<BufWriter<File>>>,
    cols: Columns,
    error: Rc<RefCell<Option<String>>>,
}

/// Which optional column groups a run's CSV has.
#[derive(Debug, Clone)]
pub struct Columns {
    pub azs: Vec<String>,
    pub database: bool,
    /// A `multi_writer` database: its writes and write conflicts.
    pub writers: bool,
    pub cache: bool,
    pub sessions: bool,
    /// The Auto Scaling Group's sizes.
    pub autoscaling: bool,
}

impl Columns {
    pub fn of(s: &Scenario) -> Columns {
        Columns {
            azs: s.azs.clone(),
            database: s.database.is_some(),
            writers: s
                .database
                .as_ref()
                .is_some_and(|d| d.mode == DbMode::MultiWriter),
            cache: s.cache.is_some(),
            sessions: s.app.sessions != Sessions::Jwt,
            autoscaling: s.autoscaling.is_some(),
        }
    }
}

/// Column names, in order.
pub fn header(cols: &Columns) -> Vec<String> {
    let azs = &cols.azs;
    let mut h: Vec<String> = ["t_start_s", "t_end_s", "issued", "succeeded", "dropped"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    h.extend(
        DropReason::ALL
            .iter()
            .map(|r| format!("dropped_{}", r.name())),
    );
    h.extend(
        [
            "success_ratio",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "max_ms",
            "attempts",
            "retries",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    h.extend(azs.iter().map(|az| format!("healthy_{az}")));
    let mut add = |names: &[&str]| h.extend(names.iter().map(|s| s.to_string()));
    if cols.database {
        add(&[
            "db_calls",
            "db_calls_failed",
            "db_success_ratio",
            "db_write_errors",
            "db_queries",
        ]);
    }
    if cols.writers {
        add(&["db_writes", "db_write_conflicts"]);
    }
    if cols.cache {
        add(&["cache_hits", "cache_misses", "cache_hit_ratio"]);
    }
    if cols.sessions {
        add(&["sessions_lost"]);
    }
    add(&["cpu"]);
    if cols.autoscaling {
        add(&["desired", "in_service", "booting"]);
    }
    h
}

impl CsvSink {
    /// A sink writing to `file`; errors land in `error`.
    pub fn new(file: File, cols: Columns, error: Rc<RefCell<Option<String>>>) -> CsvSink {
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        let first = writer.write_record(header(&cols));
        let mut sink = CsvSink {
            writer: None,
            cols,
            error,
        };
        match first {
            Ok(()) => sink.writer = Some(writer),
            Err(e) => sink.fail(e),
        }
        sink
    }

    fn fail(&mut self, e: csv::Error) {
        let message = match e.kind() {
            csv::ErrorKind::Io(io) => super::describe(io),
            _ => e.to_string(),
        };
        self.error.borrow_mut().get_or_insert(message);
        self.writer = None;
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// The CSV fields of one row.
pub fn fields(row: &Row, cols: &Columns) -> Vec<String> {
    let c = &row.counts;
    let done = c.succeeded + c.dropped_total();
    let mut f = vec![
        format!("{}", as_secs_f64(row.start)),
        format!("{}", as_secs_f64(row.end)),
        c.issued.to_string(),
        c.succeeded.to_string(),
        c.dropped_total().to_string(),
    ];
    f.extend(c.dropped.iter().map(u64::to_string));
    f.push(opt((done > 0).then(|| c.succeeded as f64 / done as f64)));
    f.extend([row.p50_ms, row.p90_ms, row.p99_ms, row.max_ms].map(opt));
    f.push(row.client.attempts.to_string());
    f.push(row.client.retries.to_string());
    f.extend(row.healthy.iter().map(u32::to_string));
    let t = &row.tier;
    let ratio = |ok: u64, all: u64| opt((all > 0).then(|| ok as f64 / all as f64));
    if cols.database {
        f.push(t.db_calls.to_string());
        f.push(t.db_calls_failed.to_string());
        f.push(ratio(
            t.db_calls - t.db_calls_failed.min(t.db_calls),
            t.db_calls,
        ));
        f.push(t.db_write_errors.to_string());
        f.push(t.db_queries.to_string());
    }
    if cols.writers {
        f.push(t.db_writes.to_string());
        f.push(t.db_write_conflicts.to_string());
    }
    if cols.cache {
        f.push(t.cache_hits.to_string());
        f.push(t.cache_misses.to_string());
        f.push(ratio(t.cache_hits, t.cache_hits + t.cache_misses));
    }
    if cols.sessions {
        f.push(t.sessions_lost.to_string());
    }
    f.push(opt(row.fleet.cpu));
    if cols.autoscaling {
        let fl = &row.fleet;
        f.extend([fl.desired, fl.in_service, fl.booting].map(|n| n.to_string()));
    }
    f
}

impl RowSink for CsvSink {
    fn row(&mut self, row: &Row) {
        if let Some(w) = self.writer.as_mut()
            && let Err(e) = w.write_record(fields(row, &self.cols))
        {
            self.fail(e);
        }
    }

    fn finish(&mut self) {
        if let Some(w) = self.writer.as_mut()
            && let Err(e) = w.flush().and_then(|()| w.get_ref().get_ref().sync_all())
        {
            self.error.borrow_mut().get_or_insert(super::describe(&e));
        }
        self.writer = None;
    }
}
