//! `ip` (iproute2 6.1): `netns`, `link`, `addr`, `route`, `neigh`, with the
//! global options `-n NS`, `-br`, `-d`, `-s`, `-j`, `-4`, `-o` (refused).
//!
//! Error texts and exit statuses are iproute2's: `Cannot find device "X"`
//! (1), `RTNETLINK answers: File exists` (2), `Error: ...` for extack
//! messages (2). Option words are matched by unique prefix as iproute2's
//! `matches()` does for the common ones (`a`, `addr`, `r`, `ro`, `n`, ...).

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::model::addr::AddrScope;
use crate::model::route::{RouteProto, RouteScope, RouteType, TABLE_MAIN};
use crate::model::{IfAddr, LinkId, MacAddr, ModelError, NsId, Route};
use crate::render::iproute::{Family, IpError, IpOpts, TableSel};
use std::net::Ipv4Addr;

/// iproute2's `matches(arg, word)`: `arg` is a non-empty prefix of `word`.
fn matches(arg: &str, word: &str) -> bool {
    !arg.is_empty() && word.starts_with(arg)
}

fn rtnl(ctx: &mut Ctx<'_>, e: ModelError) -> ToolResult {
    ctx.fail(&format!("RTNETLINK answers: {e}"), 2)
}

/// Prints a listing, or the error `ip` prints instead with its exit status.
fn shown(ctx: &mut Ctx<'_>, r: Result<String, IpError>) -> ToolResult {
    match r {
        Ok(text) => {
            ctx.out(&text);
            Ok(Outcome::Exited(0))
        }
        Err(e) => {
            let code = match e {
                IpError::NoDevice(_) | IpError::CannotFindDevice(_) => 1,
                _ => 2,
            };
            ctx.fail(&e.to_string(), code)
        }
    }
}

fn no_dev(ctx: &mut Ctx<'_>, name: &str) -> ToolResult {
    ctx.fail(&format!("Cannot find device \"{name}\""), 1)
}

/// Runs `ip ARGS`.
///
/// # Errors
/// [`Unsupported`] for objects, commands and options netsim does not model.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut opts = IpOpts::default();
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        let a = args[i].trim_start_matches('-');
        match a {
            "n" | "netns" => {
                let Some(name) = args.get(i + 1) else {
                    return ctx.fail("Option \"-n\" requires an argument", 255);
                };
                let Some(ns) = ctx.eng.world.ns_names.get(name).copied() else {
                    return ctx
                        .fail(&format!("Cannot open network namespace \"{name}\": No such file or directory"), 255);
                };
                ctx.ns = ns;
                i += 1;
            }
            "br" | "brief" => opts.brief = true,
            "d" | "details" => opts.details = true,
            "s" | "stats" | "statistics" => opts.stats += 1,
            "j" | "json" => opts.json = true,
            "o" | "oneline" => opts.oneline = true,
            "4" => opts.family = Family::Inet,
            "6" => opts.family = Family::Inet6,
            _ => {
                return Err(Unsupported(format!(
                    "ip option '{}' is not modelled; supported: -n -br -d -s -j -o -4 -6",
                    args[i]
                )))
            }
        }
        i += 1;
    }
    let rest = &args[i..];
    let Some(obj) = rest.first() else {
        return ctx.fail("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }", 255);
    };
    let sub = &rest[1..];
    opts.now_ns = ctx.eng.now;
    let o = obj.as_str();
    if o == "netns" {
        netns(ctx, sub)
    } else if matches(o, "link") {
        link(ctx, sub, &opts)
    } else if matches(o, "address") {
        addr(ctx, sub, &opts)
    } else if matches(o, "route") {
        route(ctx, sub, &opts)
    } else if matches(o, "neighbor") || matches(o, "neighbour") {
        neigh(ctx, sub, &opts)
    } else {
        Err(Unsupported(format!("ip object '{o}' is not modelled; supported: netns, link, addr, route, neigh")))
    }
}

