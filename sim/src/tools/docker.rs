//! `docker`: the Docker daemon's networking on one host, with the rules of
//! moby's iptablesdoc `new-daemon` at commit 10338053f066
//! (`../shared/conformance/rulesets/docker-moby/`): the Docker Engine 28.0
//! generation (classic DOCKER-ISOLATION-STAGE-1/2 chains plus the DOCKER
//! chain's default DROP; not the later ipset or DOCKER-FORWARD forms).
//!
//! What it does. The daemon "starts" at the script's first `docker run` or
//! `docker network create|ls` (not at `docker exec` into a containerlab node):
//! it loads br_netfilter, creates `docker0` (172.17.0.1/16, MAC 02:42:xx random),
//! and, when `net.ipv4.ip_forward` was 0, sets it to 1 and the FORWARD policy
//! to DROP (Docker leaves both alone on a host that already forwards); then it
//! installs its chains through netsim's own `iptables-restore -n`, so
//! `iptables -S/-L` show them. `docker run -d --name N [--network
//! bridge|none|host|container:X|NET] [-p H:C[/udp]] IMAGE [CMD]` creates a
//! namespace (no `/run/netns` entry, as Docker), a veth pair `vethXXXXXXX`
//! (7 random hex digits) whose peer moves in and becomes `eth0` with the next
//! free address of the network and the MAC Docker derives from it
//! (02:42:ac:11:00:02 for 172.17.0.2), a default route via the gateway; `-p`
//! adds the DNAT rule (nat DOCKER) and its accept (filter DOCKER). `docker
//! exec [-i -t -u -w -e] N CMD` runs a modelled command (or `sh -c 'A; B &&
//! C'`) in the container's namespace; in a busybox or alpine image `ping`,
//! `arp`, `ifconfig` and `ip` are BusyBox's applets (`tools::busybox`). `docker network create [--subnet S] NET` makes
//! `br-<12 hex of its id>` with 172.18.0.0/16, 172.19.0.0/16, ... and its
//! rules; `docker network ls`, `docker network rm`, `docker rm -f`.
//!
//! An `nginx` image (`nginx`, `nginx:alpine`) started without a command runs
//! its server (`tools::nginx`, the image's default site); `apk add nginx`
//! then `nginx` in an Alpine-based container runs Alpine's package. `docker
//! ps [-a] [-q]` prints Docker's table (virtual time), `docker network
//! inspect NAME...` Docker 28's JSON.
//!
//! What it does not: run other images' programs (a container is a namespace
//! plus the commands netsim models), pull output, `docker ps --format` and
//! other flags, docker-proxy (the userland proxy for 127.0.0.1), interactive
//! shells (`docker exec -it N sh` without a command), IPv6. Other commands
//! inside a container print as the host's tools do.
//! The registry of containers is shared with `clab`, whose nodes are containers
//! `clab-LAB-NODE` with `network-mode: none`.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::{Ctx, Outcome, ToolResult, Unsupported};
use crate::engine::{Sink, Stdio};
use crate::model::{MacAddr, NsId, World};

/// A Docker network.
#[derive(Debug, Clone)]
pub struct Network {
    /// Its name (`bridge`, `host`, `none` or the user's).
    pub name: String,
    /// 64 hex digits.
    pub id: String,
    /// `bridge`, `host` or `null`.
    pub driver: String,
    /// The Linux bridge (`docker0`, `br-<id12>`), for bridge networks.
    pub bridge: String,
    /// Subnet address and prefix length.
    pub subnet: (Ipv4Addr, u8),
    /// Addresses in use (host part offsets).
    pub used: Vec<u32>,
    /// The last offset handed out (Docker's IPAM allocates serially).
    pub last: u32,
    /// When it was created (virtual ns), for `docker network inspect`.
    pub created: u64,
}

/// A container (or a containerlab node).
#[derive(Debug, Clone)]
pub struct Container {
    /// `--name`.
    pub name: String,
    /// 64 hex digits.
    pub id: String,
    /// Its network namespace.
    pub ns: NsId,
    /// The network it is attached to, with its address offset.
    pub net: Option<(String, u32)>,
    /// Published ports: (proto, host port, container port).
    pub ports: Vec<(String, u16, u16)>,
    /// Whether its image's userland is BusyBox (alpine, busybox): `ping`
    /// and `arp` inside run as BusyBox's applets.
    pub busybox: bool,
    /// The image as written (`nginx:alpine`).
    pub image: String,
    /// The command given after the image (empty: the image's own).
    pub cmd: Vec<String>,
    /// When it was created and started (virtual ns).
    pub created: u64,
    /// Packages added with `apk add`.
    pub packages: Vec<String>,
    /// Its endpoint id on its network (64 hex), for `docker network inspect`.
    pub endpoint: String,
}

impl Container {
    fn new(name: &str, id: &str, ns: NsId, now: u64) -> Container {
        Container {
            name: name.into(),
            id: id.into(),
            ns,
            net: None,
            ports: vec![],
            busybox: false,
            image: String::new(),
            cmd: vec![],
            created: now,
            packages: vec![],
            endpoint: String::new(),
        }
    }
}

/// The repository part of an image reference (`nginx` of
/// `docker.io/library/nginx:alpine`).
pub fn image_repo(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split([':', '@']).next().unwrap_or(last)
}

/// Whether an image reference names a BusyBox userland: `busybox`,
/// `alpine`, or a tag built on alpine (`nginx:alpine`, `python:3-alpine`).
pub fn busybox_image(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    let (repo, tag) = last.split_once(':').unwrap_or((last, ""));
    matches!(repo, "busybox" | "alpine") || tag.contains("alpine")
}

/// The daemon's state.
#[derive(Debug, Clone, Default)]
pub struct Daemon {
    /// Whether docker0 and the rules exist.
    pub started: bool,
    /// Networks in creation order.
    pub networks: Vec<Network>,
    /// Containers in creation order.
    pub containers: Vec<Container>,
    /// containerd tasks (`ctr run`), in creation order.
    pub tasks: Vec<super::ctr::Task>,
}

impl Daemon {
    /// A container by name or by a prefix of its id.
    pub fn find(&self, key: &str) -> Option<usize> {
        self.containers
            .iter()
            .position(|c| c.name == key)
            .or_else(|| self.containers.iter().position(|c| key.len() >= 3 && c.id.starts_with(key)))
    }
}

/// 64 random hex digits.
pub fn random_id(ctx: &mut Ctx<'_>) -> String {
    let mut s = String::new();
    for _ in 0..4 {
        let _ = write!(s, "{:016x}", ctx.eng.rng.next_u64());
    }
    s
}

