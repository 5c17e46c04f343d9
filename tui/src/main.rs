//! The `netsim` command line: `run` simulates a script (or sweeps many, see
//! [`sweep`]); `verify` runs it on the real kernel in a sandbox and compares;
//! `explain`, `graph` and `tui` tell and show what happened to each packet
//! (their logic lives in the `explain`, `graph` and `tui` modules); `gen`
//! writes large scenarios (see [`gen`]).

mod gen;
mod sweep;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sim::model::HostProfile;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "netsim", version, about = "Deterministic simulator of the Linux container-networking datapath")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Simulate SCRIPT: print what its commands print; write its files to DIR.
    /// Given several scripts, run them in parallel, each into DIR/NAME/, and
    /// print a summary (exit 2 if any was refused).
    Run {
        /// The scenario script(s) (bash scripts the real kernel can run as root).
        #[arg(required = true)]
        scripts: Vec<PathBuf>,
        /// Where files the script writes (tcpdump -w) go.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Print one line of counters to stderr.
        #[arg(long)]
        stats: bool,
        /// Seed of the one random generator (MACs, echo ids, timers).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Host profile: plain, docker-host, or a profile file.
        #[arg(long, default_value = "plain")]
        host_profile: String,
        /// Also write every frame at every device to FILE (pcapng), each commented with its story.
        #[arg(long)]
        pcapng: Option<PathBuf>,
    },
    /// Tell the hop-by-hop story of every packet SCRIPT sends, with drop reasons and hints.
    Explain {
        /// The scenario script.
        script: PathBuf,
        /// Only packets with a frame this tcpdump filter accepts (e.g. "icmp", "host 10.0.0.1").
        #[arg(long = "match")]
        filter: Option<String>,
        /// Machine-readable output (schema netsim-explain/1, see sim::explain::json).
        #[arg(long)]
        json: bool,
        /// Seed of the one random generator.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Host profile: plain, docker-host, or a profile file.
        #[arg(long, default_value = "plain")]
        host_profile: String,
    },
    /// Step through SCRIPT's packets interactively: events, stories, layers, tables, topology.
    Tui {
        /// The scenario script.
        script: PathBuf,
        /// Seed of the one random generator.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Host profile: plain, docker-host, or a profile file.
        #[arg(long, default_value = "plain")]
        host_profile: String,
    },
    /// Draw the topology SCRIPT builds (DOT or Mermaid), or one packet's path (Mermaid sequence diagram).
    Graph {
        /// The scenario script.
        script: PathBuf,
        /// dot or mermaid.
        #[arg(long, default_value = "dot")]
        format: String,
        /// Draw this packet's path instead (its number in `netsim explain`).
        #[arg(long)]
        packet: Option<u32>,
        /// Seed of the one random generator.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Host profile: plain, docker-host, or a profile file.
        #[arg(long, default_value = "plain")]
        host_profile: String,
    },
    /// Run SCRIPT on the real kernel in a sandbox and in the simulator, and diff.
    Verify {
        /// The scenario script.
        script: PathBuf,
        /// Where both sides' files go (kernel/ and sim/ below it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Store the kernel's side as golden files in DIR.
        #[arg(long)]
        record: Option<PathBuf>,
    },
    /// Write a large generated scenario to stdout (or -o FILE).
    Gen {
        /// What to generate.
        #[command(subcommand)]
        kind: GenKind,
        /// Write the script here instead of stdout.
        #[arg(short, long, global = true)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum GenKind {
    /// Namespaces spread over bridges the host routes between, and pings.
    Bridges {
        /// Namespaces.
        #[arg(long, default_value_t = 1000)]
        namespaces: usize,
        /// Bridges (at most 250).
        #[arg(long, default_value_t = 10)]
        bridges: usize,
        /// Pings at the end.
        #[arg(long, default_value_t = 10)]
        pings: usize,
    },
    /// A kube-proxy-style ruleset (iptables-restore) the host forwards through.
    KubeProxy {
        /// Services (two filter rules each).
        #[arg(long, default_value_t = 10000)]
        services: usize,
        /// Endpoints per service (nat table only).
        #[arg(long, default_value_t = 3)]
        endpoints: usize,
        /// Also write the nat table (with more than one endpoint it needs the statistic match, not modelled yet).
        #[arg(long)]
        nat: bool,
    },
}

