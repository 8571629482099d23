//! `timeseries.csv`: one row per closed time bucket, written as it closes.

use std::cell::RefCell;
use std::fs::File;
use std::io::BufWriter;
use std::rc::Rc;

use crate::engine::as_secs_f64;
use crate::metrics::{DropReason, Row, RowSink};

/// Writes rows as CSV; the first write error is kept for the caller.
pub struct CsvSink {
    writer: Option<csv::Writer<BufWriter<File>>>,
    error: Rc<RefCell<Option<String>>>,
}

/// Column names, in order.
pub fn header(azs: &[String]) -> Vec<String> {
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
        ["success_ratio", "p50_ms", "p90_ms", "p99_ms", "max_ms"]
            .iter()
            .map(|s| s.to_string()),
    );
    h.extend(azs.iter().map(|az| format!("healthy_{az}")));
    h
}

impl CsvSink {
    /// A sink writing to `file`; errors land in `error`.
    pub fn new(file: File, azs: &[String], error: Rc<RefCell<Option<String>>>) -> CsvSink {
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        let mut sink = CsvSink {
            writer: None,
            error,
        };
        match writer.write_record(header(azs)) {
            Ok(()) => sink.writer = Some(writer),
            Err(e) => sink.fail(e),
        }
        sink
    }

    fn fail(&mut self, e: csv::Error) {
        self.error.borrow_mut().get_or_insert(e.to_string());
        self.writer = None;
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// The CSV fields of one row.
pub fn fields(row: &Row) -> Vec<String> {
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
    f.extend(row.healthy.iter().map(u32::to_string));
    f
}

impl RowSink for CsvSink {
    fn row(&mut self, row: &Row) {
        if let Some(w) = self.writer.as_mut()
            && let Err(e) = w.write_record(fields(row))
        {
            self.fail(e);
        }
    }

    fn finish(&mut self) {
        if let Some(w) = self.writer.as_mut()
            && let Err(e) = w.flush()
        {
            self.error.borrow_mut().get_or_insert(e.to_string());
        }
        self.writer = None;
    }
}