/// 64 hex digits derived from `id` and `what` (splitmix64 over the bytes),
/// for ids Docker draws at random but netsim only shows in listings: drawing
/// them from the run's generator would shift every later veth name.
pub fn derived_id(id: &str, what: &str) -> String {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut s = String::new();
    for b in id.bytes().chain(what.bytes()) {
        x = x.wrapping_add(u64::from(b)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x ^= x >> 31;
    }
    for _ in 0..4 {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let _ = write!(s, "{:016x}", z ^ (z >> 31));
    }
    s
}

/// Runs a modelled command in `ns` with its output discarded; returns its
/// exit status. Used for the daemon's own netlink/iptables work.
pub fn quiet(ctx: &mut Ctx<'_>, ns: NsId, argv: &[&str], stdin: &str) -> Result<i32, Unsupported> {
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let mut c = Ctx { eng: ctx.eng, ns, stdio: Stdio { out: Sink::Null, err: Sink::Null }, stdin: stdin.into() };
    match super::run(&mut c, &argv)? {
        Outcome::Exited(code) => Ok(code),
        Outcome::Spawned(_) => Ok(0),
    }
}

/// The rules a published port adds, after the command and chain: the filter
/// accept in DOCKER and the nat DNAT in nat DOCKER.
fn publish_specs(ip: Ipv4Addr, br: &str, proto: &str, host: u16, cont: u16) -> (Vec<String>, Vec<String>) {
    let words = |s: String| s.split(' ').map(str::to_string).collect();
    (
        words(format!("-d {ip}/32 ! -i {br} -o {br} -p {proto} -m {proto} --dport {cont} -j ACCEPT")),
        words(format!("! -i {br} -p {proto} -m {proto} --dport {host} -j DNAT --to-destination {ip}:{cont}")),
    )
}

/// A command line: `head` then `spec`.
fn argv<'a>(head: &[&'a str], spec: &'a [String]) -> Vec<&'a str> {
    head.iter().copied().chain(spec.iter().map(String::as_str)).collect()
}

fn must(ctx: &mut Ctx<'_>, ns: NsId, argv: &[&str], stdin: &str) -> Result<(), Unsupported> {
    match quiet(ctx, ns, argv, stdin)? {
        0 => Ok(()),
        c => Err(Unsupported(format!(
            "docker: setting up '{}' failed (exit {c}) in this script's state",
            argv.join(" ")
        ))),
    }
}

fn addr_at(net: &Network, off: u32) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(net.subnet.0) + off)
}

fn broadcast(net: &Network) -> Ipv4Addr {
    let host_bits = 32 - u32::from(net.subnet.1);
    Ipv4Addr::from(u32::from(net.subnet.0) | ((1u32 << host_bits) - 1))
}

fn start(ctx: &mut Ctx<'_>) -> Result<(), Unsupported> {
    if ctx.eng.docker.started {
        return Ok(());
    }
    ctx.eng.docker.started = true;
    let root = World::ROOT;
    must(ctx, root, &["modprobe", "br_netfilter"], "")?;
    let was_forwarding = ctx.eng.world.ns(root).conf_all.forwarding != 0;
    for (name, driver) in [("bridge", "bridge"), ("host", "host"), ("none", "null")] {
        let id = random_id(ctx);
        ctx.eng.docker.networks.push(Network {
            name: name.into(),
            id,
            driver: driver.into(),
            bridge: if name == "bridge" { "docker0".into() } else { String::new() },
            subnet: (Ipv4Addr::new(172, 17, 0, 0), 16),
            used: vec![1],
            last: 1,
            created: ctx.eng.now,
        });
    }
    let mut mac = ctx.eng.rng.mac();
    mac.0[0] = 0x02;
    mac.0[1] = 0x42;
    let mac = mac.to_string();
    must(ctx, root, &["ip", "link", "add", "docker0", "address", &mac, "type", "bridge"], "")?;
    zero_qlen(ctx, root, "docker0");
    must(ctx, root, &["ip", "addr", "add", "172.17.0.1/16", "brd", "172.17.255.255", "dev", "docker0"], "")?;
    must(ctx, root, &["ip", "link", "set", "docker0", "up"], "")?;
    if !was_forwarding {
        must(ctx, root, &["sysctl", "-qw", "net.ipv4.ip_forward=1"], "")?;
        must(ctx, root, &["iptables", "-P", "FORWARD", "DROP"], "")?;
    }
    let rules = "*filter\n:DOCKER - [0:0]\n:DOCKER-ISOLATION-STAGE-1 - [0:0]\n:DOCKER-ISOLATION-STAGE-2 - [0:0]\n\
                 :DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n-A FORWARD -j DOCKER-ISOLATION-STAGE-1\n\
                 -A DOCKER-USER -j RETURN\nCOMMIT\n*nat\n:DOCKER - [0:0]\n\
                 -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n\
                 -A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER\nCOMMIT\n";
    must(ctx, root, &["iptables-restore", "-n"], rules)?;
    bridge_rules(ctx, "docker0", "172.17.0.0/16")
}

