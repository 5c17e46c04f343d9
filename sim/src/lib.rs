//! netsim: a deterministic simulator of the Linux container-networking datapath.
//!
//! The flow goes one way, and so do the module dependencies:
//!
//! ```text
//! scenario (parse script) -> model (the world as data) -> engine (time, queue,
//! datapath, tools) -> trace (typed events) -> render (text, pcap)
//! ```
//!
//! - [`scenario`]: the bash subset a scenario is written in, parsed into an AST
//!   with line:column spans.
//! - [`model`]: namespaces, links (lo, veth, bridge), addresses, routes,
//!   neighbours, FDB, sysctls, iptables rulesets. Data and invariants; no
//!   time, no packets in flight.
//! - [`engine`]: virtual clock, the seeded generator, the event queue, the
//!   datapath with its netfilter hooks, TCP and UDP sockets, the processes
//!   (ping, tcpdump, nc, curl, the HTTP server, the script itself) and the
//!   interpreter that runs a script against a world.
//! - [`tools`]: the command-line tools a script calls (`ip`, `bridge`, `brctl`,
//!   `sysctl`, `ping`, `tcpdump`, `iptables`, `nc`, `curl`, ...): argument
//!   parsing and their effects.
//! - [`trace`]: typed events and kernel drop reasons emitted by the engine.
//! - [`explain`]: a trace turned into one story per packet, with evidence,
//!   drop reasons and hints (text, JSON, commented pcapng).
//! - [`graph`]: the topology as a petgraph graph (DOT, Mermaid) and a
//!   packet's path as a Mermaid sequence diagram.
//! - [`capture`]: tcpdump filter expressions and pcap files.
//! - [`render`]: every byte of output the real tools print, as pure functions.
//! - [`verify`]: run a script on the real kernel in a sandbox and compare.
#![forbid(unsafe_code)]

pub mod capture;
pub mod engine;
pub mod explain;
pub mod graph;
pub mod model;
pub mod render;
pub mod scenario;
pub mod tools;
pub mod trace;
pub mod verify;

use engine::Engine;
use model::HostProfile;

/// Why a script could not be simulated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The script is not valid in the bash subset netsim reads.
    #[error(transparent)]
    Parse(#[from] scenario::ScenarioError),
    /// A command netsim does not model.
    #[error(transparent)]
    Run(#[from] engine::interp::RunError),
}

/// Everything a simulated run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Output chunks in order, each to stdout or stderr.
    pub output: Vec<(engine::Stream, String)>,
    /// Files written (relative paths as the script named them).
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
    /// The script's exit status.
    pub exit_code: i32,
    /// Counters.
    pub stats: engine::Stats,
    /// Virtual time at the end (ns).
    pub end_ns: u64,
}

impl RunOutput {
    /// All stdout text.
    pub fn stdout(&self) -> String {
        self.output.iter().filter(|(s, _)| *s == engine::Stream::Out).map(|(_, t)| t.as_str()).collect()
    }

    /// All stderr text.
    pub fn stderr(&self) -> String {
        self.output.iter().filter(|(s, _)| *s == engine::Stream::Err).map(|(_, t)| t.as_str()).collect()
    }
}

/// A run that stopped: why, and what it had produced until then (nothing
/// for a script refused before it ran).
#[derive(Debug)]
pub struct SimFailure {
    /// Why it stopped.
    pub error: SimError,
    /// Output and files up to the failing command.
    pub partial: Option<RunOutput>,
}

/// Parses and runs a script on a fresh simulated host.
///
/// # Errors
/// [`SimFailure`] for a script netsim cannot read or run faithfully.
pub fn simulate(
    src: &str,
    file: &str,
    profile: HostProfile,
    seed: u64,
    trace: bool,
) -> Result<RunOutput, Box<SimFailure>> {
    let mut eng = Engine::new(profile, seed);
    eng.trace.enabled = trace;
    run_on(&mut eng, src, file)
}

/// Parses, checks and runs a script on `eng` (set up by the caller), taking
/// its output and files out of the engine.
pub(crate) fn run_on(eng: &mut Engine, src: &str, file: &str) -> Result<RunOutput, Box<SimFailure>> {
    let refuse = |e: SimError| Box::new(SimFailure { error: e, partial: None });
    let script = scenario::parse(src, file).map_err(|e| refuse(e.into()))?;
    engine::interp::check(&script, file).map_err(|e| refuse(e.into()))?;
    let res = engine::interp::Interp::new(eng, file, src).run(&script);
    let out = RunOutput {
        output: std::mem::take(&mut eng.output),
        files: std::mem::take(&mut eng.files),
        exit_code: 0,
        stats: eng.stats,
        end_ns: eng.now,
    };
    match res {
        Ok(code) => Ok(RunOutput { exit_code: code, ..out }),
        Err(e) => Err(Box::new(SimFailure { error: e.into(), partial: Some(out) })),
    }
}
