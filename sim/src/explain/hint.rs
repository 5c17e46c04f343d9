//! Hints: for a packet that did not get through, the sysctl, route or rule
//! that decided, and a command that would change the outcome, written to
//! be pasted into the scenario script (namespaced with `ip netns exec` or
//! `ip -n` where the decision was made).
//!
//! A hint reads the story's own evidence (the hook walk, the route text,
//! the rp_filter mode); it never looks at the world after the run.

use super::{short_name, Story};
use crate::model::nf::Hook;
use crate::model::{LinkId, NsId};
use crate::trace::{BrNfWhy, DropReason, Trace, TraceEvent, TraceKind};
use std::net::Ipv4Addr;

/// `ip netns exec NS ` (empty in the root namespace).
fn exec_prefix(trace: &Trace, ns: NsId) -> String {
    match trace.ns_names.get(&ns) {
        Some(n) if ns.0 != 0 => format!("ip netns exec {n} "),
        _ => String::new(),
    }
}

/// `ip -n NS ` (`ip ` in the root namespace).
fn ip_cmd(trace: &Trace, ns: NsId) -> String {
    match trace.ns_names.get(&ns) {
        Some(n) if ns.0 != 0 => format!("ip -n {n} "),
        _ => "ip ".to_string(),
    }
}

fn ns_name(trace: &Trace, ns: NsId) -> String {
    trace.ns_names.get(&ns).cloned().unwrap_or_default()
}

/// The network (`ADDR/PREFIX` masked) of the traced device address that
/// holds `ip`, or `ip/32`.
fn network_of(trace: &Trace, ip: Ipv4Addr) -> String {
    for d in trace.devs.values() {
        for a in &d.addrs {
            if let Ok(net) = a.parse::<ipnet::Ipv4Net>() {
                if net.contains(&ip) && net.prefix_len() < 32 {
                    return net.trunc().to_string();
                }
            }
        }
    }
    format!("{ip}/32")
}

fn last<'a>(s: &Story<'a>, f: impl Fn(&TraceKind) -> bool) -> Option<&'a TraceEvent> {
    s.events.iter().rev().find(|e| f(&e.kind)).copied()
}

/// The hint for a dropped packet.
pub fn for_drop(trace: &Trace, s: &Story<'_>, reason: DropReason) -> Option<String> {
    match reason {
        DropReason::NetfilterDrop => netfilter(trace, s),
        DropReason::IpRpfilter => rpfilter(trace, s),
        DropReason::NeighFailed => neigh_failed(trace, s),
        DropReason::IpOutNoRoutes | DropReason::IpInNoRoutes => no_route(trace, s),
        DropReason::IpInAddrErrors => forwarding_off(trace, s),
        DropReason::IpInhdr => ttl_expired(s),
        DropReason::NoSocket => no_socket(trace, s),
        DropReason::DevReady => s.events.last().and_then(|e| e.link).map(|l| {
            let ns = trace.devs.get(&l).map_or(NsId(0), |d| d.ns);
            let d = short_name(trace, l);
            format!("the device {d} is down: `{}link set {d} up`", ip_cmd(trace, ns))
        }),
        DropReason::QdiscDrop => s.events.last().and_then(|e| e.link).map(|l| {
            format!(
                "{} has no carrier (its veth peer is down or gone): bring the peer up so the carrier comes on",
                short_name(trace, l)
            )
        }),
        _ => None,
    }
}

/// The hint for an ARP request the kernel consumed without answering.
pub fn for_ignored_arp(trace: &Trace, s: &Story<'_>) -> Option<String> {
    if last(s, |k| matches!(k, TraceKind::RpFilter { .. })).is_some() {
        let h = rpfilter(trace, s)?;
        return Some(format!(
            "{h}. (The ARP request is consumed, not dropped: the kernel records no drop reason, the sender just \
             never gets an answer and its neighbour entry goes FAILED.)"
        ));
    }
    let e = last(s, |k| matches!(k, TraceKind::Arp { .. }))?;
    let TraceKind::Arp { dev, outcome, .. } = &e.kind else { return None };
    let d = short_name(trace, *dev);
    if outcome.contains("arp_ignore") {
        return Some(format!("arp_ignore makes the host stay silent here: `sysctl -w net.ipv4.conf.all.arp_ignore=0 net.ipv4.conf.{d}.arp_ignore=0`"));
    }
    if outcome.contains("arp_filter") {
        return Some(format!(
            "arp_filter answers only when the route back leaves through {d}: add such a route or `sysctl -w net.ipv4.conf.all.arp_filter=0 net.ipv4.conf.{d}.arp_filter=0`"
        ));
    }
    None
}

