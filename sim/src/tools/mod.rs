//! The command-line tools a scenario calls, as the real programs behave:
//! argument parsing, the change they ask the kernel for, what they print and
//! their exit status.
//!
//! Two kinds of failure are kept apart. A command the real tool rejects
//! (`RTNETLINK answers: File exists`) prints the tool's own message and
//! returns its exit status; the script goes on, as bash would. A command
//! netsim does not model is [`Unsupported`]: the run stops with a
//! file:line:column error, so nothing is silently skipped. Submodules: one
//! per tool.

pub mod bridge;
pub mod busybox;
pub mod clab;
pub mod conntrack;
pub mod ctr;
pub mod curl;
pub mod dmesg;
pub mod docker;
pub mod grep;
pub mod httpd;
pub mod ip;
pub mod iptables;
pub mod iptables_legacy;
pub mod misc;
pub mod nc;
pub mod nft;
pub mod nginx;
pub mod ping;
pub mod sysctl;
pub mod tcpdump;

use crate::engine::proc::Pid;
use crate::engine::{Engine, Stdio};
use crate::model::{LinkId, NsId};

/// netsim does not model this command or option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unsupported(pub String);

/// How a tool invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran to completion with this exit status.
    Exited(i32),
    /// It started a process that lives on in virtual time.
    Spawned(Pid),
}

/// The result of running a tool.
pub type ToolResult = Result<Outcome, Unsupported>;

/// What a tool runs with: the engine, the namespace it runs in, its output
/// sinks and its standard input.
pub struct Ctx<'a> {
    /// The simulator.
    pub eng: &'a mut Engine,
    /// The network namespace of the process.
    pub ns: NsId,
    /// stdout/stderr.
    pub stdio: Stdio,
    /// Standard input (here-documents and pipes).
    pub stdin: String,
}

impl Ctx<'_> {
    /// Writes to stdout.
    pub fn out(&mut self, s: &str) {
        let sink = self.stdio.out.clone();
        self.eng.write(&sink, s);
    }

    /// Writes to stderr.
    pub fn err(&mut self, s: &str) {
        let sink = self.stdio.err.clone();
        self.eng.write(&sink, s);
    }

    /// Prints a line to stderr and returns the exit status.
    pub fn fail(&mut self, msg: &str, code: i32) -> ToolResult {
        self.err(msg);
        if !msg.ends_with('\n') {
            self.err("\n");
        }
        Ok(Outcome::Exited(code))
    }

    /// Looks up a device by name in the current namespace.
    pub fn dev(&self, name: &str) -> Option<LinkId> {
        self.eng.world.link_by_name(self.ns, name)
    }
}

/// The commands netsim models, for the pre-run check and verify's whitelist.
pub const COMMANDS: &[&str] = &[
    "ip",
    "bridge",
    "brctl",
    "sysctl",
    "ping",
    "tcpdump",
    "ifconfig",
    "route",
    "arp",
    "modprobe",
    "echo",
    "sleep",
    "kill",
    "wait",
    "set",
    "true",
    "false",
    ":",
    "exit",
    "sudo",
    "cat",
    "grep",
    "iptables",
    "iptables-nft",
    "iptables-save",
    "iptables-restore",
    "nft",
    "iptables-legacy",
    "iptables-legacy-save",
    "iptables-legacy-restore",
    "nc",
    "netcat",
    "curl",
    "python3",
    "nginx",
    "conntrack",
    "dmesg",
    "docker",
    "clab",
    "containerlab",
    "ctr",
    "ln",
    "busybox",
];

/// Whether `name` is a command netsim runs.
pub fn is_known(name: &str) -> bool {
    COMMANDS.contains(&name)
}

