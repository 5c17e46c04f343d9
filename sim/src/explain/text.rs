//! The human form of a story: one line per step (time, where, what and
//! the evidence), then the outcome, why, and the hint. Written for someone
//! who has never met br_netfilter or rp_filter: every decision says which
//! switch made it.
//!
//! Steps that carry no decision (a hook with no iptables table loaded) are
//! left out of the text; the JSON keeps them.

use super::{dev_name, places, short_name, OutcomeKind, Story};
use crate::render::tcpdump::{format_frame, TcpdumpOpts, TsFormat};
use crate::trace::{BrNfWhy, FloodWhy, Trace, TraceEvent, TraceKind};
use std::fmt::Write;

/// tcpdump's one-line summary of a frame (`-n -t`, no link header).
pub fn summary(frame: &[u8]) -> String {
    let opts = TcpdumpOpts { timestamp: TsFormat::None, ..TcpdumpOpts::default() };
    let mut s = String::new();
    format_frame(&mut s, 0, frame, &opts);
    s.trim_end().to_string()
}

/// Virtual time as `S.uuuuuu` seconds.
pub fn secs(ns: u64) -> String {
    format!("{}.{:06}", ns / 1_000_000_000, (ns / 1_000) % 1_000_000)
}

/// The sentence for one step, or `None` for a step the text leaves out.
pub fn step(trace: &Trace, ev: &TraceEvent) -> Option<String> {
    let d = |l| short_name(trace, l);
    Some(match &ev.kind {
        TraceKind::Origin { by, .. } => format!("built: {by}"),
        TraceKind::Tx { frame } => format!("transmit ({} bytes)", frame.len()),
        TraceKind::Rx { frame } => format!("receive ({} bytes)", frame.len()),
        TraceKind::VethXmit { peer } => format!("veth: handed straight to its peer {}", dev_name(trace, *peer)),
        TraceKind::FdbLearn { mac, port, moved_from: None, .. } => {
            format!("bridge learns {mac} is behind port {}", d(*port))
        }
        TraceKind::FdbLearn { mac, port, moved_from: Some(old), .. } => {
            format!("bridge learns {mac} moved from port {} to {}", d(*old), d(*port))
        }
        TraceKind::FdbHit { mac, port, age_s, .. } => {
            format!("FDB lookup {mac}: on port {} (learned {age_s} s ago), forward there only", d(*port))
        }
        TraceKind::FdbLocal { mac, .. } => format!("FDB lookup {mac}: the bridge's own address, deliver locally"),
        TraceKind::Flood { why, ports, .. } => {
            let why = match why {
                FloodWhy::Broadcast => "broadcast",
                FloodWhy::Multicast => "multicast",
                FloodWhy::UnknownUnicast => "destination MAC not in the FDB",
            };
            let to: Vec<String> = ports.iter().map(|p| d(*p)).collect();
            if to.is_empty() {
                format!("flood ({why}): no other port to send to")
            } else {
                format!("flood ({why}): a copy to {}", to.join(", "))
            }
        }
        TraceKind::PassUp { bridge } => format!("bridge passes the frame up to {} itself (local delivery)", d(*bridge)),
        TraceKind::BrNetfilter { hook, why, bridge } => {
            let why = match why {
                BrNfWhy::Sysctl => "net.bridge.bridge-nf-call-iptables=1".to_string(),
                BrNfWhy::BridgeOption => format!("{} has nf_call_iptables on", d(*bridge)),
            };
            format!("br_netfilter: this bridged IPv4 frame goes through iptables {} because {why}", hook.as_str())
        }
        TraceKind::NftVerdict { hook, table, chain, rule, verdict, .. } => match rule {
            Some(r) => format!("nft {} (table {table}): {verdict} by rule `{r}` of chain {chain}", hook.as_str()),
            None => format!("nft {} (table {table}): {verdict} by the policy of chain {chain}", hook.as_str()),
        },
        TraceKind::NfHook { hook, in_dev, out_dev, tables, verdict, mark, .. } => {
            if tables.is_empty() {
                return None;
            }
            let mut s = format!("iptables {}", hook.as_str());
            let mut io = Vec::new();
            if let Some(i) = in_dev {
                io.push(format!("-i {}", d(*i)));
            }
            if let Some(o) = out_dev {
                io.push(format!("-o {}", d(*o)));
            }
            if *mark != 0 {
                io.push(format!("mark {mark:#x}"));
            }
            if !io.is_empty() {
                let _ = write!(s, " ({})", io.join(" "));
            }
            let _ = write!(s, ": {verdict}");
            for t in tables {
                let _ = write!(s, "\n      table {}:", t.table.as_str());
                if t.hits.is_empty() && t.policy.is_none() {
                    let _ = write!(s, " no rule matched");
                }
                for h in &t.hits {
                    let _ = write!(
                        s,
                        "\n        matched rule {} `{}` [{} pkts, {} bytes]",
                        h.pos, h.spec, h.packets, h.bytes
                    );
                }
                if let Some((p, n)) = t.policy {
                    let _ = write!(s, "\n        no rule decided: chain policy {p} [{n} pkts]");
                }
            }
            s
        }
        TraceKind::Conntrack { state, entry, .. } => match entry {
            Some(e) => format!("conntrack: {state}, entry `{e}`"),
            None => format!("conntrack: {state} (no connection: not tracked)"),
        },
        TraceKind::Nat { hook, before, after, .. } => {
            format!("NAT at {}: {before} rewritten to {after}", hook.as_str())
        }
        TraceKind::Route { dst, route, result, input, .. } => {
            let dir = if *input { "input route" } else { "output route" };
            match route {
                Some(r) => format!("{dir} to {dst}: `{r}` ({result})"),
                None => format!("{dir} to {dst}: no route matches"),
            }
        }
        TraceKind::RpFilter { dev, src, mode, route_back, .. } => {
            let back = route_back.as_ref().map_or_else(|| "none".to_string(), |r| format!("`{r}`"));
            format!(
                "reverse-path check fails: rp_filter={mode}, the route back to {src} is {back}, not through {}",
                d(*dev)
            )
        }
        TraceKind::ForwardingOff { dev, .. } => {
            format!("not for this host, and forwarding is off (net.ipv4.conf.{}.forwarding=0)", d(*dev))
        }
        TraceKind::Neigh { ip, state, lladdr, action, .. } => match (action, lladdr) {
            (&"send", Some(mac)) => format!("neighbour {ip}: {state} at {mac}, send"),
            (&"queue", _) => format!("neighbour {ip}: {state}, queued until ARP answers"),
            (&"failed", _) => format!("neighbour {ip}: no ARP answer, FAILED"),
            _ => format!("neighbour {ip}: {state}, queued; ARP request sent"),
        },
        TraceKind::Arp { op: "request", sip, tip, outcome, .. } => {
            format!("ARP request who-has {tip} tell {sip}: {outcome}")
        }
        TraceKind::Arp { sip, tip, outcome, .. } => format!("ARP reply from {sip} to {tip}: {outcome}"),
        TraceKind::Deliver { what } => format!("delivered: {what}"),
        TraceKind::Drop { reason, why } => format!("DROPPED: {} ({why})", reason.as_str()),
    })
}

