//! failover-sim: a deterministic discrete-event simulator of multi-AZ
//! failover architectures.
pub mod engine;
pub mod metrics;
pub mod model;
pub mod report;
pub mod scenario;