fn netns(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let cmd = args.first().map(String::as_str).unwrap_or("list");
    match cmd {
        "add" => {
            let Some(name) = args.get(1) else {
                return ctx.fail("No netns name specified", 255);
            };
            match ctx.eng.netns_add(name) {
                Ok(_) => Ok(Outcome::Exited(0)),
                Err(_) => ctx.fail(&format!("Cannot create namespace file \"/run/netns/{name}\": File exists"), 1),
            }
        }
        "del" | "delete" => {
            let Some(name) = args.get(1) else {
                return ctx.fail("No netns name specified", 255);
            };
            // A name `ln -s /proc/PID/ns/net` made for a container's
            // namespace: iproute2's umount fails quietly on the link and
            // unlink removes only the name; the container keeps its namespace.
            if let Some(ns) = ctx.eng.world.ns_names.get(name).copied() {
                let d = &ctx.eng.docker;
                if d.tasks.iter().any(|t| t.ns == ns) || d.containers.iter().any(|c| c.ns == ns) {
                    ctx.eng.world.ns_names.remove(name);
                    return Ok(Outcome::Exited(0));
                }
            }
            match ctx.eng.netns_del(name) {
                Ok(()) => Ok(Outcome::Exited(0)),
                Err(_) => ctx
                    .fail(&format!("Cannot remove namespace file \"/run/netns/{name}\": No such file or directory"), 1),
            }
        }
        "list" | "ls" | "show" => {
            let text = crate::render::iproute::ip_netns_list(&ctx.eng.world, ctx.ns, false);
            ctx.out(&text);
            Ok(Outcome::Exited(0))
        }
        "exec" => {
            let Some(name) = args.get(1) else {
                return ctx.fail("No netns name specified", 255);
            };
            let Some(ns) = ctx.eng.world.ns_names.get(name).copied() else {
                return ctx.fail(&format!("Cannot open network namespace \"{name}\": No such file or directory"), 255);
            };
            if args.len() < 3 {
                return ctx.fail("No command specified", 255);
            }
            let inner = &args[2..];
            // Shell builtins that act on the shell's own jobs or options make
            // no sense in another process; bash itself would say "not found".
            if !super::is_known(&inner[0]) || matches!(inner[0].as_str(), "kill" | "wait" | "set" | "exit") {
                return Err(Unsupported(format!(
                    "'ip netns exec {name} {}' runs a command netsim does not model; supported: {}",
                    inner[0],
                    super::COMMANDS.join(", ")
                )));
            }
            let saved = ctx.ns;
            ctx.ns = ns;
            let r = super::run(ctx, inner);
            ctx.ns = saved;
            r
        }
        "identify" | "pids" | "set" | "monitor" | "attach" => {
            Err(Unsupported(format!("ip netns {cmd} is not modelled")))
        }
        _ => Err(Unsupported(format!("ip netns {cmd} is not modelled; supported: add, del, list, exec"))),
    }
}

fn parse_mac(ctx: &mut Ctx<'_>, s: &str) -> Result<Option<MacAddr>, ToolResult> {
    match MacAddr::parse(s) {
        Some(m) => Ok(Some(m)),
        None => Err(ctx.fail(&format!("\"{s}\" is invalid lladdr."), 1)),
    }
}

fn link(ctx: &mut Ctx<'_>, args: &[String], opts: &IpOpts) -> ToolResult {
    let cmd = args.first().map(String::as_str).unwrap_or("show");
    let rest = if args.is_empty() { args } else { &args[1..] };
    match cmd {
        "add" => link_add(ctx, rest),
        "set" => link_set(ctx, rest),
        "del" | "delete" => {
            let name = rest.iter().find(|a| *a != "dev").cloned().unwrap_or_default();
            let Some(l) = ctx.dev(&name) else {
                return no_dev(ctx, &name);
            };
            if ctx.eng.world.link(l).is_loopback() {
                return rtnl(ctx, ModelError::NotSupported);
            }
            ctx.eng.destroy_link(l);
            Ok(Outcome::Exited(0))
        }
        c if matches(c, "show") || c == "list" || c == "ls" => {
            let mut dev = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "dev" => dev = it.next().cloned(),
                    "up" | "type" | "master" => return Err(Unsupported(format!("ip link show {a} is not modelled"))),
                    s => dev = Some(s.to_string()),
                }
            }
            ctx.eng.link_dump(ctx.ns);
            shown(ctx, crate::render::iproute::ip_link_show(&ctx.eng.world, ctx.ns, dev.as_deref(), opts))
        }
        _ => Err(Unsupported(format!("ip link {cmd} is not modelled; supported: add, set, del, show"))),
    }
}