/// iptables decided: name the rule or the policy, and how to accept.
fn netfilter(trace: &Trace, s: &Story<'_>) -> Option<String> {
    let e = last(s, |k| matches!(k, TraceKind::NfHook { verdict, .. } if *verdict != "ACCEPT"))?;
    let TraceKind::NfHook { ns, hook, in_dev, out_dev, tables, mark, .. } = &e.kind else { return None };
    // A mark that a `-m mark` rule looked for and missed is a common
    // surprise (kube-proxy's 0x4000 OR-ed into another mark).
    let mark_note = if *mark != 0 && tables.iter().any(|t| t.table.as_str() == "filter") {
        format!(". Note the packet's mark here is {mark:#x}: a `-m mark --mark X` rule matches only that exact value (use `--mark X/MASK` to test some bits)")
    } else {
        String::new()
    };
    let walk = tables.iter().find(|t| t.verdict != "ACCEPT")?;
    let pre = exec_prefix(trace, *ns);
    let t = if walk.table.as_str() == "filter" { String::new() } else { format!("-t {} ", walk.table.as_str()) };
    let mut devs = String::new();
    if let Some(i) = in_dev {
        devs.push_str(&format!("-i {} ", short_name(trace, *i)));
    }
    if let Some(o) = out_dev {
        devs.push_str(&format!("-o {} ", short_name(trace, *o)));
    }
    let target = format!(" -j {}", walk.verdict);
    let rule = walk.hits.iter().rev().find(|h| h.spec.ends_with(&target) || h.spec.contains(&format!("{target} ")));
    if let (None, Some((_, packets)), Hook::Forward, Some((before, after))) = (rule, walk.policy, hook, dnat(s)) {
        let proto = match s.frame.get(14 + 9) {
            Some(1) => "-p icmp ",
            Some(6) => "-p tcp ",
            Some(17) => "-p udp ",
            _ => "",
        };
        let o = out_dev.map(|o| format!("-o {} ", short_name(trace, o))).unwrap_or_default();
        return Some(format!(
            "DNAT at PREROUTING rewrote the destination {before} to {after}, so this packet is no longer for this \
             host: it is forwarded, and the FORWARD chain of the filter table in {} decides. Nothing there accepts \
             it and the policy is {} (policy counter now {packets}). A DNAT needs a FORWARD accept for the new \
             destination (Docker adds one per published port): `{pre}iptables -A FORWARD -d {after} {o}{proto}-j ACCEPT`{mark_note}",
            ns_name(trace, *ns),
            walk.policy.map_or("DROP", |p| p.0),
        ));
    }
    let mut out = match (rule, walk.policy) {
        (Some(r), _) => format!(
            "rule {} of chain {} in the {} table of {} (`{}`) matched it and said {} (its counter is now {}). \
             Delete it (`{pre}iptables {t}-D {} {}`) or insert an ACCEPT before it (`{pre}iptables {t}-I {} {}{}-j ACCEPT`)",
            r.pos,
            r.chain,
            walk.table.as_str(),
            ns_name(trace, *ns),
            r.spec,
            walk.verdict,
            r.packets,
            r.chain,
            r.pos,
            r.chain,
            if r.chain == hook.as_str() { "" } else { "1 " },
            devs
        ),
        (None, Some((policy, packets))) => format!(
            "no rule of the {} table's {} chain in {} accepted it, so the chain's policy {policy} decided \
             (policy counter now {packets}). Accept it before the policy: `{pre}iptables {t}-A {} {devs}-j ACCEPT` \
             (or open the whole chain: `{pre}iptables {t}-P {} ACCEPT`)",
            walk.table.as_str(),
            hook.as_str(),
            ns_name(trace, *ns),
            hook.as_str(),
            hook.as_str()
        ),
        (None, None) => format!("the {} table's {} chain said {}", walk.table.as_str(), hook.as_str(), walk.verdict),
    };
    out.push_str(&mark_note);
    let brnf = last(s, |k| matches!(k, TraceKind::BrNetfilter { .. }));
    if let (Some(b), true) = (brnf, matches!(hook, Hook::Prerouting | Hook::Forward | Hook::Postrouting)) {
        let TraceKind::BrNetfilter { bridge, why, .. } = &b.kind else { return Some(out) };
        let br = short_name(trace, *bridge);
        let (switch, off) = match why {
            BrNfWhy::Sysctl => (
                format!("net.bridge.bridge-nf-call-iptables=1 in {}", ns_name(trace, *ns)),
                format!("`{pre}sysctl -w net.bridge.bridge-nf-call-iptables=0`"),
            ),
            BrNfWhy::BridgeOption => (
                format!("the bridge option nf_call_iptables is on for {br}"),
                format!("`{}link set {br} type bridge nf_call_iptables 0`", ip_cmd(trace, *ns)),
            ),
        };
        out.push_str(&format!(
            ". This packet is only switched by the bridge {br} (layer 2), yet iptables sees it because \
             br_netfilter is loaded and {switch}: bridged IPv4 goes through the {} chain as if routed. \
             Turning that off also lets it through: {off}",
            hook.as_str()
        ));
    }
    Some(out)
}

