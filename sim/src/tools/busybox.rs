//! BusyBox applets, as `busybox APPLET` and as alpine and busybox containers
//! (docker, ctr) run them: `ping` ([`super::ping::run_busybox`]), `arp`
//! (`-a`/`-n`: BSD-style lines, `[ether]  on DEV` with two spaces) and
//! `ifconfig [-a] [DEV]` (the old net-tools 1.60 layout BusyBox keeps:
//! `Link encap:Ethernet  HWaddr 02:42:AC:...`, interfaces sorted by name).
//!
//! `ip a`/`ip addr [show] [DEV]` and `ip link [show] [DEV]` print as BusyBox's
//! `ip` (old iproute2 code): no `state`, `group` or `link-netnsid`, `qlen`
//! only when not 0, and a veth's `@PEER` resolved by ifindex in the caller's
//! own namespace (`@ifN` when no device there has it, and then `M-DOWN`, as
//! its flag lookup finds nothing up); every other `ip` command is iproute2's.
//!
//! `ip route|r|ro [show|list] [dev DEV] [table main|local|N]` and `ip
//! route get ADDR` print as BusyBox 1.35's `print_route` (no `proto`, no
//! `linkdown`, ` src`/` metric` with a leading space, `table` never shown for
//! one table; checked on the kernel, scenario `busybox-ip-route`).
//!
//! What it does not: the other applets; BusyBox's `ip neigh` listing
//! (iproute2's is printed: a divergence listed in README), `ip route show
//! table all` (it lists IPv6 routes too), other route selectors; its
//! `route -n` prints the same table as net-tools. `ifconfig` setting
//! addresses or flags, and address labels (`eth0:1`), are not modelled.

use super::{Ctx, Outcome, ToolResult, Unsupported};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The applets netsim runs in BusyBox's form.
pub const APPLETS: &[&str] = &["ping", "arp", "ifconfig", "ip"];

/// `busybox APPLET ARGS`.
///
/// # Errors
/// [`Unsupported`] for other applets and options.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    match args.first().map(String::as_str) {
        Some("ping") => super::ping::run_busybox(ctx, &args[1..]),
        Some("arp") => arp(ctx, &args[1..]),
        Some("ifconfig") => ifconfig(ctx, &args[1..]),
        Some("ip") => ip(ctx, &args[1..]),
        Some(a) => Err(Unsupported(format!("busybox {a} is not modelled; supported: busybox ping, arp, ifconfig, ip"))),
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