fn link_add(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut name = None;
    let mut kind = None;
    let mut mac = None;
    let mut mtu = None;
    let mut peer_name = None;
    let mut peer_mac = None;
    let mut peer_ns: Option<String> = None;
    let mut dev_ns: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let next = args.get(i + 1).cloned();
        match a {
            "name" | "dev" => {
                name = next;
                i += 1;
            }
            "netns" => {
                dev_ns = next;
                i += 1;
            }
            "type" => {
                kind = next;
                if let Some(k) = kind.as_deref().filter(|k| *k != "veth" && *k != "bridge") {
                    return Err(Unsupported(format!("ip link add type {k} is not modelled; supported: veth, bridge")));
                }
                i += 1;
                // Everything after the type belongs to it (veth: peer ...).
                let mut j = i + 1;
                while j < args.len() {
                    match args[j].as_str() {
                        "peer" => {}
                        "name" => {
                            peer_name = args.get(j + 1).cloned();
                            j += 1;
                        }
                        "address" => {
                            let v = args.get(j + 1).cloned().unwrap_or_default();
                            match parse_mac(ctx, &v) {
                                Ok(m) => peer_mac = m,
                                Err(r) => return r,
                            }
                            j += 1;
                        }
                        "netns" => {
                            peer_ns = args.get(j + 1).cloned();
                            j += 1;
                        }
                        other if peer_name.is_none() && args[j - 1] == "peer" => peer_name = Some(other.to_string()),
                        other => {
                            return Err(Unsupported(format!(
                                "ip link add ... type {}: option '{other}' is not modelled",
                                kind.clone().unwrap_or_default()
                            )))
                        }
                    }
                    j += 1;
                }
                i = j;
                continue;
            }
            "address" => {
                match parse_mac(ctx, &next.unwrap_or_default()) {
                    Ok(m) => mac = m,
                    Err(r) => return r,
                }
                i += 1;
            }
            "mtu" => {
                mtu = next.and_then(|v| v.parse::<u32>().ok());
                i += 1;
            }
            s if name.is_none() && !s.starts_with('-') => name = Some(s.to_string()),
            s => {
                return Err(Unsupported(format!(
                    "ip link add: option '{s}' is not modelled; supported: NAME, address, mtu, type veth|bridge"
                )))
            }
        }
        i += 1;
    }
    let Some(name) = name else {
        return ctx.fail("Not enough information: \"dev\" argument is required.", 255);
    };
    // The device goes to `netns` if given; the veth peer to its own
    // `netns`, else it stays in the caller's namespace (veth_newlink).
    let lookup = |ctx: &mut Ctx<'_>, n: &Option<String>| -> Result<NsId, ToolResult> {
        match n {
            None => Ok(ctx.ns),
            Some(p) => ctx.eng.world.ns_names.get(p).copied().ok_or_else(|| {
                ctx.fail(&format!("Cannot open network namespace \"{p}\": No such file or directory"), 255)
            }),
        }
    };
    let ns = match lookup(ctx, &dev_ns) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let id = match kind.as_deref() {
        Some("veth") => {
            let pns = match lookup(ctx, &peer_ns) {
                Ok(n) => n,
                Err(r) => return r,
            };
            let peer = peer_name.clone().unwrap_or_else(|| {
                (0..)
                    .map(|n| format!("veth{n}"))
                    .find(|c| ctx.eng.world.name_free(pns, c) && *c != name)
                    .unwrap_or_default()
            });
            match ctx.eng.link_add_veth(ns, &name, mac, &peer, pns, peer_mac) {
                Ok(id) => id,
                Err(e) => return rtnl(ctx, e),
            }
        }
        Some("bridge") => match ctx.eng.link_add_bridge(ns, &name, mac) {
            Ok(id) => id,
            Err(e) => return rtnl(ctx, e),
        },
        Some(k) => return Err(Unsupported(format!("ip link add type {k} is not modelled; supported: veth, bridge"))),
        None => return ctx.fail("Not enough information: \"type\" argument is required", 2),
    };
    if let Some(m) = mtu {
        ctx.eng.world.link_mut(id).mtu = m;
    }
    Ok(Outcome::Exited(0))
}

