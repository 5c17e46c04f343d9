//! `netsim graph SCRIPT --format dot|mermaid [--packet N]`: the topology the
//! script built, for teaching material; with `--packet N`, packet N's path
//! (numbers as `netsim explain` prints them) as a Mermaid sequence diagram.

use anyhow::{bail, Result};
use sim::model::HostProfile;
use std::path::Path;
use std::process::ExitCode;

/// The subcommand.
pub fn graph(script: &Path, format: &str, packet: Option<u32>, seed: u64, profile: HostProfile) -> Result<ExitCode> {
    if !matches!(format, "dot" | "mermaid") {
        bail!("--format must be dot or mermaid, not '{format}'");
    }
    let t = crate::explain::traced(script, profile, seed)?;
    match packet {
        None => {
            let g = sim::graph::topology(&t.world);
            print!("{}", if format == "dot" { sim::graph::dot(&g) } else { sim::graph::mermaid(&g) });
        }
        Some(_) if format != "mermaid" => {
            bail!("a packet's path is drawn as a Mermaid sequence diagram: use --format mermaid")
        }
        Some(n) => match sim::explain::story(&t.trace, n) {
            Some(s) => print!("{}", sim::graph::sequence(&t.trace, &s)),
            None => bail!("no packet #{n} in this run (see `netsim explain` for the numbers)"),
        },
    }
    Ok(ExitCode::SUCCESS)
}
