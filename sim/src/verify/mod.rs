//! verify: run a scenario on the real kernel and compare it with the simulator.
//!
//! The kernel is the judge of every behaviour netsim claims. This module is
//! the kernel side of `netsim verify` plus everything needed to compare:
//!
//! - [`profile`]: [`HostProfile`], the starting conditions a new network
//!   namespace inherits (ip_forward, rp_filter, arp_*, br_netfilter), in
//!   named, kernel-read and file forms.
//! - [`sandbox`]: [`run_in_sandbox`] runs `bash SCRIPT` as root in private
//!   mount, network and PID namespaces and leaves nothing behind.
//! - [`normalise`]: the published list of what a comparison ignores
//!   (timestamps, ping times, ICMP ids, TCP ISNs and timestamps, ephemeral
//!   ports, IPv6/IGMP background frames, tcpdump counters).
//! - [`diff`]: a unified line diff.
//! - [`golden`]: [`Golden`], a recorded run (profile, stdout, stderr, exit
//!   code, capture texts) on disk, and [`compare`].
//!
//! - [`simulated`] renders a simulated run the same way (its captures
//!   printed by netsim's own tcpdump printer), and [`verify_script`] runs
//!   both sides: it refuses a script with a command netsim does not model
//!   before anything runs as root.
//!
//! What it does not do: decide exit codes (the CLI does; see
//! [`EXIT_SKIPPED`]).

pub mod diff;
pub mod golden;
pub mod normalise;
pub mod profile;
pub mod sandbox;

use std::path::PathBuf;

pub use golden::{compare, Golden, Mismatch};
pub use profile::HostProfile;
pub use sandbox::{check_preconditions, run_in_sandbox, KernelRun};

/// The exit code the CLI uses when verify cannot run here
/// ([`VerifyError::SandboxUnavailable`]): the automake/ctest "skipped" code.
pub const EXIT_SKIPPED: i32 = 77;

/// Everything that can go wrong on the kernel side or when reading goldens.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The sandbox cannot run on this machine: not root, a required tool is
    /// missing, or namespaces are not permitted. Map to [`EXIT_SKIPPED`].
    #[error("verify skipped: {reason}")]
    SandboxUnavailable {
        /// What is missing.
        reason: String,
    },
    /// The sandbox started but could not prepare itself (a mount failed).
    #[error("sandbox setup failed: {message}")]
    SandboxSetup {
        /// The supervisor's message and unshare's stderr.
        message: String,
    },
    /// Reading or writing a file or directory failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A program could not be started.
    #[error("cannot run {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A helper program ran but failed (e.g. tcpdump could not read a pcap).
    #[error("{program} failed: {message}")]
    Tool {
        /// The command line.
        program: String,
        /// Exit status and stderr.
        message: String,
    },
    /// A host profile text is malformed.
    #[error(transparent)]
    Profile(#[from] crate::model::profile::ProfileError),
    /// A golden directory is malformed.
    #[error("golden {path}: {message}")]
    Golden {
        /// The offending file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl VerifyError {
    /// Whether this error means "cannot verify here" rather than a failure.
    pub fn is_skip(&self) -> bool {
        matches!(self, VerifyError::SandboxUnavailable { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Only the "cannot run here" error is a skip.
    #[test]
    fn skip_classification() {
        assert!(VerifyError::SandboxUnavailable { reason: "x".into() }.is_skip());
        assert!(!VerifyError::SandboxSetup { message: "x".into() }.is_skip());
        assert_eq!(
            VerifyError::SandboxUnavailable { reason: "needs root".into() }.to_string(),
            "verify skipped: needs root"
        );
    }
}

/// Renders a simulated run as a [`Golden`]: its captures are printed by
/// netsim's own printer as `tcpdump -t -nne -r FILE` would print them.
pub fn simulated(out: &crate::RunOutput, profile: HostProfile) -> Golden {
    use crate::render::tcpdump::{Printer, TcpdumpOpts, TsFormat};
    let mut raw = std::collections::BTreeMap::new();
    for (name, bytes) in &out.files {
        let Ok(frames) = crate::capture::pcap::read_pcap(bytes) else {
            continue;
        };
        let mut printer =
            Printer::new(TcpdumpOpts { link_header: true, numeric: 1, timestamp: TsFormat::None, verbose: 0 });
        let mut text = String::new();
        for (ts, frame) in frames {
            printer.frame(&mut text, ts, &frame);
        }
        raw.insert(name.clone(), text);
    }
    Golden::from_outputs(profile, out.stdout().as_bytes(), out.stderr().as_bytes(), out.exit_code, &raw)
}

/// Both sides of a verify run.
#[derive(Debug)]
pub struct Verified {
    /// The kernel's side.
    pub kernel: Golden,
    /// The simulator's side, run with the profile the kernel side had.
    pub sim: Golden,
    /// Where they differ.
    pub mismatches: Vec<Mismatch>,
}

/// Why verify could not compare.
#[derive(Debug, thiserror::Error)]
pub enum VerifyScriptError {
    /// The script is refused before anything runs as root.
    #[error(transparent)]
    Refused(#[from] crate::SimError),
    /// The kernel side failed (or cannot run here).
    #[error(transparent)]
    Kernel(#[from] VerifyError),
}

/// `netsim verify`: whitelist-checks the script, runs it on the real kernel
/// in the sandbox (files in `out_dir/kernel`), runs the simulator with the
/// profile the kernel side started with (files in `out_dir/sim`), and
/// compares.
///
/// # Errors
/// A refused script, or a sandbox that cannot run (see
/// [`VerifyError::is_skip`]).
pub fn verify_script(script: &std::path::Path, out_dir: &std::path::Path) -> Result<Verified, VerifyScriptError> {
    let bytes = std::fs::read(script).map_err(|source| VerifyError::Io { path: script.to_path_buf(), source })?;
    let name = script.display().to_string();
    let src = crate::scenario::decode(&bytes, &name).map_err(crate::SimError::from)?;
    let parsed = crate::scenario::parse(&src, &name).map_err(crate::SimError::from)?;
    crate::engine::interp::check(&parsed, &name).map_err(crate::SimError::from)?;
    check_preconditions()?;
    let kdir = out_dir.join("kernel");
    std::fs::create_dir_all(&kdir).map_err(|source| VerifyError::Io { path: kdir.clone(), source })?;
    let abs = std::fs::canonicalize(script).map_err(|source| VerifyError::Io { path: script.to_path_buf(), source })?;
    let mut run = run_in_sandbox(&abs, &kdir, std::time::Duration::from_secs(300))?;
    // bash names the script in its messages as it was invoked; the sandbox
    // invokes it by absolute path, the simulator by the name given here.
    let abs_text = abs.display().to_string();
    for buf in [&mut run.stdout, &mut run.stderr] {
        let text = String::from_utf8_lossy(buf).replace(&abs_text, &name);
        *buf = text.into_bytes();
    }
    let kernel = Golden::from_kernel_run(&run, &kdir)?;
    let simout = match crate::simulate(&src, &name, run.profile.clone(), 0, false) {
        Ok(o) => o,
        Err(f) => return Err(VerifyScriptError::Refused(f.error)),
    };
    let sdir = out_dir.join("sim");
    for (f, bytes) in &simout.files {
        let p = sdir.join(f);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|source| VerifyError::Io { path: parent.to_path_buf(), source })?;
        }
        std::fs::write(&p, bytes).map_err(|source| VerifyError::Io { path: p.clone(), source })?;
    }
    let sim = simulated(&simout, run.profile);
    let mismatches = compare(&kernel, &sim);
    Ok(Verified { kernel, sim, mismatches })
}