/// Renders one story.
pub fn story(trace: &Trace, s: &Story<'_>) -> String {
    let mut out = String::new();
    let _ = write!(out, "packet #{} at {}s, from {}", s.id, secs(s.time), s.origin);
    if let Some(p) = s.parent {
        let _ = write!(out, " (caused by packet #{p})");
    }
    let _ = writeln!(out, ": {}", summary(s.frame));
    for (ev, place) in s.events.iter().zip(places(trace, &s.events)) {
        if let Some(text) = step(trace, ev) {
            let _ = writeln!(out, "  {:>10}  {place:<18} {text}", secs(ev.time));
        }
    }
    let at = if s.outcome.place.is_empty() { String::new() } else { format!(" in {}", s.outcome.place) };
    match &s.outcome.kind {
        OutcomeKind::Delivered => {
            let _ = writeln!(out, "  => delivered{at}: {}", s.outcome.why);
        }
        OutcomeKind::Dropped(r) => {
            let _ = writeln!(out, "  => dropped{at}: drop reason {} ({})", r.as_str(), s.outcome.why);
        }
        OutcomeKind::Ignored => {
            let _ = writeln!(out, "  => no answer{at}: {}", s.outcome.why);
        }
        OutcomeKind::NoFurther => {
            let _ = writeln!(out, "  => {}", s.outcome.why);
        }
    }
    if let Some(h) = &s.outcome.hint {
        let _ = writeln!(out, "  hint: {h}");
    }
    out
}

/// Every story, separated by blank lines, under a header naming the host
/// profile and seed.
pub fn render(trace: &Trace, stories: &[Story<'_>], header: &str) -> String {
    let mut out = format!("{header}\n");
    for s in stories {
        out.push('\n');
        out.push_str(&story(trace, s));
    }
    out
}