/// The reverse-path filter refused the source.
fn rpfilter(trace: &Trace, s: &Story<'_>) -> Option<String> {
    let e = last(s, |k| matches!(k, TraceKind::RpFilter { .. }))?;
    let TraceKind::RpFilter { ns, dev, src, mode, route_back } = &e.kind else { return None };
    let d = short_name(trace, *dev);
    let mode_name = if *mode == 1 { "strict" } else { "loose" };
    let back = match route_back {
        Some(r) => format!("the route back to {src} is `{r}`, which does not leave through {d}"),
        None => format!("there is no route back to {src} at all"),
    };
    let net = network_of(trace, *src);
    // Loose mode (2) alone is no fix: it accepts the packet, but answers
    // still follow the route back out of the wrong device (or nowhere);
    // checked with verify on bridge-rpfilter-arp.
    Some(format!(
        "rp_filter={mode} ({mode_name}) on {d} in {}: a packet from {src} is accepted only if the reply would leave \
         through the device it came in on, and {back}. Add a route back through {d}: `{}route add {net} dev {d}` \
         (loose mode, rp_filter=2, would accept the packet, but the answer would still follow the old route back)",
        ns_name(trace, *ns),
        ip_cmd(trace, *ns),
    ))
}

/// Nobody answered ARP for the next hop.
fn neigh_failed(trace: &Trace, s: &Story<'_>) -> Option<String> {
    let e = last(s, |k| matches!(k, TraceKind::Neigh { .. }))?;
    let TraceKind::Neigh { dev, ip, .. } = &e.kind else { return None };
    let d = short_name(trace, *dev);
    // The ARP request this packet caused: if its owner heard it and chose
    // not to answer, that is the real cause.
    let child = trace.parent.iter().filter(|(_, p)| **p == s.id).map(|(c, _)| *c).find_map(|c| {
        let st = super::story(trace, c)?;
        (st.outcome.kind == super::OutcomeKind::Ignored && st.outcome.hint.is_some()).then_some(st)
    });
    if let Some(c) = child {
        return Some(format!(
            "the ARP requests for {ip} on {d} got no answer, not because nobody has {ip} but because the host \
             that has it stayed silent (packet #{}, the first ARP request, was ignored in {}): {}",
            c.id,
            c.outcome.place,
            c.outcome.hint.as_deref().unwrap_or(&c.outcome.why)
        ));
    }
    let route = last(s, |k| matches!(k, TraceKind::Route { input: false, .. }));
    if let Some(TraceKind::Route { ns, route: Some(r), dst, .. }) = route.map(|e| &e.kind) {
        if !r.contains(" via ") && dst == ip && !on_link(trace, *dev, *ip) {
            return Some(format!(
                "the route `{r}` names only a device, so the kernel treats {ip} as a neighbour on {d} and ARPs for \
                 it; nobody on that link has {ip}, three ARP requests went unanswered and the entry went FAILED. \
                 Send off-link traffic through a gateway on the link instead \
                 (`{}route replace {} via GATEWAY dev {d}`)",
                ip_cmd(trace, *ns),
                r.split(' ').next().unwrap_or("default")
            ));
        }
    }
    Some(format!(
        "three ARP requests for {ip} on {d} went unanswered and the neighbour entry went FAILED: no host with \
         {ip} is up on that link (check its address, that its device is up, and that nothing on the way drops ARP)"
    ))
}