/// The rules of one bridge network as `iptables` arguments, placed as
/// Docker 28.0 places them: the FORWARD group after
/// DOCKER-ISOLATION-STAGE-1 (newest network first), the DOCKER drop and
/// STAGE-1 jump appended, STAGE-2 drop, MASQUERADE and the nat RETURN
/// inserted first.
fn bridge_rule_cmds<'s>(br: &'s str, subnet: &'s str) -> [Vec<&'s str>; 9] {
    [
        vec!["-I", "FORWARD", "3", "-i", br, "-o", br, "-j", "ACCEPT"],
        vec!["-I", "FORWARD", "3", "-i", br, "!", "-o", br, "-j", "ACCEPT"],
        vec!["-I", "FORWARD", "3", "-o", br, "-j", "DOCKER"],
        vec!["-I", "FORWARD", "3", "-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
        vec!["-A", "DOCKER", "!", "-i", br, "-o", br, "-j", "DROP"],
        vec!["-A", "DOCKER-ISOLATION-STAGE-1", "-i", br, "!", "-o", br, "-j", "DOCKER-ISOLATION-STAGE-2"],
        vec!["-I", "DOCKER-ISOLATION-STAGE-2", "-o", br, "-j", "DROP"],
        vec!["-t", "nat", "-I", "POSTROUTING", "-s", subnet, "!", "-o", br, "-j", "MASQUERADE"],
        vec!["-t", "nat", "-I", "DOCKER", "-i", br, "-j", "RETURN"],
    ]
}

/// Installs a bridge network's rules ([`bridge_rule_cmds`]).
fn bridge_rules(ctx: &mut Ctx<'_>, br: &str, subnet: &str) -> Result<(), Unsupported> {
    for c in bridge_rule_cmds(br, subnet) {
        let mut argv = vec!["iptables"];
        argv.extend(c);
        must(ctx, World::ROOT, &argv, "")?;
    }
    Ok(())
}

/// Removes a bridge network's rules: each of [`bridge_rule_cmds`] as `-D`
/// by its specification (an insert's position dropped).
fn delete_bridge_rules(ctx: &mut Ctx<'_>, br: &str, subnet: &str) -> Result<(), Unsupported> {
    for c in bridge_rule_cmds(br, subnet) {
        let mut argv = vec!["iptables"];
        let mut it = c.into_iter().peekable();
        while let Some(a) = it.next() {
            if a == "-I" || a == "-A" {
                argv.push("-D");
                argv.extend(it.next());
                if it.peek().is_some_and(|p| p.parse::<u32>().is_ok()) {
                    it.next();
                }
            } else {
                argv.push(a);
            }
        }
        must(ctx, World::ROOT, &argv, "")?;
    }
    Ok(())
}

/// `docker ...`.
///
/// # Errors
/// [`Unsupported`] for subcommands and options not modelled.
pub fn run(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let Some(sub) = args.first() else {
        return Err(Unsupported("docker without a subcommand is not modelled".into()));
    };
    let rest = &args[1..];
    // The daemon's networking appears with the first container or network
    // it creates; `docker exec` into a containerlab node leaves the host's
    // firewall as the lab left it.
    if sub == "run" || (sub == "network" && rest.first().is_some_and(|a| a != "rm" && a != "remove")) {
        start(ctx)?;
    }
    match sub.as_str() {
        "run" => run_container(ctx, rest),
        "exec" => exec(ctx, rest),
        "rm" => rm(ctx, rest),
        "network" => network(ctx, rest),
        "ps" => ps(ctx, rest),
        "container" if rest.first().is_some_and(|a| a == "ls" || a == "list") => ps(ctx, &rest[1..]),
        other => Err(Unsupported(format!(
            "docker {other} is not modelled; supported: docker run -d, exec, rm -f, ps, network create/ls/inspect/rm"
        ))),
    }
}

fn run_container(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut name = None;
    let mut network = "bridge".to_string();
    let mut ports: Vec<(String, u16, u16)> = Vec::new();
    let mut detached = false;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a, None),
        };
        let value = |i: &mut usize| -> Option<String> {
            if let Some(v) = inline.clone() {
                return Some(v);
            }
            *i += 1;
            args.get(*i).cloned()
        };
        match flag {
            "-d" | "--detach" => detached = true,
            "-it" | "-ti" | "-dit" | "-itd" | "-td" | "-dt" => detached = a.contains('d'),
            "-i" | "-t" | "--rm" | "--privileged" => {}
            "--name" => name = value(&mut i),
            "--network" | "--net" => network = value(&mut i).unwrap_or_default(),
            "-p" | "--publish" => {
                let spec = value(&mut i).unwrap_or_default();
                let (spec, proto) = match spec.split_once('/') {
                    Some((s, p)) => (s.to_string(), p.to_string()),
                    None => (spec.clone(), "tcp".to_string()),
                };
                let parts: Vec<&str> = spec.split(':').collect();
                let (h, c) = match parts.as_slice() {
                    [h, c] => (h.parse().ok(), c.parse().ok()),
                    _ => (None, None),
                };
                match (h, c) {
                    (Some(h), Some(c)) if proto == "tcp" || proto == "udp" => ports.push((proto, h, c)),
                    _ => {
                        return Err(Unsupported(format!(
                            "docker run -p {spec}: only HOSTPORT:CONTAINERPORT[/tcp|/udp] is modelled"
                        )))
                    }
                }
            }
            f if f.starts_with('-') => {
                return Err(Unsupported(format!(
                    "docker run {f} is not modelled; supported: -d, -i, -t, --rm, --name, --network, -p"
                )))
            }
            _ => break,
        }
        i += 1;
    }
    let Some(image) = args.get(i) else {
        return ctx.fail("\"docker run\" requires at least 1 argument.\nSee 'docker run --help'.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image", 1);
    };
    if !detached {
        return Err(Unsupported(format!(
            "docker run without -d runs {image}'s program in the foreground; netsim does not run images (use docker run -d and docker exec)"
        )));
    }
    let cmd = &args[i + 1..];
    if !cmd.is_empty() && !matches!(cmd[0].as_str(), "sleep" | "tail" | "sh" | "/bin/sh" | "bash" | "top") {
        return Err(Unsupported(format!(
            "docker run {image} {}: netsim does not run a container's command; start what it would serve with docker exec",
            cmd.join(" ")
        )));
    }
    let name = name.unwrap_or_else(|| "container".into());
    if ctx.eng.docker.find(&name).is_some() {
        let id = ctx.eng.docker.containers[ctx.eng.docker.find(&name).unwrap_or(0)].id.clone();
        return ctx.fail(&format!("docker: Error response from daemon: Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name.\n\nRun 'docker run --help' for more information"), 125);
    }
    let id = random_id(ctx);
    let c = create(ctx, &name, &id, &network, &ports)?;
    match c {
        Ok(mut c) => {
            c.busybox = busybox_image(image);
            c.image = image.clone();
            c.cmd = cmd.to_vec();
            let (ns, id) = (c.ns, c.id.clone());
            ctx.eng.docker.containers.push(c);
            if image_repo(image) == "nginx" && cmd.is_empty() {
                // The image's CMD: nginx -g 'daemon off;' (its access log
                // goes to the container's stdout, which docker run -d does
                // not print).
                let saved = (ctx.ns, ctx.stdio.clone());
                ctx.ns = ns;
                ctx.stdio = Stdio { out: Sink::Null, err: Sink::Null };
                let r = super::nginx::run(ctx, &[], super::nginx::Flavour::Image, &id);
                (ctx.ns, ctx.stdio) = saved;
                r?;
            }
            ctx.out(&format!("{id}\n"));
            Ok(Outcome::Exited(0))
        }
        Err(msg) => ctx.fail(&msg, 125),
    }
}

