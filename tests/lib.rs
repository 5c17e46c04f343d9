//! Shared helpers for the integration tests: where the scenarios and their
//! kernel-recorded goldens are, and how to simulate one.

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the repository").to_path_buf()
}

/// Every scenario script, in sorted order.
pub fn scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("scenarios"))
        .expect("scenarios/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sh"))
        .collect();
    v.sort();
    v
}

/// The scenario's name (file stem).
pub fn name(script: &Path) -> String {
    script.file_stem().expect("scenario files have names").to_string_lossy().into_owned()
}

/// Simulates a scenario with a given profile, as `netsim run` would, with the
/// script named as the CI invokes it (`scenarios/NAME.sh`).
pub fn simulate(script: &Path, profile: sim::model::HostProfile, seed: u64) -> sim::RunOutput {
    let src = std::fs::read_to_string(script).expect("scenario is readable");
    let shown = format!("scenarios/{}", script.file_name().expect("file name").to_string_lossy());
    match sim::simulate(&src, &shown, profile, seed, false) {
        Ok(o) => o,
        Err(f) => panic!("{}: {}", script.display(), f.error),
    }
}