/// The pre-run check for the socket applications (`nc`, `curl`,
/// `python3`, `nginx`): their arguments are parsed against a scratch engine, so a
/// script using an option netsim does not model is refused before verify
/// runs it as root. `None` stands for a word only known at run time; it is
/// refused for `curl` and `python3` (an `-o` path or a Python module must be
/// literal) and taken as an address for `nc`.
///
/// # Errors
/// What is not modelled, as the tool would report it at run time.
pub fn check_socket_app(cmd: &str, args: &[Option<String>]) -> Result<(), String> {
    let known: Vec<String> = match cmd {
        "nc" | "netcat" => args.iter().map(|a| a.clone().unwrap_or_else(|| "10.0.0.1".into())).collect(),
        "curl" | "python3" | "nginx" => match args.iter().cloned().collect::<Option<Vec<String>>>() {
            Some(v) => v,
            None => return Err(format!("{cmd}: arguments must be literal words (verify runs the script as root)")),
        },
        _ => return Ok(()),
    };
    if cmd == "python3" {
        // Parsed only: binding needs the script's addresses.
        return httpd::parse(&known).map(|_| ()).map_err(|e| e.0);
    }
    let mut eng = Engine::new(crate::model::HostProfile::default(), 0);
    let null = crate::engine::Sink::Null;
    let mut ctx = Ctx {
        eng: &mut eng,
        ns: crate::model::World::ROOT,
        stdio: Stdio { out: null.clone(), err: null },
        stdin: String::new(),
    };
    let mut argv = vec![cmd.to_string()];
    argv.extend(known);
    run(&mut ctx, &argv).map(|_| ()).map_err(|e| e.0)
}

/// Runs a tool by name (builtins of the shell are handled by the
/// interpreter, not here).
///
/// # Errors
/// [`Unsupported`] for commands and options netsim does not model.
pub fn run(ctx: &mut Ctx<'_>, argv: &[String]) -> ToolResult {
    let Some(cmd) = argv.first() else {
        return Ok(Outcome::Exited(0));
    };
    let args = &argv[1..];
    match cmd.as_str() {
        "ip" => ip::run(ctx, args),
        "bridge" => bridge::bridge(ctx, args),
        "brctl" => bridge::brctl(ctx, args),
        "sysctl" => sysctl::run(ctx, args),
        "ping" => ping::run(ctx, args),
        "tcpdump" => tcpdump::run(ctx, args),
        "ifconfig" | "route" | "arp" | "modprobe" | "cat" | "echo" | "true" | "false" | ":" | "sleep" => {
            misc::run(ctx, cmd, args)
        }
        "grep" => grep::run(ctx, args),
        "nc" | "netcat" => nc::run(ctx, args),
        "curl" => curl::run(ctx, args),
        "python3" => httpd::run(ctx, args),
        "iptables-legacy" | "iptables-legacy-save" | "iptables-legacy-restore" => iptables_legacy::tool(ctx, cmd, args),
        "nginx" => nginx::run(ctx, args, nginx::Flavour::Debian, "host"),
        "iptables"
        | "iptables-nft"
        | "iptables-save"
        | "iptables-save-nft"
        | "iptables-restore"
        | "iptables-restore-nft" => {
            let name = cmd.replace("-save-nft", "-save").replace("-restore-nft", "-restore");
            if let Some(what) = nft::shared_table(ctx, &name, args) {
                return Err(Unsupported(what));
            }
            if let Some(w) = iptables_legacy::nft_warning(ctx, &name, args) {
                ctx.err(w);
            }
            let first = if name == "iptables-restore" { nft::restore_order(&ctx.stdin) } else { Vec::new() };
            let r = iptables::tool(ctx, &name, args);
            nft::xt_note(ctx, &first);
            r
        }
        "conntrack" => conntrack::run(ctx, args),
        "dmesg" => dmesg::run(ctx, args),
        "docker" => docker::run(ctx, args),
        "clab" | "containerlab" => clab::run(ctx, args),
        "ctr" => ctr::run(ctx, args),
        "ln" => ctr::ln(ctx, args),
        "busybox" => busybox::run(ctx, args),
        "nft" => nft::run(ctx, args),
        "sudo" => run(ctx, args),
        other => {
            Err(Unsupported(format!("command '{other}' is not modelled by netsim; supported: {}", COMMANDS.join(", "))))
        }
    }
}