/// Creates a container's namespace and its network (the registry entry is
/// returned, not stored). `Ok(Err(msg))` is the daemon's refusal.
pub fn create(
    ctx: &mut Ctx<'_>,
    name: &str,
    id: &str,
    network: &str,
    ports: &[(String, u16, u16)],
) -> Result<Result<Container, String>, Unsupported> {
    let root = World::ROOT;
    if let Some(x) = network.strip_prefix("container:") {
        let Some(k) = ctx.eng.docker.find(x) else {
            return Ok(Err(format!("docker: Error response from daemon: No such container: {x}.")));
        };
        let ns = ctx.eng.docker.containers[k].ns;
        return Ok(Ok(Container::new(name, id, ns, ctx.eng.now)));
    }
    if network == "host" {
        return Ok(Ok(Container::new(name, id, root, ctx.eng.now)));
    }
    let ns = ctx.eng.world.add_netns_raw();
    must(ctx, ns, &["ip", "link", "set", "lo", "up"], "")?;
    let mut c = Container::new(name, id, ns, ctx.eng.now);
    c.ports = ports.to_vec();
    if network == "none" {
        return Ok(Ok(c));
    }
    let Some(k) = ctx.eng.docker.networks.iter().position(|n| n.name == network || n.id.starts_with(network)) else {
        destroy_ns(ctx, ns);
        return Ok(Err(format!("docker: Error response from daemon: network {network} not found.")));
    };
    let net = ctx.eng.docker.networks[k].clone();
    let size = 1u32 << (32 - u32::from(net.subnet.1));
    let mut off = net.last;
    loop {
        off += 1;
        if off >= size - 1 {
            off = 2;
        }
        if !net.used.contains(&off) {
            break;
        }
        if off == net.last {
            destroy_ns(ctx, ns);
            return Ok(Err(
                "docker: Error response from daemon: no available IPv4 addresses on this network's address pools."
                    .into(),
            ));
        }
    }
    ctx.eng.docker.networks[k].used.push(off);
    ctx.eng.docker.networks[k].last = off;
    let ip = addr_at(&net, off);
    let o = ip.octets();
    let mac = MacAddr([0x02, 0x42, o[0], o[1], o[2], o[3]]).to_string();
    let host_if = veth_name(ctx);
    let peer_if = veth_name(ctx);
    must(ctx, root, &["ip", "link", "add", &host_if, "type", "veth", "peer", "name", &peer_if], "")?;
    let peer = ctx.dev(&peer_if).ok_or_else(|| Unsupported("docker: veth peer vanished".into()))?;
    ctx.eng.link_set_netns(peer, ns).map_err(|e| Unsupported(format!("docker: moving {peer_if}: {e:?}")))?;
    must(ctx, ns, &["ip", "link", "set", &peer_if, "name", "eth0"], "")?;
    zero_qlen(ctx, ns, "eth0");
    zero_qlen(ctx, root, &host_if);
    must(ctx, ns, &["ip", "link", "set", "eth0", "address", &mac], "")?;
    must(ctx, root, &["ip", "link", "set", &host_if, "master", &net.bridge], "")?;
    must(ctx, root, &["ip", "link", "set", &host_if, "up"], "")?;
    let cidr = format!("{ip}/{}", net.subnet.1);
    let brd = broadcast(&net).to_string();
    must(ctx, ns, &["ip", "addr", "add", &cidr, "brd", &brd, "dev", "eth0"], "")?;
    must(ctx, ns, &["ip", "link", "set", "eth0", "up"], "")?;
    let gw = addr_at(&net, 1).to_string();
    must(ctx, ns, &["ip", "route", "add", "default", "via", &gw, "dev", "eth0"], "")?;
    for (proto, h, cp) in ports {
        // The accept goes before the network's DROP rules in DOCKER.
        let (accept, dnat) = publish_specs(ip, &net.bridge, proto, *h, *cp);
        must(ctx, root, &argv(&["iptables", "-I", "DOCKER", "1"], &accept), "")?;
        must(ctx, root, &argv(&["iptables", "-t", "nat", "-A", "DOCKER"], &dnat), "")?;
    }
    c.net = Some((net.name.clone(), off));
    c.endpoint = derived_id(id, "endpoint");
    Ok(Ok(c))
}

/// Docker creates its bridges and veths with `txqueuelen 0` (netlink
/// `TxQLen: 0`), so `ip link` shows no `qlen` for them.
pub fn zero_qlen(ctx: &mut Ctx<'_>, ns: NsId, name: &str) {
    if let Some(l) = ctx.eng.world.link_by_name(ns, name) {
        ctx.eng.world.link_mut(l).qlen = 0;
    }
}

fn veth_name(ctx: &mut Ctx<'_>) -> String {
    loop {
        let n = format!("veth{:07x}", ctx.eng.rng.range(0, 0x1000_0000));
        if ctx.dev(&n).is_none() {
            return n;
        }
    }
}

/// Removes an anonymous namespace and its devices (a veth takes its peer).
pub fn destroy_ns(ctx: &mut Ctx<'_>, ns: NsId) {
    super::nginx::kill_in_ns(ctx.eng, ns);
    let links: Vec<_> = ctx.eng.world.links_in(ns).collect();
    for l in links {
        if ctx.eng.world.link_alive(l) {
            ctx.eng.destroy_link(l);
        }
    }
    ctx.eng.world.netns[ns.0 as usize] = None;
    let world = &ctx.eng.world;
    ctx.eng.taps.retain(|(l, _)| world.link_alive(*l));
    ctx.eng.refresh_links();
}

fn exec(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-i" | "-t" | "-it" | "-ti" | "--interactive" | "--tty" => {}
            "-u" | "--user" | "-w" | "--workdir" | "-e" | "--env" => i += 1,
            f if f.starts_with('-') => {
                return Err(Unsupported(format!("docker exec {f} is not modelled; supported: -i, -t, -u, -w, -e")))
            }
            _ => break,
        }
        i += 1;
    }
    let Some(key) = args.get(i) else {
        return ctx.fail("\"docker exec\" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container", 1);
    };
    let Some(k) = ctx.eng.docker.find(key) else {
        return ctx.fail(&format!("Error response from daemon: No such container: {key}"), 1);
    };
    let cmd = &args[i + 1..];
    if cmd.is_empty() {
        return ctx.fail("\"docker exec\" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container", 1);
    }
    let (ns, bb) = (ctx.eng.docker.containers[k].ns, ctx.eng.docker.containers[k].busybox);
    in_ns(ctx, ns, cmd, &format!("docker exec {key}"), bb)
}

/// Runs `cmd` (a modelled command, or `sh -c STRING` of simple commands
/// joined by `;`, `&&`, `||`) in `ns`, waiting for each in turn; with
/// `busybox`, `ping` and `arp` are BusyBox's applets.
pub fn in_ns(ctx: &mut Ctx<'_>, ns: NsId, cmd: &[String], who: &str, busybox: bool) -> ToolResult {
    let saved = ctx.ns;
    ctx.ns = ns;
    let r = in_ns_inner(ctx, cmd, who, busybox);
    ctx.ns = saved;
    r
}

fn in_ns_inner(ctx: &mut Ctx<'_>, cmd: &[String], who: &str, busybox: bool) -> ToolResult {
    let shell = matches!(cmd[0].as_str(), "sh" | "/bin/sh" | "bash" | "/bin/bash" | "ash");
    if shell {
        if cmd.get(1).map(String::as_str) != Some("-c") || cmd.len() < 3 {
            return Err(Unsupported(format!(
                "{who} {}: interactive shells are not modelled; give the command (docker exec N CMD or sh -c 'CMD')",
                cmd.join(" ")
            )));
        }
        return shell_c(ctx, &cmd[2], who, busybox);
    }
    if cmd[0] == "apk" {
        return apk(ctx, &cmd[1..], who);
    }
    if cmd[0] == "nginx" {
        let Some(c) = ctx.eng.docker.containers.iter().find(|c| c.ns == ctx.ns) else {
            return Err(Unsupported(format!("{who} nginx: nginx is not installed there")));
        };
        let flavour = if image_repo(&c.image) == "nginx" {
            super::nginx::Flavour::Image
        } else if c.packages.iter().any(|p| p == "nginx") {
            super::nginx::Flavour::Alpine
        } else {
            return Err(Unsupported(format!("{who} nginx: the image {} has no nginx (apk add nginx first)", c.image)));
        };
        let id = c.id.clone();
        return super::nginx::run(ctx, &cmd[1..], flavour, &id);
    }
    if !super::is_known(&cmd[0]) || matches!(cmd[0].as_str(), "kill" | "wait" | "set" | "exit" | "docker" | "clab") {
        return Err(Unsupported(format!(
            "'{who} {}' runs a command netsim does not model; supported: {}",
            cmd[0],
            super::COMMANDS.join(", ")
        )));
    }
    if busybox && super::busybox::APPLETS.contains(&cmd[0].as_str()) {
        let mut argv = vec!["busybox".to_string()];
        argv.extend(cmd.iter().cloned());
        return super::run(ctx, &argv);
    }
    super::run(ctx, cmd)
}