/// Whether `ip` is inside a subnet of `dev`'s addresses.
fn on_link(trace: &Trace, dev: LinkId, ip: Ipv4Addr) -> bool {
    trace
        .devs
        .get(&dev)
        .is_some_and(|d| d.addrs.iter().any(|a| a.parse::<ipnet::Ipv4Net>().is_ok_and(|n| n.contains(&ip))))
}

/// No route: for a reply, the classic missing route back (or a router
/// that should have masqueraded).
fn no_route(trace: &Trace, s: &Story<'_>) -> Option<String> {
    let e = last(s, |k| matches!(k, TraceKind::Route { route: None, .. }))?;
    let TraceKind::Route { ns, dst, input, .. } = &e.kind else { return None };
    let net = network_of(trace, *dst);
    let ip = ip_cmd(trace, *ns);
    let reply_to = s.parent.filter(|_| !input);
    let gw = reply_to.and_then(|p| gateway_toward(trace, p, *ns));
    let via = gw.map_or_else(|| "GATEWAY".to_string(), |g| g.to_string());
    let mut out = String::new();
    if let Some(p) = reply_to {
        out.push_str(&format!(
            "this packet answers packet #{p} from {dst}, which did arrive: the way there is routed, but the way \
             back is not. "
        ));
    }
    out.push_str(&format!(
        "{} has no route to {dst} (no route in its table matches, not even a default route). Add one: \
         `{ip}route add {net} via {via}`",
        ns_name(trace, *ns)
    ));
    if gw.is_some() {
        out.push_str(" (through the router that delivered the request)");
    }
    if let Some(m) = reply_to.and_then(|p| masquerade_hint(trace, p, &net)) {
        out.push_str(". ");
        out.push_str(&m);
    }
    Some(out)
}

/// The address of the device that handed packet `p` into namespace `ns`
/// (the previous hop), for a route back through it.
fn gateway_toward(trace: &Trace, p: u32, ns: NsId) -> Option<Ipv4Addr> {
    let e = trace.events.iter().find(|e| {
        e.pkt == p
            && matches!(&e.kind, TraceKind::VethXmit { peer } if trace.devs.get(peer).is_some_and(|d| d.ns == ns))
    })?;
    let d = trace.devs.get(&e.link?)?;
    d.addrs.first().and_then(|a| a.split('/').next()).and_then(|a| a.parse().ok())
}

/// Forwarding is off.
fn forwarding_off(trace: &Trace, s: &Story<'_>) -> Option<String> {
    let e = last(s, |k| matches!(k, TraceKind::ForwardingOff { .. }))?;
    let TraceKind::ForwardingOff { ns, dev, .. } = &e.kind else { return None };
    Some(format!(
        "{} would have to forward this packet (it is not addressed to one of its own addresses), but IP forwarding \
         is off there (net.ipv4.conf.{}.forwarding=0): `{}sysctl -w net.ipv4.ip_forward=1`",
        ns_name(trace, *ns),
        short_name(trace, *dev),
        exec_prefix(trace, *ns)
    ))
}