fn link_set(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut dev_name = None;
    let mut ops: Vec<(String, Option<String>)> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "dev" => {
                dev_name = args.get(i + 1).cloned();
                i += 1;
            }
            "up" | "down" | "nomaster" => ops.push((a.to_string(), None)),
            "type" => {
                // `ip link set BR type bridge OPTION VALUE ...`
                if args.get(i + 1).map(String::as_str) != Some("bridge") {
                    return Err(Unsupported(format!("ip link set ... type {} is not modelled; supported: type bridge ageing_time N", args.get(i + 1).cloned().unwrap_or_default())));
                }
                let mut j = i + 2;
                while j < args.len() {
                    match args[j].as_str() {
                        "ageing_time" => {
                            let Some(v) = args.get(j + 1).cloned() else { return ctx.fail("Command line is not complete. Try option \"help\"", 255) };
                            ops.push(("ageing_time".into(), Some(v)));
                            j += 2;
                        }
                        o => return Err(Unsupported(format!("ip link set ... type bridge {o} is not modelled; supported: ageing_time"))),
                    }
                }
                i = j;
                continue;
            }
            "master" | "netns" | "name" | "address" | "mtu" | "promisc" | "arp" | "txqueuelen" | "qlen" => {
                let Some(v) = args.get(i + 1).cloned() else { return ctx.fail("Command line is not complete. Try option \"help\"", 255) };
                ops.push((a.to_string(), Some(v)));
                i += 1;
            }
            s if dev_name.is_none() => dev_name = Some(s.to_string()),
            s => return Err(Unsupported(format!("ip link set: '{s}' is not modelled; supported: up, down, master, nomaster, netns, name, address, mtu, promisc"))),
        }
        i += 1;
    }
    let Some(name) = dev_name else {
        return ctx.fail("Not enough information: \"dev\" argument is required.", 255);
    };
    let Some(dev) = ctx.dev(&name) else {
        return no_dev(ctx, &name);
    };
    // Validate everything first so nothing is half-applied.
    let mut target_ns: Option<NsId> = None;
    let mut master = None;
    for (op, v) in &ops {
        let v = v.clone().unwrap_or_default();
        match op.as_str() {
            "master" => match ctx.dev(&v) {
                Some(m) => master = Some(m),
                // iproute2 resolves the name itself and prints an extra
                // blank line after this message.
                None => return ctx.fail(&format!("Error: argument \"{v}\" is wrong: Device does not exist\n\n"), 255),
            },
            "netns" => {
                // iproute2 tries a name first, then a process id
                // (IFLA_NET_NS_PID); a task's namespace (`ctr`) is the
                // only one netsim gives a process id.
                match ctx.eng.world.ns_names.get(&v).copied() {
                    Some(n) => target_ns = Some(n),
                    None if v.parse::<u32>().is_ok() => match super::ctr::netns_of_pid(ctx.eng, v.parse().unwrap_or(0))
                    {
                        Some(n) => target_ns = Some(n),
                        None => return ctx.fail("RTNETLINK answers: No such process", 2),
                    },
                    None => {
                        return ctx.fail(&format!("Error: argument \"{v}\" is wrong: Invalid \"netns\" value\n\n"), 255)
                    }
                }
            }
            "address" if MacAddr::parse(&v).is_none() => {
                return ctx.fail(&format!("\"{v}\" is invalid lladdr."), 1);
            }
            "mtu" | "txqueuelen" | "qlen" if v.parse::<u32>().is_err() => {
                return ctx.fail(&format!("Error: argument \"{v}\" is wrong: Invalid \"{op}\" value"), 255);
            }
            "promisc" | "arp" => {
                if v != "on" && v != "off" {
                    return ctx
                        .fail(&format!("Error: argument of \"{op}\" must be \"on\" or \"off\", not \"{v}\""), 255);
                }
                if op == "arp" {
                    return Err(Unsupported("ip link set arp on|off is not modelled".into()));
                }
            }
            _ => {}
        }
    }
    // The kernel's do_setlink order: netns, then name, then address/mtu,
    // then master, then flags.
    if let Some(ns) = target_ns {
        if let Err(e) = ctx.eng.link_set_netns(dev, ns) {
            return rtnl(ctx, e);
        }
    }
    for (op, v) in &ops {
        let v = v.clone().unwrap_or_default();
        let r = match op.as_str() {
            "name" => ctx.eng.link_rename(dev, &v),
            "address" => ctx.eng.link_set_mac(dev, MacAddr::parse(&v).expect("validated above")),
            "mtu" => {
                ctx.eng.world.link_mut(dev).mtu = v.parse().expect("validated above");
                Ok(())
            }
            "txqueuelen" | "qlen" => {
                ctx.eng.world.link_mut(dev).qlen = v.parse().expect("validated above");
                Ok(())
            }
            "ageing_time" => match (ctx.eng.world.link(dev).bridge().is_some(), v.parse::<u64>()) {
                (true, Ok(cs)) => {
                    super::bridge::set_ageing(ctx, dev, cs);
                    Ok(())
                }
                (false, _) => Err(ModelError::NotSupported),
                (_, Err(_)) => return ctx.fail(&format!("Error: argument \"{v}\" is wrong: invalid ageing_time"), 255),
            },
            _ => Ok(()),
        };
        if let Err(e) = r {
            return rtnl(ctx, e);
        }
    }
    for (op, _) in &ops {
        match op.as_str() {
            "master" => {
                if let Err(e) = ctx.eng.link_set_master(dev, master.expect("validated above")) {
                    return rtnl(ctx, e);
                }
            }
            "nomaster" => ctx.eng.link_nomaster(dev),
            _ => {}
        }
    }
    for (op, v) in &ops {
        match op.as_str() {
            "up" => ctx.eng.link_set_up(dev),
            "down" => ctx.eng.link_set_down(dev),
            "promisc" => {
                let l = ctx.eng.world.link_mut(dev);
                l.promisc_flag = v.as_deref() == Some("on");
            }
            _ => {}
        }
    }
    Ok(Outcome::Exited(0))
}