/// Whether an image is Alpine-based, so it has `apk`.
fn alpine_based(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    let (repo, tag) = last.split_once(':').unwrap_or((last, ""));
    repo == "alpine" || repo == "netshoot" || tag.contains("alpine")
}

/// `apk add PKG...` in a container: only `nginx` (Alpine's package, with
/// its default 404 site) is modelled. Prints nothing.
///
/// DIVERGENCE: the real apk fetches the index and the packages from the
/// mirror (packets netsim does not send) and prints `fetch ...`,
/// `(1/N) Installing ...`, `OK: ...` lines, which depend on the mirror's
/// state; containerlab's exec log is not printed anyway.
fn apk(ctx: &mut Ctx<'_>, args: &[String], who: &str) -> ToolResult {
    let Some(k) = ctx.eng.docker.containers.iter().position(|c| c.ns == ctx.ns) else {
        return Err(Unsupported(format!("{who} apk: not a container netsim knows")));
    };
    if !alpine_based(&ctx.eng.docker.containers[k].image) {
        return Err(Unsupported(format!(
            "{who} apk: the image {} is not Alpine-based",
            ctx.eng.docker.containers[k].image
        )));
    }
    let mut pkgs = Vec::new();
    let mut it = args.iter();
    if it.next().map(String::as_str) != Some("add") {
        return Err(Unsupported(format!("{who} apk {}: only 'apk add nginx' is modelled", args.join(" "))));
    }
    for a in it {
        match a.as_str() {
            "--no-cache" | "-q" | "--quiet" | "-U" | "--update" => {}
            "nginx" => pkgs.push(a.clone()),
            other => return Err(Unsupported(format!("{who} apk add {other}: only the nginx package is modelled"))),
        }
    }
    if pkgs.is_empty() {
        return Err(Unsupported(format!("{who} apk add: no package named")));
    }
    let c = &mut ctx.eng.docker.containers[k];
    for p in pkgs {
        if !c.packages.contains(&p) {
            c.packages.push(p);
        }
    }
    Ok(Outcome::Exited(0))
}

fn shell_c(ctx: &mut Ctx<'_>, src: &str, who: &str, busybox: bool) -> ToolResult {
    use crate::scenario::{AndOrOp, Command};
    let script =
        crate::scenario::parse(src, "sh -c").map_err(|e| Unsupported(format!("{who} sh -c: cannot parse: {e}")))?;
    let mut status = 0;
    for item in &script.items {
        if item.background {
            return Err(Unsupported(format!("{who} sh -c: background jobs are not modelled")));
        }
        let mut pipes = vec![(None, &item.and_or.first)];
        pipes.extend(item.and_or.rest.iter().map(|(op, p)| (Some(*op), p)));
        for (op, p) in pipes {
            match op {
                Some(AndOrOp::And) if status != 0 => continue,
                Some(AndOrOp::Or) if status == 0 => continue,
                _ => {}
            }
            let [Command::Simple(sc)] = p.commands.as_slice() else {
                return Err(Unsupported(format!("{who} sh -c: only simple commands joined by ; && || are modelled")));
            };
            if !sc.redirects.is_empty() || !sc.assigns.is_empty() {
                return Err(Unsupported(format!("{who} sh -c: redirections and assignments are not modelled")));
            }
            let mut argv = Vec::new();
            for w in &sc.words {
                argv.push(
                    w.as_literal().ok_or_else(|| Unsupported(format!("{who} sh -c: variables are not modelled")))?,
                );
            }
            status = match in_ns_inner(ctx, &argv, who, busybox)? {
                Outcome::Exited(c) => c,
                Outcome::Spawned(pid) => {
                    let done = ctx.eng.run_while(|e| e.procs.get(&pid).is_none_or(|p| p.exited()));
                    if !done {
                        return Err(Unsupported(format!("{who} sh -c '{src}': a command never exits by itself")));
                    }
                    ctx.eng.procs.get(&pid).and_then(|p| p.exit_code()).unwrap_or(0)
                }
            };
            if p.bang {
                status = i32::from(status == 0);
            }
        }
    }
    Ok(Outcome::Exited(status))
}

fn rm(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut force = false;
    let mut names = Vec::new();
    for a in args {
        match a.as_str() {
            "-f" | "--force" => force = true,
            f if f.starts_with('-') => {
                return Err(Unsupported(format!("docker rm {f} is not modelled; supported: -f")))
            }
            n => names.push(n.to_string()),
        }
    }
    if !force {
        return Err(Unsupported("docker rm without -f (stopping first) is not modelled; use docker rm -f".into()));
    }
    let mut code = 0;
    for n in names {
        let Some(k) = ctx.eng.docker.find(&n) else {
            ctx.err(&format!("Error response from daemon: No such container: {n}\n"));
            code = 1;
            continue;
        };
        let c = ctx.eng.docker.containers.remove(k);
        remove(ctx, &c)?;
        ctx.out(&format!("{n}\n"));
    }
    Ok(Outcome::Exited(code))
}

/// Tears a container's networking down: its published ports' rules, its
/// address, its namespace (unless shared with another container).
pub fn remove(ctx: &mut Ctx<'_>, c: &Container) -> Result<(), Unsupported> {
    if let Some((net, off)) = &c.net {
        if let Some(n) = ctx.eng.docker.networks.iter_mut().find(|n| &n.name == net) {
            n.used.retain(|u| u != off);
            let n = n.clone();
            let ip = addr_at(&n, *off);
            for (proto, h, cp) in &c.ports {
                let (accept, dnat) = publish_specs(ip, &n.bridge, proto, *h, *cp);
                must(ctx, World::ROOT, &argv(&["iptables", "-D", "DOCKER"], &accept), "")?;
                must(ctx, World::ROOT, &argv(&["iptables", "-t", "nat", "-D", "DOCKER"], &dnat), "")?;
            }
        }
    }
    // The namespace lives while any container (`container:X` included) or
    // task uses it, or a name in /run/netns holds it.
    let d = &ctx.eng.docker;
    let used = d.containers.iter().any(|o| o.ns == c.ns)
        || d.tasks.iter().any(|t| t.ns == c.ns)
        || ctx.eng.world.ns_names.values().any(|n| *n == c.ns);
    if c.ns != World::ROOT && !used && ctx.eng.world.netns.get(c.ns.0 as usize).is_some_and(Option::is_some) {
        destroy_ns(ctx, c.ns);
    }
    Ok(())
}

