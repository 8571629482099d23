//! What several test files share.

use std::path::PathBuf;

/// Every scenario file of `scenarios/`, by name, as the built-in library
/// lists them (`az-outage` before `az-outage-all-tiers`).
pub fn scenario_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("scenarios")
        .expect("scenarios/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort_by_key(|p| p.file_stem().map(|s| s.to_os_string()));
    files
}
