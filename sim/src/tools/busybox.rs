//! BusyBox applets, as `busybox APPLET` and as alpine and busybox containers
//! (docker, ctr) run them: `ping` ([`super::ping::run_busybox`]), `arp`
//! (`-a`/`-n`: BSD-style lines, `[ether]  on DEV` with two spaces) and
//! `ifconfig [-a] [DEV]` (the old net-tools 1.60 layout BusyBox keeps:
//! `Link encap:Ethernet  HWaddr 02:42:AC:...`, interfaces sorted by name).
//!
//! What it does not: the other applets. Inside a container `ip` and
//! `route` print as the host's iproute2 and net-tools do (BusyBox's `route
//! -n` prints the same table; its `ip` drops `state`/`group`): a divergence
//! listed in README. `ifconfig` setting addresses or flags, and address
//! labels (`eth0:1`), are not modelled.

use super::{Ctx, Outcome, ToolResult, Unsupported};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The applets netsim runs in BusyBox's form.
pub const APPLETS: &[&str] = &["ping", "arp", "ifconfig"];

/// `busybox APPLET ARGS`.
///
/// # Errors
/// [`Unsupported`] for other applets and options.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    match args.first().map(String::as_str) {
        Some("ping") => super::ping::run_busybox(ctx, &args[1..]),
        Some("arp") => arp(ctx, &args[1..]),
        Some("ifconfig") => ifconfig(ctx, &args[1..]),
        Some(a) => Err(Unsupported(format!("busybox {a} is not modelled; supported: busybox ping, arp, ifconfig"))),
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

/// BusyBox's `print_bytes_scaled`: the fraction is truncated, units KiB..TiB.
fn bytes_scaled(n: u64) -> String {
    let (mut int, mut frac) = (n, 0);
    let mut unit = "";
    for u in ["Ki", "Mi", "Gi", "Ti"] {
        if int >= 1024 {
            frac = ((int & 1023) * 10) / 1024;
            int /= 1024;
            unit = u;
        }
    }
    format!("{n} ({int}.{frac} {unit}B)")
}

fn ifconfig(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let (mut all, mut dev) = (false, None);
    for a in args {
        match a.as_str() {
            "-a" => all = true,
            d if !d.starts_with('-') && dev.is_none() => dev = Some(d.to_string()),
            _ => {
                return Err(Unsupported(format!(
                    "busybox ifconfig {}: only listing (ifconfig [-a] [DEV]) is modelled",
                    args.join(" ")
                )))
            }
        }
    }
    let w = &ctx.eng.world;
    let mut links: Vec<_> = w.links_in(ctx.ns).collect();
    links.sort_by(|a, b| w.link(*a).name.cmp(&w.link(*b).name));
    if links.iter().any(|l| w.link(*l).addrs.iter().any(|a| a.label.as_ref().is_some_and(|x| *x != w.link(*l).name))) {
        return Err(Unsupported("busybox ifconfig: address labels (eth0:1) are not modelled".into()));
    }
    let mut out = String::new();
    if let Some(d) = &dev {
        let Some(l) = links.iter().copied().find(|l| &w.link(*l).name == d) else {
            return ctx.fail(&format!("ifconfig: {d}: error fetching interface information: Device not found"), 1);
        };
        links = vec![l];
    }
    for id in links {
        let l = w.link(id);
        let flags = crate::render::nettools::iff_flags(w, id);
        if dev.is_none() && !all && flags & 0x1 == 0 {
            continue;
        }
        if l.is_loopback() {
            let _ = writeln!(out, "{:<10}Link encap:Local Loopback  ", l.name);
        } else {
            let _ = writeln!(out, "{:<10}Link encap:Ethernet  HWaddr {}  ", l.name, l.mac.to_string().to_uppercase());
        }
        if let Some(a) = l.addrs.first() {
            let m = Ipv4Addr::from(crate::model::addr::mask(a.prefix_len));
            if l.is_loopback() {
                let _ = writeln!(out, "          inet addr:{}  Mask:{m}", a.addr);
            } else {
                let b = a.broadcast.unwrap_or(Ipv4Addr::UNSPECIFIED);
                let _ = writeln!(out, "          inet addr:{}  Bcast:{b}  Mask:{m}", a.addr);
            }
        }
        for (a, p, scope) in crate::render::iproute::inet6_addrs(l) {
            let scope = match scope {
                "host" => "Host",
                "link" => "Link",
                _ => "Global",
            };
            let _ = writeln!(out, "          inet6 addr: {a}/{p} Scope:{scope}");
        }
        const NAMES: &[(u32, &str)] = &[
            (0x1, "UP"),
            (0x2, "BROADCAST"),
            (0x8, "LOOPBACK"),
            (0x40, "RUNNING"),
            (0x80, "NOARP"),
            (0x100, "PROMISC"),
            (0x1000, "MULTICAST"),
        ];
        let mut f: String = NAMES.iter().filter(|(b, _)| flags & b != 0).map(|(_, n)| format!("{n} ")).collect();
        if f.is_empty() {
            f.push_str("[NO FLAGS] ");
        }
        let _ = writeln!(out, "          {f} MTU:{}  Metric:1", l.mtu);
        let st = &l.stats;
        let _ = writeln!(
            out,
            "          RX packets:{} errors:0 dropped:{} overruns:0 frame:0",
            st.rx_packets, st.rx_dropped
        );
        let _ = writeln!(
            out,
            "          TX packets:{} errors:0 dropped:{} overruns:0 carrier:0",
            st.tx_packets, st.tx_dropped
        );
        let _ = writeln!(out, "          collisions:0 txqueuelen:{} ", l.qlen);
        let _ =
            writeln!(out, "          RX bytes:{}  TX bytes:{}", bytes_scaled(st.rx_bytes), bytes_scaled(st.tx_bytes));
        out.push('\n');
    }
    ctx.out(&out);
    Ok(Outcome::Exited(0))
}