fn parse_prefix(s: &str) -> Option<(Ipv4Addr, Option<u8>)> {
    match s.split_once('/') {
        Some((a, l)) => {
            let len: u8 = l.parse().ok().filter(|l| *l <= 32)?;
            Some((a.parse().ok()?, Some(len)))
        }
        None => Some((s.parse().ok()?, None)),
    }
}

fn addr(ctx: &mut Ctx<'_>, args: &[String], opts: &IpOpts) -> ToolResult {
    let cmd = args.first().map(String::as_str).unwrap_or("show");
    let rest = if args.is_empty() { args } else { &args[1..] };
    match cmd {
        "add" | "del" | "delete" | "change" | "replace" => {
            let mut prefix = None;
            let mut dev_name = None;
            let mut brd = None;
            let mut scope = None;
            let mut label = None;
            let mut noprefixroute = false;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "dev" => dev_name = it.next().cloned(),
                    "brd" | "broadcast" => brd = it.next().cloned(),
                    "scope" => scope = it.next().cloned(),
                    "label" => label = it.next().cloned(),
                    "noprefixroute" => noprefixroute = true,
                    "local" => prefix = it.next().cloned(),
                    s if prefix.is_none() => prefix = Some(s.to_string()),
                    s => {
                        return Err(Unsupported(format!(
                        "ip addr {cmd}: option '{s}' is not modelled; supported: dev, brd, scope, label, noprefixroute"
                    )))
                    }
                }
            }
            let Some(p) = prefix else {
                return ctx.fail("Not enough information: \"dev\" argument is required.", 1);
            };
            let Some((ip, len)) = parse_prefix(&p) else {
                return ctx.fail(&format!("Error: any valid prefix is expected rather than \"{p}\"."), 1);
            };
            let Some(dn) = dev_name else {
                return ctx.fail("Not enough information: \"dev\" argument is required.", 1);
            };
            let Some(dev) = ctx.dev(&dn) else {
                return no_dev(ctx, &dn);
            };
            if cmd.starts_with("del") {
                return match ctx.eng.addr_del(dev, ip, len) {
                    Ok(()) => Ok(Outcome::Exited(0)),
                    // The kernel's extack message (inet_rtm_deladdr).
                    Err(_) => ctx.fail("Error: ipv4: Address not found.", 2),
                };
            }
            if cmd != "add" {
                return Err(Unsupported(format!("ip addr {cmd} is not modelled; use add/del")));
            }
            let len = len.unwrap_or(32);
            let broadcast = match brd.as_deref() {
                None => None,
                Some("+") => Some(Ipv4Addr::from(u32::from(ip) | !crate::model::addr::mask(len))),
                Some("-") => None,
                Some(b) => match b.parse() {
                    Ok(b) => Some(b),
                    Err(_) => return ctx.fail(&format!("Error: an inet address is expected rather than \"{b}\"."), 1),
                },
            };
            let scope = match scope.as_deref() {
                None => crate::engine::netlink::default_addr_scope(ip),
                Some("global") => AddrScope::Global,
                Some("link") => AddrScope::Link,
                Some("host") => AddrScope::Host,
                Some(s) => return Err(Unsupported(format!("ip addr add scope {s} is not modelled"))),
            };
            let a = IfAddr { addr: ip, prefix_len: len, broadcast, scope, secondary: false, label, noprefixroute };
            match ctx.eng.addr_add(dev, a) {
                Ok(()) => Ok(Outcome::Exited(0)),
                // The kernel's extack messages (__inet_insert_ifa).
                Err(ModelError::InvalidScope) => ctx.fail("Error: ipv4: Invalid scope value.", 2),
                Err(_) => ctx.fail("Error: ipv4: Address already assigned.", 2),
            }
        }
        "flush" => {
            let name = rest.iter().find(|a| *a != "dev").cloned().unwrap_or_default();
            let Some(dev) = ctx.dev(&name) else {
                return no_dev(ctx, &name);
            };
            ctx.eng.addr_flush(dev);
            Ok(Outcome::Exited(0))
        }
        c if matches(c, "show") || c == "list" || c == "ls" => {
            let mut dev = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "dev" => dev = it.next().cloned(),
                    s if !s.starts_with('-') && dev.is_none() && !["up", "scope", "label", "to"].contains(&s) => {
                        dev = Some(s.to_string())
                    }
                    s => return Err(Unsupported(format!("ip addr show {s} is not modelled"))),
                }
            }
            ctx.eng.link_dump(ctx.ns);
            shown(ctx, crate::render::iproute::ip_addr_show(&ctx.eng.world, ctx.ns, dev.as_deref(), opts))
        }
        _ => Err(Unsupported(format!("ip addr {cmd} is not modelled; supported: add, del, flush, show"))),
    }
}

