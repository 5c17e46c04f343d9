//! BusyBox applets, as `busybox APPLET` and as alpine and busybox containers
//! (docker, ctr) run them: `ping` ([`super::ping::run_busybox`]) and `arp`
//! (`-a`/`-n`: BSD-style lines, `[ether]  on DEV` with two spaces).
//!
//! What it does not: the other applets. Inside a container `ip`,
//! `ifconfig` and `route` print as the host's iproute2 and net-tools do
//! (BusyBox's `ifconfig` prints the old net-tools 1.60 layout): a
//! divergence listed in README.

use super::{Ctx, Outcome, ToolResult, Unsupported};

/// The applets netsim runs in BusyBox's form.
pub const APPLETS: &[&str] = &["ping", "arp"];

/// `busybox APPLET ARGS`.
///
/// # Errors
/// [`Unsupported`] for other applets and options.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    match args.first().map(String::as_str) {
        Some("ping") => super::ping::run_busybox(ctx, &args[1..]),
        Some("arp") => arp(ctx, &args[1..]),
        Some(a) => Err(Unsupported(format!("busybox {a} is not modelled; supported: busybox ping, busybox arp"))),
        None => Err(Unsupported("busybox without an applet is not modelled".into())),
    }
}

fn arp(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    if !matches!(
        args.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        [] | ["-n"] | ["-a"] | ["-an"] | ["-na"]
    ) {
        return Err(Unsupported("busybox arp: only arp, arp -n and arp -a are modelled".into()));
    }
    // BusyBox's arp_disp: ` [ether]`, ` PERM`, then `  on DEV`.
    let text: String = crate::render::nettools::arp_a(&ctx.eng.world, ctx.ns)
        .lines()
        .map(|l| match l.rfind(" on ") {
            Some(p) => format!("{}  on {}\n", &l[..p], &l[p + 4..]),
            None => format!("{l}\n"),
        })
        .collect();
    ctx.out(&text);
    Ok(Outcome::Exited(0))
}
