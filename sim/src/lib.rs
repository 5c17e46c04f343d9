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
//!   neighbours, FDB, sysctls. Data and invariants; no time, no packets in flight.
//! - [`engine`]: virtual clock, the seeded generator, the event queue, the
//!   datapath, the processes (ping, tcpdump, the script itself) and the
//!   interpreter that runs a script against a world.
//! - [`tools`]: the command-line tools a script calls (`ip`, `bridge`, `brctl`,
//!   `sysctl`, `ping`, `tcpdump`, ...): argument parsing and their effects.
//! - [`trace`]: typed events and kernel drop reasons emitted by the engine.
//! - [`capture`]: tcpdump filter expressions and pcap files.
//! - [`render`]: every byte of output the real tools print, as pure functions.
//! - [`verify`]: run a script on the real kernel in a sandbox and compare.
#![forbid(unsafe_code)]

pub mod capture;
pub mod engine;
pub mod model;
pub mod render;
pub mod scenario;
pub mod tools;
pub mod trace;
pub mod verify;