fn ip(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let (obj, rest) = match words.split_first() {
        Some((o, r)) => (*o, r),
        None => return super::run(ctx, &[String::from("ip")]),
    };
    if obj.starts_with('-') {
        return Err(Unsupported(format!("busybox ip {obj}: options are not modelled for BusyBox's ip")));
    }
    let link = match obj {
        "r" | "ro" | "rou" | "rout" | "route" => return ip_route(ctx, rest, args),
        "a" | "addr" | "address" => false,
        "l" | "link" => true,
        _ => return ip_iproute2(ctx, args),
    };
    let rest = match rest.split_first() {
        Some((v, r)) if matches!(*v, "show" | "s" | "list" | "ls" | "lst") => r,
        Some(_) => return ip_iproute2(ctx, args),
        None => rest,
    };
    let dev = match rest {
        [] => None,
        ["dev", d] | [d] => Some(d.to_string()),
        _ => {
            return Err(Unsupported(format!("busybox ip {}: only ip a|link [show] [DEV] is modelled", args.join(" "))))
        }
    };
    let w = &ctx.eng.world;
    if let Some(d) = &dev {
        if w.link_by_name(ctx.ns, d).is_none() {
            return ctx.fail(&format!("ip: can't find device '{d}'"), 1);
        }
    }
    let opts = crate::render::iproute::IpOpts::default();
    let text = if link {
        crate::render::iproute::ip_link_show(w, ctx.ns, dev.as_deref(), &opts)
    } else {
        crate::render::iproute::ip_addr_show(w, ctx.ns, dev.as_deref(), &opts)
    };
    let Ok(text) = text else {
        return Err(Unsupported("busybox ip: listing failed".into()));
    };
    let mut out = String::new();
    for line in text.lines() {
        if let Some(h) = header(w, ctx.ns, line) {
            out.push_str(&h);
        } else if line.starts_with("    link/") {
            let cut = line.find(" link-netns").unwrap_or(line.len());
            out.push_str(&line[..cut]);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    ctx.out(&out);
    Ok(Outcome::Exited(0))
}

/// `ip route` listings and `get` as BusyBox's iproute.c prints them; other
/// route commands (add, del, ...) as iproute2 (they print nothing).
fn ip_route(ctx: &mut Ctx<'_>, rest: &[&str], args: &[String]) -> ToolResult {
    use crate::model::route::{RouteScope, RouteType, TABLE_LOCAL, TABLE_MAIN};
    let (verb, sel) = match rest.split_first() {
        None => ("show", rest),
        Some((v, r)) => (*v, r),
    };
    // BusyBox's index_in_substrings: the first keyword the word starts.
    // (No `lst`: `ip route ls` is an error on the kernel's BusyBox 1.35.)
    const VERBS: [&str; 11] =
        ["add", "append", "change", "chg", "delete", "get", "list", "show", "replace", "test", "flush"];
    let Some(keyword) = VERBS.iter().find(|k| !verb.is_empty() && k.starts_with(verb)) else {
        return ctx.fail(&format!("ip: invalid argument '{verb}' to 'ip'"), 1);
    };
    if *keyword == "get" {
        let ([dst] | ["to", dst]) = sel else {
            return Err(Unsupported(format!("busybox ip {}: only ip route get ADDR is modelled", args.join(" "))));
        };
        let Ok(dst) = dst.parse::<Ipv4Addr>() else {
            return ctx.fail(&format!("ip: invalid argument '{dst}' to 'ip'"), 1);
        };
        let w = &ctx.eng.world;
        let Some(r) = w.fib_lookup(ctx.ns, dst, None).map(|f| f.route) else {
            return ctx.fail("ip: RTNETLINK answers: Network is unreachable", 2);
        };
        let err = match r.rtype {
            RouteType::Unreachable => Some("No route to host"),
            RouteType::Prohibit => Some("Permission denied"),
            RouteType::Blackhole => Some("Invalid argument"),
            _ => None,
        };
        if let Some(e) = err {
            return ctx.fail(&format!("ip: RTNETLINK answers: {e}"), 2);
        }
        let mut line = String::new();
        if r.rtype != RouteType::Unicast {
            let _ = write!(line, "{} ", r.rtype.as_str());
        }
        let _ = write!(line, "{dst} ");
        if let Some(gw) = r.gateway {
            let _ = write!(line, "via {gw} ");
        }
        let dev = if r.rtype == RouteType::Local { Some(w.lo(ctx.ns)) } else { r.dev };
        if let Some(d) = dev.filter(|d| w.link_alive(*d)) {
            let _ = write!(line, "dev {} ", w.link(d).name);
        }
        if let Some(src) = w.route_source(ctx.ns, &r, dst) {
            let _ = write!(line, " src {src} ");
        }
        line.push('\n');
        ctx.out(&line);
        return Ok(Outcome::Exited(0));
    }
    if !matches!(*keyword, "show" | "list") {
        return ip_iproute2(ctx, args);
    }
    let (mut dev, mut table) = (None, TABLE_MAIN);
    let mut it = sel.iter();
    while let Some(w) = it.next() {
        match (*w, it.next()) {
            ("dev", Some(d)) => dev = Some(d.to_string()),
            ("table", Some(t)) => {
                table = match *t {
                    "main" => TABLE_MAIN,
                    "local" => TABLE_LOCAL,
                    "all" => {
                        return Err(Unsupported(
                            "busybox ip route show table all: not modelled (BusyBox lists IPv6 routes there too)"
                                .into(),
                        ))
                    }
                    n => match n.parse::<u32>() {
                        Ok(n) => n,
                        Err(_) => return ctx.fail(&format!("ip: invalid argument '{n}' to 'table'"), 1),
                    },
                }
            }
            _ => {
                return Err(Unsupported(format!(
                    "busybox ip {}: only ip route [show] [dev DEV] [table main|local|N] is modelled",
                    args.join(" ")
                )))
            }
        }
    }
    let w = &ctx.eng.world;
    let oif = match &dev {
        Some(d) => match w.link_by_name(ctx.ns, d) {
            Some(l) => Some(l),
            None => return ctx.fail(&format!("ip: can't find device '{d}'"), 1),
        },
        None => None,
    };
    let mut out = String::new();
    for r in crate::render::iproute::dump_order(w, ctx.ns, table) {
        let alive = r.dev.filter(|d| w.link_alive(*d));
        if oif.is_some() && alive != oif {
            continue;
        }
        if r.rtype != RouteType::Unicast {
            let _ = write!(out, "{} ", r.rtype.as_str());
        }
        match r.prefix_len {
            0 => out.push_str("default "),
            32 => {
                let _ = write!(out, "{} ", r.dst);
            }
            n => {
                let _ = write!(out, "{}/{n} ", r.dst);
            }
        }
        if let Some(gw) = r.gateway {
            let _ = write!(out, "via {gw} ");
        }
        if let Some(d) = alive {
            let _ = write!(out, "dev {} ", w.link(d).name);
        }
        if r.scope != RouteScope::Universe {
            let _ = write!(out, "scope {} ", r.scope.as_str());
        }
        if let Some(src) = r.prefsrc {
            let _ = write!(out, " src {src} ");
        }
        if r.metric != 0 {
            let _ = write!(out, " metric {} ", r.metric);
        }
        if r.onlink {
            out.push_str("onlink ");
        }
        out.push('\n');
    }
    ctx.out(&out);
    Ok(Outcome::Exited(0))
}

/// Commands BusyBox's `ip` runs like iproute2 (changes print nothing).
fn ip_iproute2(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut argv = vec![String::from("ip")];
    argv.extend(args.iter().cloned());
    super::run(ctx, &argv)
}

/// A link record's first line as BusyBox's `print_linkinfo` prints it.
fn header(w: &crate::model::World, ns: crate::model::NsId, line: &str) -> Option<String> {
    let (idx, _) = line.split_once(": ")?;
    let idx: u32 = idx.parse().ok()?;
    let id = w.links_in(ns).find(|l| w.link(*l).ifindex == idx)?;
    let l = w.link(id);
    let mut s = format!("{idx}: {}", l.name);
    let mut m_down = false;
    if let Some(p) = l.veth_peer().filter(|p| w.link_alive(*p)) {
        let iflink = w.link(p).ifindex;
        match w.links_in(ns).find(|x| w.link(*x).ifindex == iflink) {
            Some(x) => {
                s.push_str(&format!("@{}", w.link(x).name));
                m_down = !w.link(x).admin_up;
            }
            None => {
                s.push_str(&format!("@if{iflink}"));
                m_down = true;
            }
        }
    }
    let mut flags: Vec<&str> =
        crate::render::iproute::link_flags(w, id).into_iter().filter(|f| *f != "M-DOWN").collect();
    if m_down {
        flags.push("M-DOWN");
    }
    s.push_str(&format!(": <{}> mtu {} qdisc {} ", flags.join(","), l.mtu, crate::render::iproute::qdisc(l)));
    if let Some(m) = l.master.filter(|m| w.link_alive(*m)) {
        s.push_str(&format!("master {} ", w.link(m).name));
    }
    if l.qlen != 0 {
        s.push_str(&format!("qlen {}", l.qlen));
    }
    Some(s)
}