fn network(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let sub = args.first().map(String::as_str).unwrap_or("");
    let rest = if args.is_empty() { args } else { &args[1..] };
    match sub {
        "create" => network_create(ctx, rest),
        "ls" | "list" => {
            if !rest.is_empty() {
                return Err(Unsupported("docker network ls options are not modelled".into()));
            }
            let mut nets = ctx.eng.docker.networks.clone();
            nets.sort_by(|a, b| a.name.cmp(&b.name));
            let w_name = nets.iter().map(|n| n.name.len() + 3).max().unwrap_or(0).max(10);
            let w_drv = nets.iter().map(|n| n.driver.len() + 3).max().unwrap_or(0).max(10);
            let mut s = format!("{:<15}{:<w_name$}{:<w_drv$}SCOPE\n", "NETWORK ID", "NAME", "DRIVER");
            for n in &nets {
                let _ = writeln!(s, "{:<15}{:<w_name$}{:<w_drv$}local", &n.id[..12], n.name, n.driver);
            }
            ctx.out(&s);
            Ok(Outcome::Exited(0))
        }
        "rm" | "remove" => {
            let mut code = 0;
            for n in rest {
                let Some(k) = ctx.eng.docker.networks.iter().position(|x| &x.name == n) else {
                    ctx.err(&format!("Error response from daemon: network {n} not found\n"));
                    code = 1;
                    continue;
                };
                let net = ctx.eng.docker.networks[k].clone();
                if matches!(net.name.as_str(), "bridge" | "host" | "none") {
                    ctx.err(&format!(
                        "Error response from daemon: {n} is a pre-defined network and cannot be removed\n"
                    ));
                    code = 1;
                    continue;
                }
                if ctx.eng.docker.containers.iter().any(|c| c.net.as_ref().is_some_and(|(x, _)| x == n)) {
                    ctx.err(&format!("Error response from daemon: error while removing network: network {n} id {} has active endpoints\n", net.id));
                    code = 1;
                    continue;
                }
                ctx.eng.docker.networks.remove(k);
                let subnet = format!("{}/{}", net.subnet.0, net.subnet.1);
                delete_bridge_rules(ctx, &net.bridge, &subnet)?;
                must(ctx, World::ROOT, &["ip", "link", "del", &net.bridge], "")?;
                ctx.out(&format!("{n}\n"));
            }
            Ok(Outcome::Exited(code))
        }
        "inspect" => network_inspect(ctx, rest),
        other => {
            Err(Unsupported(format!("docker network {other} is not modelled; supported: create, ls, inspect, rm")))
        }
    }
}

fn network_create(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let mut subnet = None;
    let mut name = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--subnet" => subnet = it.next().cloned(),
            "-d" | "--driver" => {
                if it.next().map(String::as_str) != Some("bridge") {
                    return Err(Unsupported("docker network create: only the bridge driver is modelled".into()));
                }
            }
            f if f.starts_with("--subnet=") => subnet = Some(f["--subnet=".len()..].to_string()),
            f if f.starts_with('-') => {
                return Err(Unsupported(format!(
                    "docker network create {f} is not modelled; supported: --subnet, -d bridge"
                )))
            }
            n => name = Some(n.to_string()),
        }
    }
    let Some(name) = name else {
        return ctx.fail("\"docker network create\" requires exactly 1 argument.\nSee 'docker network create --help'.\n\nUsage:  docker network create [OPTIONS] NETWORK\n\nCreate a network", 1);
    };
    if ctx.eng.docker.networks.iter().any(|n| n.name == name) {
        return ctx.fail(&format!("Error response from daemon: network with name {name} already exists"), 1);
    }
    let (addr, len) = match subnet {
        Some(s) => {
            let Ok(net) = s.parse::<ipnet::Ipv4Net>() else {
                return ctx.fail(&format!("invalid CIDR address: {s}"), 1);
            };
            (net.network(), net.prefix_len())
        }
        None => {
            // Docker's default pools: 172.17-31.0.0/16, the first not in use.
            let used: Vec<Ipv4Addr> = ctx.eng.docker.networks.iter().map(|n| n.subnet.0).collect();
            let Some(b) = (18..=31u8).find(|b| !used.contains(&Ipv4Addr::new(172, *b, 0, 0))) else {
                return Err(Unsupported(
                    "docker network create: the default pools beyond 172.31 are not modelled".into(),
                ));
            };
            (Ipv4Addr::new(172, b, 0, 0), 16)
        }
    };
    let id = random_id(ctx);
    let bridge = format!("br-{}", &id[..12]);
    let net = Network {
        name: name.clone(),
        id: id.clone(),
        driver: "bridge".into(),
        bridge: bridge.clone(),
        subnet: (addr, len),
        used: vec![1],
        last: 1,
        created: ctx.eng.now,
    };
    let mut mac = ctx.eng.rng.mac();
    mac.0[0] = 0x02;
    mac.0[1] = 0x42;
    let mac = mac.to_string();
    let gw = format!("{}/{len}", addr_at(&net, 1));
    let brd = broadcast(&net).to_string();
    let root = World::ROOT;
    must(ctx, root, &["ip", "link", "add", &bridge, "address", &mac, "type", "bridge"], "")?;
    zero_qlen(ctx, root, &bridge);
    must(ctx, root, &["ip", "addr", "add", &gw, "brd", &brd, "dev", &bridge], "")?;
    must(ctx, root, &["ip", "link", "set", &bridge, "up"], "")?;
    bridge_rules(ctx, &bridge, &format!("{addr}/{len}"))?;
    ctx.eng.docker.networks.push(net);
    ctx.out(&format!("{id}\n"));
    Ok(Outcome::Exited(0))
}

// ------------------------------------------------------------- docker ps

/// `units.HumanDuration` (docker/go-units), from whole seconds and the
/// duration in nanoseconds.
pub fn human_duration(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let minutes = secs / 60;
    // hours rounded (math.Round of the float hours).
    let hours = (ns + 1_800_000_000_000) / 3_600_000_000_000;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", ns / 3_600_000_000_000 / 24 / 365)
    }
}