/// The TTL ran out at a router.
fn ttl_expired(s: &Story<'_>) -> Option<String> {
    let TraceKind::Drop { why, .. } = &last(s, |k| matches!(k, TraceKind::Drop { .. }))?.kind else { return None };
    if !why.contains("TTL") {
        return None;
    }
    // The TTL it arrived with, from the last frame received.
    let ttl = s.events.iter().rev().find_map(|e| match &e.kind {
        TraceKind::Rx { frame } if frame.len() > 22 && frame[12..14] == [8, 0] => Some(frame[22]),
        _ => None,
    });
    Some(format!(
        "the packet reached this router with TTL {}, and a router must decrement the TTL before forwarding, so it \
         dropped it (and answered with an ICMP time exceeded). The sender's TTL is too small for the path: send \
         with a TTL larger than the number of routers on the way (ping -t N)",
        ttl.map_or_else(|| "1".to_string(), |t| t.to_string())
    ))
}

/// For a reply with no route back: when a router forwarded the request
/// without NAT, masquerading there is the other fix (the reply then comes
/// back to the router's own address, which the far side can reach).
fn masquerade_hint(trace: &Trace, p: u32, net: &str) -> Option<String> {
    let events: Vec<&TraceEvent> = trace.events.iter().filter(|e| e.pkt == p).collect();
    if events.iter().any(|e| matches!(e.kind, TraceKind::Nat { .. })) {
        return None;
    }
    let fwd = events.iter().rposition(|e| matches!(e.kind, TraceKind::Route { input: true, result: "forward", .. }))?;
    let TraceKind::Route { ns, .. } = &events[fwd].kind else { return None };
    let out = events[fwd..].iter().find_map(|e| match (&e.kind, e.link) {
        (TraceKind::Tx { .. }, Some(l)) if trace.devs.get(&l).is_some_and(|d| d.ns == *ns) => Some(l),
        _ => None,
    })?;
    let o = short_name(trace, out);
    Some(format!(
        "Or, if {} should hide {net} behind its own address (as Docker does for its containers), masquerade \
         there: `{}iptables -t nat -A POSTROUTING -s {net} -o {o} -j MASQUERADE`",
        ns_name(trace, *ns),
        exec_prefix(trace, *ns)
    ))
}

/// The destination a PREROUTING/OUTPUT NAT step rewrote, as (before, after)
/// addresses, when one did.
fn dnat(s: &Story<'_>) -> Option<(String, String)> {
    let dst = |t: &str| t.split(" > ").nth(1).and_then(|d| d.split([':', ' ']).next()).map(str::to_string);
    s.events.iter().rev().find_map(|e| match &e.kind {
        TraceKind::Nat { hook: Hook::Prerouting | Hook::Output, before, after, .. } => {
            let (b, a) = (dst(before)?, dst(after)?);
            (b != a).then_some((b, a))
        }
        _ => None,
    })
}

/// Nothing listens where the segment or datagram was sent.
fn no_socket(trace: &Trace, s: &Story<'_>) -> Option<String> {
    let e = last(s, |k| matches!(k, TraceKind::Drop { .. }))?;
    let ns = e.link.and_then(|l| trace.devs.get(&l)).map(|d| d.ns)?;
    // The frame as received there.
    let frame = s.events.iter().rev().find_map(|e| match &e.kind {
        TraceKind::Rx { frame } if frame.len() > 14 + 20 => Some(frame),
        _ => None,
    })?;
    let p = &frame[14..];
    let ihl = usize::from(p[0] & 0xf) * 4;
    let l4 = p.get(ihl..ihl + 4)?;
    let dport = u16::from_be_bytes([l4[2], l4[3]]);
    let dst = std::net::Ipv4Addr::new(p[16], p[17], p[18], p[19]);
    let (proto, answer, listen) = match p[9] {
        6 => ("TCP", "answered with a reset (connection refused)", format!("nc -l -p {dport}")),
        _ => ("UDP", "answered with ICMP port unreachable", format!("nc -u -l -p {dport}")),
    };
    Some(format!(
        "no {proto} socket in {} is bound to {dst}:{dport}, so the kernel {answer}. Start a listener there \
         first (`{}{listen} &`), or send to the port something listens on",
        ns_name(trace, ns),
        exec_prefix(trace, ns)
    ))
}
