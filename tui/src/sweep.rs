//! `netsim run A.sh B.sh ...`: a sweep. Every script is simulated on its own
//! fresh host, in parallel (rayon, one thread per core), each one's output
//! and files going to `OUT/NAME/` (`stdout`, `stderr`, `exit_code` and what
//! the script wrote); then one summary line per script, in the order given,
//! and a total. For CI: exit 0 when every script ran (whatever its own exit
//! status), 2 when any was refused or could not be read.
//!
//! A single script is not a sweep: `run` prints its output directly.

use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How one script of a sweep ended.
enum Outcome {
    /// It ran: its exit status and counters.
    Ran { exit: i32, stats: sim::engine::Stats, virtual_ns: u64 },
    /// Refused or stopped by netsim (the message names file:line:col), or
    /// unreadable.
    Failed(String),
}

struct Row {
    script: PathBuf,
    outcome: Outcome,
    wall_us: u128,
}

/// The output directory of one script: the file stem, made unique by its
/// position when two scripts share a stem.
fn dir_name(i: usize, script: &Path, all: &[PathBuf]) -> String {
    let stem = script.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "script".into());
    if all.iter().filter(|p| p.file_stem() == script.file_stem()).count() > 1 {
        format!("{i}-{stem}")
    } else {
        stem
    }
}

fn write_all(dir: &Path, out: &sim::RunOutput) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("stdout"), out.stdout())?;
    std::fs::write(dir.join("stderr"), out.stderr())?;
    std::fs::write(dir.join("exit_code"), format!("{}\n", out.exit_code))?;
    crate::write_files(dir, &out.files).map_err(std::io::Error::other)
}

fn one(script: &Path, dir: &Path, profile: &sim::model::HostProfile, seed: u64) -> Outcome {
    let name = script.display().to_string();
    let bytes = match std::fs::read(script) {
        Ok(b) => b,
        Err(e) => return Outcome::Failed(format!("cannot read {name}: {e}")),
    };
    let src = match sim::scenario::decode(&bytes, &name) {
        Ok(s) => s,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    match sim::simulate(&src, &name, profile.clone(), seed, false) {
        Ok(r) => match write_all(dir, &r) {
            Ok(()) => Outcome::Ran { exit: r.exit_code, stats: r.stats, virtual_ns: r.end_ns },
            Err(e) => Outcome::Failed(format!("writing {}: {e}", dir.display())),
        },
        Err(f) => {
            if let Some(p) = &f.partial {
                let _ = write_all(dir, p);
            }
            Outcome::Failed(f.error.to_string())
        }
    }
}

/// Runs the sweep and prints the summary.
pub fn sweep(scripts: &[PathBuf], out: &Path, seed: u64, profile: &sim::model::HostProfile) -> ExitCode {
    // Wall time is reported, never fed to the simulation.
    #[allow(clippy::disallowed_methods)]
    let started = std::time::Instant::now();
    let rows: Vec<Row> = scripts
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            #[allow(clippy::disallowed_methods)]
            let t = std::time::Instant::now();
            let outcome = one(s, &out.join(dir_name(i, s, scripts)), profile, seed);
            Row { script: s.clone(), outcome, wall_us: t.elapsed().as_micros() }
        })
        .collect();
    let width = rows.iter().map(|r| r.script.display().to_string().len()).max().unwrap_or(6).max(6);
    println!("{:width$}  result   exit     events       hops   virtual      wall", "script");
    let (mut ran, mut failed, mut events) = (0, 0, 0u64);
    for r in &rows {
        let name = r.script.display().to_string();
        match &r.outcome {
            Outcome::Ran { exit, stats, virtual_ns } => {
                ran += 1;
                events += stats.events;
                println!(
                    "{name:width$}  ran   {exit:>7} {:>10} {:>10} {:>8.3}s {:>8.1}ms",
                    stats.events,
                    stats.hops,
                    *virtual_ns as f64 / 1e9,
                    r.wall_us as f64 / 1000.0
                );
            }
            Outcome::Failed(msg) => {
                failed += 1;
                println!("{name:width$}  FAILED  {msg}");
            }
        }
    }
    println!(
        "netsim: {} script(s): {ran} ran, {failed} failed; {events} events; {} thread(s); {:.1} ms wall; outputs in {}",
        rows.len(),
        rayon::current_num_threads(),
        started.elapsed().as_secs_f64() * 1000.0,
        out.display()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
