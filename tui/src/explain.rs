//! `netsim explain SCRIPT [--match FILTER] [--json]`: runs the script with
//! the trace on and prints each packet's hop-by-hop story (see
//! `sim::explain`). The script's own output is not printed.

use anyhow::{Context, Result};
use sim::capture::filter::Filter;
use sim::model::HostProfile;
use std::path::Path;
use std::process::ExitCode;

/// Reads a script file as UTF-8.
pub fn read_script(script: &Path) -> Result<String> {
    let src = std::fs::read(script).with_context(|| format!("cannot read {}", script.display()))?;
    String::from_utf8(src).map_err(|_| anyhow::anyhow!("{}: not valid UTF-8 text", script.display()))
}

/// Runs a script with the trace on.
pub fn traced(script: &Path, profile: HostProfile, seed: u64) -> Result<sim::explain::Traced> {
    let src = read_script(script)?;
    sim::explain::run_traced(&src, &script.display().to_string(), profile, seed)
        .map_err(|f| anyhow::anyhow!("{}", f.error))
}

/// The subcommand.
pub fn explain(script: &Path, filter: Option<&str>, json: bool, seed: u64, profile: HostProfile) -> Result<ExitCode> {
    let filter = match filter {
        Some(f) => Filter::parse(f).map_err(|e| anyhow::anyhow!("--match '{f}': {e}"))?,
        None => Filter::accept_all(),
    };
    let t = traced(script, profile, seed)?;
    print!("{}", sim::explain::report(&t, &filter, json));
    Ok(ExitCode::SUCCESS)
}

/// `run --pcapng FILE`: runs the script again with the trace on (the run is
/// deterministic, so it is the same run) and writes the commented capture.
pub fn pcapng(script: &Path, file: &Path, seed: u64, profile: HostProfile) -> Result<()> {
    let src = read_script(script)?;
    let Ok(t) = sim::explain::run_traced(&src, &script.display().to_string(), profile, seed) else {
        // `run` has already reported why.
        eprintln!("netsim: no pcapng written: the script did not run to the end");
        return Ok(());
    };
    std::fs::write(file, sim::explain::pcapng::pcapng(&t)).with_context(|| format!("writing {}", file.display()))
}