fn route(ctx: &mut Ctx<'_>, args: &[String], opts: &IpOpts) -> ToolResult {
    let cmd = args.first().map(String::as_str).unwrap_or("show");
    let rest = if args.is_empty() { args } else { &args[1..] };
    match cmd {
        "add" | "del" | "delete" | "replace" | "change" | "append" => route_change(ctx, cmd, rest),
        "get" => {
            let mut dst = None;
            let mut oif = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "oif" | "dev" => oif = it.next().cloned(),
                    "to" => dst = it.next().cloned(),
                    s if dst.is_none() => dst = Some(s.to_string()),
                    s => return Err(Unsupported(format!("ip route get {s} is not modelled"))),
                }
            }
            let Some(d) = dst.and_then(|d| d.parse::<Ipv4Addr>().ok()) else {
                return ctx.fail("Error: inet prefix is expected.", 1);
            };
            if let Some(n) = oif {
                return Err(Unsupported(format!("ip route get ... oif {n} is not modelled")));
            }
            shown(ctx, crate::render::iproute::ip_route_get(&ctx.eng.world, ctx.ns, d))
        }
        "flush" => Err(Unsupported("ip route flush is not modelled".into())),
        c if matches(c, "show") || c == "list" || c == "ls" => {
            let mut table = TableSel::Main;
            let mut dev = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "dev" => dev = it.next().cloned(),
                    "table" => {
                        table = match it.next().map(String::as_str) {
                            Some("main") => TableSel::Main,
                            Some("local") => TableSel::Local,
                            Some("all") => TableSel::All,
                            Some(t) => {
                                return Err(Unsupported(format!(
                                    "ip route show table {t} is not modelled; supported: main, local, all"
                                )))
                            }
                            None => return ctx.fail("Command line is not complete. Try option \"help\"", 255),
                        }
                    }
                    s => return Err(Unsupported(format!("ip route show {s} is not modelled"))),
                }
            }
            shown(ctx, crate::render::iproute::ip_route_show(&ctx.eng.world, ctx.ns, table, dev.as_deref(), opts))
        }
        _ => Err(Unsupported(format!("ip route {cmd} is not modelled; supported: add, del, replace, get, show"))),
    }
}

