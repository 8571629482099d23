//! Closed time buckets and where they go.

use super::{ClientCounts, Counts, TierCounts};
use crate::engine::SimTime;

/// One closed bucket of `timeseries.csv`. Issued requests count in the bucket
/// of their issue, outcomes in the bucket of their completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub start: SimTime,
    pub end: SimTime,
    pub counts: Counts,
    pub tier: TierCounts,
    /// Attempts and retries sent in the bucket, refusals decided in it.
    pub client: ClientCounts,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// Healthy targets per AZ at the end of the bucket (LB's view).
    pub healthy: Vec<u32>,
    /// The fleet's sizes and CPU.
    pub fleet: super::FleetRow,
}

/// Receives rows as they close, so the recorder keeps none of them.
pub trait RowSink {
    /// The latency histogram (microseconds) of the row passed next to
    /// [`RowSink::row`], for sinks that aggregate percentiles.
    fn latency(&mut self, _hist: &hdrhistogram::Histogram<u64>) {}
    fn row(&mut self, row: &Row);
    fn finish(&mut self) {}
}

/// Discards rows (benchmarks, sweeps).
pub struct NullSink;
impl RowSink for NullSink {
    fn row(&mut self, _: &Row) {}
}

/// Keeps rows in memory (tests, small runs).
#[derive(Default)]
pub struct VecSink(pub std::rc::Rc<std::cell::RefCell<Vec<Row>>>);
impl RowSink for VecSink {
    fn row(&mut self, row: &Row) {
        self.0.borrow_mut().push(row.clone());
    }
}