/// docker/cli's `Ellipsis` for ASCII text: at most `max` characters, the
/// last one `…` when cut.
fn ellipsis(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Go's `strconv.Quote` for the printable text commands hold.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The image's entrypoint and command as `docker ps` joins them, and the
/// ports its image exposes.
///
/// DIVERGENCE: netsim knows the defaults of a few images only (nginx,
/// alpine, busybox, nicolaka/netshoot); any other image shows `/bin/sh`.
fn image_command(image: &str, cmd: &[String]) -> (String, Vec<u16>) {
    let repo = image_repo(image);
    let (entry, default, exposed): (&str, &str, Vec<u16>) = match repo {
        "nginx" => ("/docker-entrypoint.sh", "nginx -g 'daemon off;'", vec![80]),
        "busybox" => ("", "sh", vec![]),
        "netshoot" => ("", "zsh", vec![]),
        _ => ("", "/bin/sh", vec![]),
    };
    let body = if cmd.is_empty() { default.to_string() } else { cmd.join(" ") };
    let full = if entry.is_empty() { body } else { format!("{entry} {body}") };
    (full, exposed)
}

/// One `PortSummary` of the API: host address (None: exposed only),
/// private port, public port, type.
type PortSummary = (Option<std::net::IpAddr>, u16, u16, String);

/// docker/cli's `DisplayablePorts`.
pub fn displayable_ports(mut ports: Vec<PortSummary>) -> String {
    ports.sort_by(|a, b| {
        let ip_key = |p: &PortSummary| match p.0 {
            None => (0u8, String::new()),
            Some(std::net::IpAddr::V4(v)) => (1, format!("{:010}", u32::from(v))),
            Some(std::net::IpAddr::V6(v)) => (2, format!("{:040}", u128::from(v))),
        };
        (a.1, ip_key(a), a.2, &a.3).cmp(&(b.1, ip_key(b), b.2, &b.3))
    });
    let mut groups: Vec<(String, u16, u16)> = Vec::new();
    let mut result = Vec::new();
    let mut host_mappings = Vec::new();
    let join = |ip: &str, port: &str| if ip.contains(':') { format!("[{ip}]:{port}") } else { format!("{ip}:{port}") };
    let form = |key: &str, first: u16, last: u16| -> String {
        let (ip, ty) = match key.rsplit_once('/') {
            Some((ip, ty)) => (ip.to_string(), ty.to_string()),
            None => (String::new(), key.to_string()),
        };
        let mut g = first.to_string();
        if first != last {
            g = format!("{g}-{last}");
        }
        if !ip.is_empty() {
            g = format!("{}->{g}", join(&ip, &g));
        }
        format!("{g}/{ty}")
    };
    for (ip, private, public, ty) in &ports {
        let key = match ip {
            Some(ip) => {
                if public != private {
                    host_mappings.push(format!("{}->{private}/{ty}", join(&ip.to_string(), &public.to_string())));
                    continue;
                }
                format!("{ip}/{ty}")
            }
            None => ty.clone(),
        };
        match groups.iter_mut().find(|g| g.0 == key) {
            None => groups.push((key, *private, *private)),
            Some(g) if *private == g.2 + 1 => g.2 = *private,
            Some(g) => {
                result.push(form(&g.0, g.1, g.2));
                g.1 = *private;
                g.2 = *private;
            }
        }
    }
    for g in &groups {
        result.push(form(&g.0, g.1, g.2));
    }
    result.extend(host_mappings);
    result.join(", ")
}

/// Go's `text/tabwriter` as docker/cli sets it up for tables (minwidth 10,
/// padding 3, spaces): every cell but a line's last is padded to its
/// column's width.
pub fn tabwrite(rows: &[Vec<String>]) -> String {
    let ncol = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; ncol];
    for r in rows {
        for (i, c) in r.iter().enumerate().take(r.len().saturating_sub(1)) {
            widths[i] = widths[i].max((c.chars().count() + 3).max(10));
        }
    }
    let mut out = String::new();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            out.push_str(c);
            if i + 1 < r.len() {
                out.push_str(&" ".repeat(widths[i] - c.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

/// `docker ps [-a] [-q] [--no-trunc]`: Docker's default table, newest container first,
/// times from the virtual clock (`Created` is whole seconds in the API).
/// Containers never stop in netsim, so `-a` lists the same ones.
fn ps(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    let (mut quiet, mut trunc) = (false, true);
    for a in args {
        match a.as_str() {
            "-a" | "--all" => {}
            "-q" | "--quiet" | "-aq" | "-qa" => quiet = true,
            "--no-trunc" => trunc = false,
            other => {
                return Err(Unsupported(format!(
                    "docker ps {other} is not modelled; supported: -a, -q, --no-trunc (the default table only)"
                )))
            }
        }
    }
    let short = |id: &str| if trunc { id[..12].to_string() } else { id.to_string() };
    let now = ctx.eng.now;
    let wall = crate::engine::proc::EPOCH_NS + now;
    let mut rows = vec![["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()];
    let mut ids = String::new();
    for c in ctx.eng.docker.containers.iter().rev() {
        if quiet {
            ids.push_str(&short(&c.id));
            ids.push('\n');
            continue;
        }
        let (command, exposed) = image_command(&c.image, &c.cmd);
        let created_s = (crate::engine::proc::EPOCH_NS + c.created) / 1_000_000_000 * 1_000_000_000;
        let mut ports: Vec<PortSummary> = Vec::new();
        for (proto, h, cp) in &c.ports {
            ports.push((Some(Ipv4Addr::UNSPECIFIED.into()), *cp, *h, proto.clone()));
            ports.push((Some(std::net::Ipv6Addr::UNSPECIFIED.into()), *cp, *h, proto.clone()));
        }
        for e in exposed {
            if !c.ports.iter().any(|(p, _, cp)| p == "tcp" && *cp == e) && c.net.is_some() {
                ports.push((None, e, 0, "tcp".into()));
            }
        }
        rows.push(vec![
            short(&c.id),
            c.image.clone(),
            go_quote(&if trunc { ellipsis(&command, 20) } else { command }),
            format!("{} ago", human_duration(wall - created_s)),
            format!("Up {}", human_duration(now - c.created)),
            displayable_ports(ports),
            c.name.clone(),
        ]);
    }
    if quiet {
        ctx.out(&ids);
    } else {
        ctx.out(&tabwrite(&rows));
    }
    Ok(Outcome::Exited(0))
}

// ------------------------------------------------- docker network inspect

/// Go's `time.Time` JSON form (RFC 3339 with nanoseconds, trailing zeros
/// cut) of a virtual instant, in UTC.
fn rfc3339_nano(ns: u64) -> String {
    let wall = crate::engine::proc::EPOCH_NS + ns;
    let secs = wall / 1_000_000_000;
    let frac = wall % 1_000_000_000;
    let (y, month, d, hh, mm, ss, _) = crate::engine::apps::civil(secs);
    let mut s = format!("{y:04}-{month:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}");
    if frac != 0 {
        let digits = format!("{frac:09}");
        s.push('.');
        s.push_str(digits.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// `docker network inspect NAME...`: Docker 28's JSON for each network
/// (4-space indent as the CLI prints it), unknown names reported on stderr
/// after the array, exit 1.
///
/// DIVERGENCE: ids, endpoint ids and the `Created` instant come from the
/// run's generator and virtual clock (UTC); IPv6 fields stay empty; checked
/// against Docker's documentation and sources, not a running daemon.
fn network_inspect(ctx: &mut Ctx<'_>, args: &[String]) -> ToolResult {
    if let Some(f) = args.iter().find(|a| a.starts_with('-')) {
        return Err(Unsupported(format!("docker network inspect {f} is not modelled (the JSON form only)")));
    }
    if args.is_empty() {
        return ctx.fail("\"docker network inspect\" requires at least 1 argument.\nSee 'docker network inspect --help'.\n\nUsage:  docker network inspect [OPTIONS] NETWORK [NETWORK...]\n\nDisplay detailed information on one or more networks", 1);
    }
    let mut items = Vec::new();
    let mut errors = String::new();
    for key in args {
        let Some(n) = ctx
            .eng
            .docker
            .networks
            .iter()
            .find(|n| &n.name == key || (key.len() >= 3 && n.id.starts_with(key.as_str())))
        else {
            let _ = writeln!(errors, "Error response from daemon: network {key} not found");
            continue;
        };
        items.push(network_json(n, &ctx.eng.docker.containers));
    }
    if items.is_empty() {
        ctx.out("[]\n");
    } else {
        ctx.out(&format!("[\n{}\n]\n", items.join(",\n")));
    }
    if errors.is_empty() {
        Ok(Outcome::Exited(0))
    } else {
        ctx.err(&errors);
        Ok(Outcome::Exited(1))
    }
}

fn network_json(n: &Network, containers: &[Container]) -> String {
    let bridge = n.driver == "bridge";
    let default = n.name == "bridge";
    let mut s = String::new();
    let _ = write!(
        s,
        "    {{\n        \"Name\": \"{}\",\n        \"Id\": \"{}\",\n        \"Created\": \"{}\",\n        \"Scope\": \"local\",\n        \"Driver\": \"{}\",\n        \"EnableIPv4\": {},\n        \"EnableIPv6\": false,\n",
        n.name,
        n.id,
        rfc3339_nano(n.created),
        n.driver,
        bridge
    );
    s.push_str("        \"IPAM\": {\n            \"Driver\": \"default\",\n");
    s.push_str(if default || !bridge { "            \"Options\": null,\n" } else { "            \"Options\": {},\n" });
    if bridge {
        let _ = write!(
            s,
            "            \"Config\": [\n                {{\n                    \"Subnet\": \"{}/{}\",\n                    \"Gateway\": \"{}\"\n                }}\n            ]\n",
            n.subnet.0,
            n.subnet.1,
            addr_at(n, 1)
        );
    } else {
        s.push_str("            \"Config\": null\n");
    }
    s.push_str("        },\n        \"Internal\": false,\n        \"Attachable\": false,\n        \"Ingress\": false,\n        \"ConfigFrom\": {\n            \"Network\": \"\"\n        },\n        \"ConfigOnly\": false,\n");
    let mut members: Vec<&Container> =
        containers.iter().filter(|c| c.net.as_ref().is_some_and(|(x, _)| x == &n.name)).collect();
    members.sort_by(|a, b| a.id.cmp(&b.id));
    if members.is_empty() {
        s.push_str("        \"Containers\": {},\n");
    } else {
        s.push_str("        \"Containers\": {\n");
        let entries: Vec<String> = members
            .iter()
            .map(|c| {
                let off = c.net.as_ref().map(|(_, o)| *o).unwrap_or(0);
                let ip = addr_at(n, off);
                let o = ip.octets();
                let mac = MacAddr([0x02, 0x42, o[0], o[1], o[2], o[3]]);
                format!(
                    "            \"{}\": {{\n                \"Name\": \"{}\",\n                \"EndpointID\": \"{}\",\n                \"MacAddress\": \"{mac}\",\n                \"IPv4Address\": \"{ip}/{}\",\n                \"IPv6Address\": \"\"\n            }}",
                    c.id, c.name, c.endpoint, n.subnet.1
                )
            })
            .collect();
        s.push_str(&entries.join(",\n"));
        s.push_str("\n        },\n");
    }
    if default {
        let _ = write!(
            s,
            "        \"Options\": {{\n            \"com.docker.network.bridge.default_bridge\": \"true\",\n            \"com.docker.network.bridge.enable_icc\": \"true\",\n            \"com.docker.network.bridge.enable_ip_masquerade\": \"true\",\n            \"com.docker.network.bridge.host_binding_ipv4\": \"0.0.0.0\",\n            \"com.docker.network.bridge.name\": \"{}\",\n            \"com.docker.network.driver.mtu\": \"1500\"\n        }},\n",
            n.bridge
        );
    } else if bridge {
        // Docker 28 records its default-network-opts in a new network's
        // options (shown so in moby/docker-cli issue 2899, Docker 28.x).
        s.push_str("        \"Options\": {\n            \"com.docker.network.enable_ipv4\": \"true\",\n            \"com.docker.network.enable_ipv6\": \"false\"\n        },\n");
    } else {
        s.push_str("        \"Options\": {},\n");
    }
    s.push_str("        \"Labels\": {}\n    }");
    s
}

#[cfg(test)]
mod ps_tests {
    use super::*;
    use std::net::{IpAddr, Ipv6Addr};

    const S: u64 = 1_000_000_000;

    #[test]
    fn human_durations_as_go_units() {
        assert_eq!(human_duration(S / 2), "Less than a second");
        assert_eq!(human_duration(S), "1 second");
        assert_eq!(human_duration(59 * S + S / 2), "59 seconds");
        assert_eq!(human_duration(119 * S), "About a minute");
        assert_eq!(human_duration(120 * S), "2 minutes");
        assert_eq!(human_duration(90 * 60 * S), "2 hours");
        assert_eq!(human_duration(80 * 60 * S), "About an hour");
        assert_eq!(human_duration(72 * 3600 * S), "3 days");
    }

    #[test]
    fn ports_as_docker_cli() {
        let v4 = Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let v6 = Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        let tcp = || "tcp".to_string();
        assert_eq!(
            displayable_ports(vec![(v6, 80, 8080, tcp()), (v4, 80, 8080, tcp())]),
            "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp"
        );
        assert_eq!(
            displayable_ports(vec![(v4, 80, 80, tcp()), (v6, 80, 80, tcp())]),
            "0.0.0.0:80->80/tcp, [::]:80->80/tcp"
        );
        assert_eq!(
            displayable_ports(vec![(None, 443, 0, tcp()), (None, 80, 0, tcp()), (None, 81, 0, tcp())]),
            "80-81/tcp, 443/tcp"
        );
        assert_eq!(displayable_ports(vec![]), "");
    }

    #[test]
    fn command_cut_and_quoted() {
        let (c, exposed) = image_command("nginx:alpine", &[]);
        assert_eq!(go_quote(&ellipsis(&c, 20)), "\"/docker-entrypoint.…\"");
        assert_eq!(exposed, [80]);
        assert_eq!(go_quote(&ellipsis(&image_command("alpine", &[]).0, 20)), "\"/bin/sh\"");
    }
}
