//! Scenario files: YAML with human units into the typed [`Scenario`].
pub mod config;
pub use config::*;