fn route_change(ctx: &mut Ctx<'_>, cmd: &str, args: &[String]) -> ToolResult {
    let mut dst = None;
    let mut via = None;
    let mut dev_name = None;
    let mut src = None;
    let mut metric = 0u32;
    let mut onlink = false;
    let mut rtype = RouteType::Unicast;
    let mut proto = RouteProto::Boot;
    let mut scope = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "via" => via = it.next().cloned(),
            "dev" | "oif" => dev_name = it.next().cloned(),
            "src" => src = it.next().cloned(),
            "metric" | "priority" | "preference" => metric = it.next().and_then(|m| m.parse().ok()).unwrap_or(0),
            "onlink" => onlink = true,
            "proto" => {
                proto = match it.next().map(String::as_str) {
                    Some("static") => RouteProto::Static,
                    Some("boot") => RouteProto::Boot,
                    Some("kernel") => RouteProto::Kernel,
                    Some(p) => return Err(Unsupported(format!("ip route proto {p} is not modelled"))),
                    None => return ctx.fail("Command line is not complete. Try option \"help\"", 255),
                }
            }
            "scope" => scope = it.next().cloned(),
            "unreachable" | "blackhole" | "prohibit" if dst.is_none() => {
                rtype = match a.as_str() {
                    "unreachable" => RouteType::Unreachable,
                    "blackhole" => RouteType::Blackhole,
                    _ => RouteType::Prohibit,
                }
            }
            "to" => dst = it.next().cloned(),
            "table" => return Err(Unsupported("ip route ... table is not modelled (main only)".into())),
            s if dst.is_none() => dst = Some(s.to_string()),
            s => {
                return Err(Unsupported(format!(
                "ip route {cmd}: option '{s}' is not modelled; supported: via, dev, src, metric, onlink, proto, scope"
            )))
            }
        }
    }
    let Some(d) = dst else {
        return ctx.fail("Error: inet prefix is expected.", 1);
    };
    let (net, len) = if d == "default" || d == "0/0" {
        (Ipv4Addr::UNSPECIFIED, 0)
    } else {
        match parse_prefix(&d) {
            Some((a, l)) => {
                let l = l.unwrap_or(32);
                if u32::from(a) & !crate::model::addr::mask(l) != 0 {
                    return ctx.fail("Error: Invalid prefix for given prefix length.", 2);
                }
                (a, l)
            }
            None => return ctx.fail(&format!("Error: any valid prefix is expected rather than \"{d}\"."), 1),
        }
    };
    let dev = match &dev_name {
        Some(n) => match ctx.dev(n) {
            Some(l) => Some(l),
            None => return no_dev(ctx, n),
        },
        None => None,
    };
    let gw = match via.as_deref() {
        Some(g) => match g.parse::<Ipv4Addr>() {
            Ok(g) => Some(g),
            Err(_) => return ctx.fail(&format!("Error: inet address is expected rather than \"{g}\"."), 1),
        },
        None => None,
    };
    let prefsrc = match src.as_deref() {
        Some(s) => match s.parse::<Ipv4Addr>() {
            Ok(s) => Some(s),
            Err(_) => return ctx.fail(&format!("Error: inet address is expected rather than \"{s}\"."), 1),
        },
        None => None,
    };
    let ns = ctx.ns;
    if cmd.starts_with("del") {
        let routes = &mut ctx.eng.world.ns_mut(ns).routes.routes;
        let pos = routes.iter().position(|r| {
            r.table == TABLE_MAIN
                && r.dst == net
                && r.prefix_len == len
                && (dev.is_none() || r.dev == dev)
                && (gw.is_none() || r.gateway == gw)
                && (metric == 0 || r.metric == metric)
        });
        return match pos {
            Some(p) => {
                routes.remove(p);
                Ok(Outcome::Exited(0))
            }
            None => rtnl(ctx, ModelError::NoSuchProcess),
        };
    }
    // fib_check_nh: resolve the device and validate the gateway.
    let mut out_dev = dev;
    if let Some(g) = gw {
        if !onlink {
            let via_route = ctx.eng.world.fib_lookup(ns, g, dev);
            match via_route {
                Some(r)
                    if r.route.rtype == RouteType::Unicast
                        && r.route.gateway.is_none()
                        && r.route.scope >= RouteScope::Link =>
                {
                    if out_dev.is_none() {
                        out_dev = r.route.dev;
                    }
                }
                _ => return ctx.fail("Error: Nexthop has invalid gateway.", 2),
            }
        } else if dev.is_none() {
            return ctx.fail("Error: Nexthop device required for onlink.", 2);
        }
    }
    if rtype == RouteType::Unicast {
        let Some(d) = out_dev else {
            return ctx.fail("Error: Device for nexthop is not up.", 2);
        };
        if !ctx.eng.world.link(d).admin_up {
            let msg =
                if gw.is_some() { "Error: Nexthop device is not up." } else { "Error: Device for nexthop is not up." };
            return ctx.fail(msg, 2);
        }
    }
    let scope = match scope.as_deref() {
        Some("link") => RouteScope::Link,
        Some("host") => RouteScope::Host,
        Some("global") | Some("universe") => RouteScope::Universe,
        Some(s) => return Err(Unsupported(format!("ip route scope {s} is not modelled"))),
        None if gw.is_none() && rtype == RouteType::Unicast => RouteScope::Link,
        None => RouteScope::Universe,
    };
    let r = Route {
        table: TABLE_MAIN,
        dst: net,
        prefix_len: len,
        rtype,
        dev: out_dev,
        gateway: gw,
        prefsrc,
        metric,
        scope,
        proto,
        onlink,
    };
    match ctx.eng.world.ns_mut(ns).routes.insert(r, cmd == "replace" || cmd == "change") {
        Ok(()) => Ok(Outcome::Exited(0)),
        Err(()) => rtnl(ctx, ModelError::Exists),
    }
}