fn gen(kind: GenKind, output: Option<&Path>) -> Result<ExitCode> {
    let text = match kind {
        GenKind::Bridges { namespaces, bridges, pings } => gen::bridges(gen::Bridges { namespaces, bridges, pings }),
        GenKind::KubeProxy { services, endpoints, nat } => gen::kube_proxy(gen::KubeProxy { services, endpoints, nat }),
    }
    .map_err(|e| anyhow::anyhow!(e))?;
    match output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

mod explain;
mod graph;
mod tui;

fn load_profile(spec: &str) -> Result<HostProfile> {
    if let Some(p) = HostProfile::named(spec) {
        return Ok(p);
    }
    let text = std::fs::read_to_string(spec)
        .with_context(|| format!("host profile '{spec}' is neither plain, docker-host nor a readable file"))?;
    HostProfile::parse_text(&text).map_err(|e| anyhow::anyhow!("{spec}: {e}"))
}

fn write_files(dir: &Path, files: &std::collections::BTreeMap<String, Vec<u8>>) -> Result<()> {
    for (name, bytes) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

fn print_output(out: &[(sim::engine::Stream, String)]) {
    let (mut so, mut se) = (std::io::stdout().lock(), std::io::stderr().lock());
    for (s, t) in out {
        match s {
            sim::engine::Stream::Out => {
                let _ = so.write_all(t.as_bytes());
                let _ = so.flush();
            }
            sim::engine::Stream::Err => {
                let _ = se.write_all(t.as_bytes());
                let _ = se.flush();
            }
        }
    }
}

fn run(script: &Path, out: &Path, stats: bool, seed: u64, profile: &str) -> Result<ExitCode> {
    let profile = load_profile(profile)?;
    let src = std::fs::read(script).with_context(|| format!("cannot read {}", script.display()))?;
    let name = script.display().to_string();
    let src = sim::scenario::decode(&src, &name)?;
    // --stats reports real wall time; the simulation itself never reads a clock.
    #[allow(clippy::disallowed_methods)]
    let started = std::time::Instant::now();
    match sim::simulate(&src, &name, profile.clone(), seed, false) {
        Ok(r) => {
            print_output(&r.output);
            write_files(out, &r.files)?;
            if stats {
                eprintln!(
                    "netsim: {} seed={} events={} packets={} hops={} virtual={}.{:03}s wall={}us",
                    profile.summary(),
                    seed,
                    r.stats.events,
                    r.stats.packets,
                    r.stats.hops,
                    r.end_ns / 1_000_000_000,
                    (r.end_ns / 1_000_000) % 1000,
                    started.elapsed().as_micros()
                );
            }
            Ok(ExitCode::from(r.exit_code.clamp(0, 255) as u8))
        }
        Err(f) => {
            if let Some(p) = &f.partial {
                print_output(&p.output);
                write_files(out, &p.files)?;
            }
            eprintln!("netsim: error: {}", f.error);
            Ok(ExitCode::from(2))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Run { scripts, out, stats, seed, host_profile, pcapng } => match (scripts.as_slice(), pcapng) {
            ([script], pcapng) => run(script, &out, stats, seed, &host_profile).and_then(|code| match pcapng {
                Some(file) => explain::pcapng(script, &file, seed, load_profile(&host_profile)?).map(|()| code),
                None => Ok(code),
            }),
            (_, Some(_)) => Err(anyhow::anyhow!("--pcapng takes one script")),
            (many, None) => load_profile(&host_profile).map(|p| sweep::sweep(many, &out, seed, &p)),
        },
        Cmd::Verify { script, out, record } => verify::verify(&script, out.as_deref(), record.as_deref()),
        Cmd::Tui { script, seed, host_profile } => load_profile(&host_profile).and_then(|p| tui::tui(&script, seed, p)),
        Cmd::Graph { script, format, packet, seed, host_profile } => {
            load_profile(&host_profile).and_then(|p| graph::graph(&script, &format, packet, seed, p))
        }
        Cmd::Explain { script, filter, json, seed, host_profile } => {
            load_profile(&host_profile).and_then(|p| explain::explain(&script, filter.as_deref(), json, seed, p))
        }
        Cmd::Gen { kind, output } => gen(kind, output.as_deref()),
    };
    match r {
        Ok(c) => c,
        Err(e) => {
            eprintln!("netsim: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

mod verify {
    //! `netsim verify`: exit 0 when kernel and simulator agree, 1 when they
    //! differ, 77 when the sandbox cannot run here (not root, no unshare, no
    //! iproute2/tcpdump), 2 for a refused script.
    use anyhow::{Context, Result};
    use std::path::Path;
    use std::process::ExitCode;

    pub fn verify(script: &Path, out: Option<&Path>, record: Option<&Path>) -> Result<ExitCode> {
        let tmp;
        let out = match out {
            Some(o) => o,
            None => {
                tmp = std::env::temp_dir().join(format!("netsim-verify-{}", std::process::id()));
                &tmp
            }
        };
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let v = match sim::verify::verify_script(script, out) {
            Ok(v) => v,
            Err(sim::verify::VerifyScriptError::Kernel(e)) if e.is_skip() => {
                eprintln!("netsim: {e}");
                return Ok(ExitCode::from(sim::verify::EXIT_SKIPPED as u8));
            }
            Err(e) => {
                eprintln!("netsim: error: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        eprintln!("netsim verify {}: {}", script.display(), v.kernel.profile.summary());
        if let Some(dir) = record {
            v.kernel.record(dir)?;
            eprintln!("netsim: recorded the kernel's side in {}", dir.display());
        }
        if v.mismatches.is_empty() {
            eprintln!(
                "netsim: kernel and simulator agree ({} capture(s), stdout, stderr, exit code)",
                v.kernel.captures.len()
            );
            return Ok(ExitCode::SUCCESS);
        }
        for m in &v.mismatches {
            println!("{}", m.diff);
        }
        eprintln!("netsim: {} file(s) differ between kernel and simulator", v.mismatches.len());
        Ok(ExitCode::from(1))
    }
}
