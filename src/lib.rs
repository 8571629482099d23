//! failover-sim: a deterministic discrete-event simulator of multi-AZ
//! failover architectures.
//!
//! Load a scenario, run it, read its [`Summary`]:
//!
//! ```
//! use failover_sim::{load_str, metrics::NullSink, simulate, Summary};
//!
//! let s = load_str("duration: 1m\nworkload: {rate: 50/s}", "inline.yaml", "demo", &[]).unwrap();
//! let out = simulate(&s, Box::new(NullSink), None);
//! let summary = Summary::new(&s, &out);
//! assert_eq!(summary.availability, Some(1.0));
//! ```
pub mod bench;
pub mod check;
pub mod engine;
pub mod guard;
pub mod library;
pub mod metrics;
pub mod model;
pub mod report;
pub mod scenario;
pub mod sweep;

pub use model::{RunOutput, simulate};
pub use report::{Summary, run_to_dir};
pub use scenario::{Scenario, ScenarioError, load_file, load_str};