fn neigh(ctx: &mut Ctx<'_>, args: &[String], opts: &IpOpts) -> ToolResult {
    let cmd = args.first().map(String::as_str).unwrap_or("show");
    let rest = if args.is_empty() { args } else { &args[1..] };
    match cmd {
        c if matches(c, "show") || c == "list" || c == "ls" => {
            let mut dev = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "dev" => dev = it.next().cloned(),
                    s => return Err(Unsupported(format!("ip neigh show {s} is not modelled"))),
                }
            }
            shown(ctx, crate::render::iproute::ip_neigh_show(&ctx.eng.world, ctx.ns, dev.as_deref(), opts))
        }
        "flush" => {
            let mut dev: Option<LinkId> = None;
            let mut it = rest.iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "dev" => {
                        let n = it.next().cloned().unwrap_or_default();
                        match ctx.dev(&n) {
                            Some(l) => dev = Some(l),
                            None => return no_dev(ctx, &n),
                        }
                    }
                    "all" => {}
                    s => return Err(Unsupported(format!("ip neigh flush {s} is not modelled"))),
                }
            }
            let ns = ctx.ns;
            ctx.eng
                .world
                .ns_mut(ns)
                .neigh
                .retain(|(d, _), n| dev.is_some_and(|x| x != *d) || n.state == crate::model::NeighState::Permanent);
            Ok(Outcome::Exited(0))
        }
        "add" | "replace" | "change" | "del" | "delete" => neigh_change(ctx, cmd, rest),
        _ => Err(Unsupported(format!(
            "ip neigh {cmd} is not modelled; supported: show, flush, add, replace, change, del"
        ))),
    }
}

/// `ip neigh add|replace|change|del ADDR [lladdr MAC] dev DEV [nud STATE]`
/// (`neigh_add` / `neigh_delete`): a user entry, PERMANENT unless `nud`
/// says otherwise.
fn neigh_change(ctx: &mut Ctx<'_>, cmd: &str, args: &[String]) -> ToolResult {
    use crate::model::{Neigh, NeighState};
    let mut addr = None;
    let mut lladdr = None;
    let mut dev_name = None;
    let mut nud = NeighState::Permanent;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "lladdr" | "address" => lladdr = it.next().cloned(),
            "dev" => dev_name = it.next().cloned(),
            "to" => addr = it.next().cloned(),
            "nud" => {
                nud = match it.next().map(String::as_str) {
                    Some("permanent") => NeighState::Permanent,
                    Some("reachable") => NeighState::Reachable,
                    Some("stale") => NeighState::Stale,
                    Some("noarp") => NeighState::Noarp,
                    Some(n) => {
                        return Err(Unsupported(format!(
                            "ip neigh ... nud {n} is not modelled; supported: permanent, reachable, stale, noarp"
                        )))
                    }
                    None => return ctx.fail("Command line is not complete. Try option \"help\"", 255),
                }
            }
            s if addr.is_none() => addr = Some(s.to_string()),
            s => {
                return Err(Unsupported(format!(
                    "ip neigh {cmd}: option '{s}' is not modelled; supported: lladdr, dev, nud"
                )))
            }
        }
    }
    let Some(dn) = dev_name else { return ctx.fail("Device and destination are required arguments.", 255) };
    let Some(a) = addr else { return ctx.fail("Device and destination are required arguments.", 255) };
    let Ok(ip) = a.parse::<Ipv4Addr>() else {
        return ctx.fail(&format!("Error: inet address is expected rather than \"{a}\"."), 1);
    };
    let Some(dev) = ctx.dev(&dn) else { return no_dev(ctx, &dn) };
    let mac = match lladdr.as_deref().map(MacAddr::parse) {
        None => None,
        Some(Some(m)) => Some(m),
        Some(None) => return ctx.fail(&format!("\"{}\" is invalid lladdr.", lladdr.unwrap_or_default()), 255),
    };
    let ns = ctx.ns;
    let now = ctx.eng.now;
    let table = &mut ctx.eng.world.ns_mut(ns).neigh;
    let exists = table.contains_key(&(dev, ip));
    match cmd {
        "del" | "delete" => {
            if table.remove(&(dev, ip)).is_none() {
                return rtnl(ctx, ModelError::NotFound);
            }
            return Ok(Outcome::Exited(0));
        }
        "add" if exists => return rtnl(ctx, ModelError::Exists),
        "change" if !exists => return rtnl(ctx, ModelError::NotFound),
        _ => {}
    }
    table.insert(
        (dev, ip),
        Neigh {
            dev,
            lladdr: mac,
            state: nud,
            probes: 0,
            timer_ns: None,
            confirmed_ns: now,
            updated_ns: now,
            used_ns: now,
            queue: Vec::new(),
            queue_saddr: None,
            by_user: true,
        },
    );
    Ok(Outcome::Exited(0))
}
