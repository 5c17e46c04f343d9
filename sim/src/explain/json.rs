//! `netsim explain --json`: the stories as one JSON document.
//!
//! # Schema `netsim-explain/1` (stable: fields are only ever added)
//!
//! ```text
//! {
//!   "schema": "netsim-explain/1",
//!   "profile": "host profile summary", "seed": 0,
//!   "packets": [ {
//!     "id": 5,                      // packet number, in order of birth
//!     "parent": 4 | null,           // the packet it was born while processing
//!     "time_ns": 1000000000,        // first event, virtual time
//!     "origin": "ctr2" | "ns/dev",  // where it was built
//!     "by": "icmp echo request (ping)",
//!     "summary": "IP 172.16.100.102 > 172.16.100.101: ICMP echo request, ...",
//!     "outcome": {
//!       "kind": "delivered" | "dropped" | "ignored" | "no_further",
//!       "reason": "NETFILTER_DROP" | null,   // the kernel's drop reason name
//!       "at": {"ns": "root", "dev": "br-0", "ifindex": 3} | null,
//!       "place": "root/br-0" | "right",     // ns/dev, or the namespace
//!       "why": "text", "hint": "text" | null
//!     },
//!     "steps": [ {
//!       "time_ns": 1000001000,
//!       "at": {"ns": ..., "dev": ..., "ifindex": ...} | null,
//!       "ns": "root",               // namespace of the step (also when no device)
//!       "kind": "origin" | "tx" | "rx" | "veth_xmit" | "fdb_learn" | "fdb_hit" | "fdb_local"
//!             | "flood" | "pass_up" | "br_netfilter" | "nf_hook" | "route" | "rp_filter"
//!             | "forwarding_off" | "neigh" | "arp" | "deliver" | "drop" | "conntrack" | "nat",
//!       "text": "the sentence netsim explain prints (null when the text omits the step)",
//!       "evidence": { kind-specific fields, listed in `evidence` below }
//!     } ]
//!   } ]
//! }
//! ```
//!
//! Devices in evidence are `{"ns","dev","ifindex"}` objects; MACs and IPs
//! are strings. `nf_hook` evidence: `hook`, `in`, `out`, `verdict`, `mark`
//! (the packet's mark after the hook, a number),
//! `tables: [{table, verdict, policy: {policy, packets} | null,
//! matched: [{chain, pos, rule, packets, bytes}]}]` where `rule` is the
//! rule as `iptables -S` prints it.

use super::{places, text, OutcomeKind, Story};
use crate::model::LinkId;
use crate::trace::{BrNfWhy, FloodWhy, Trace, TraceEvent, TraceKind};
use serde_json::{json, Value};

/// The schema name written in every document.
pub const SCHEMA: &str = "netsim-explain/1";

fn dev(trace: &Trace, l: LinkId) -> Value {
    match trace.devs.get(&l) {
        Some(d) => json!({"ns": d.ns_name, "dev": d.name, "ifindex": d.ifindex}),
        None => Value::Null,
    }
}

fn opt_dev(trace: &Trace, l: Option<LinkId>) -> Value {
    l.map_or(Value::Null, |l| dev(trace, l))
}

/// The kind name and evidence object of one event.
pub fn evidence(trace: &Trace, ev: &TraceEvent) -> (&'static str, Value) {
    match &ev.kind {
        TraceKind::Origin { by, frame, .. } => ("origin", json!({"by": by, "len": frame.len()})),
        TraceKind::Tx { frame } => ("tx", json!({"len": frame.len()})),
        TraceKind::Rx { frame } => ("rx", json!({"len": frame.len()})),
        TraceKind::VethXmit { peer } => ("veth_xmit", json!({"peer": dev(trace, *peer)})),
        TraceKind::FdbLearn { bridge, mac, port, moved_from } => (
            "fdb_learn",
            json!({"bridge": dev(trace, *bridge), "mac": mac.to_string(), "port": dev(trace, *port),
                   "moved_from": opt_dev(trace, *moved_from)}),
        ),
        TraceKind::FdbHit { bridge, mac, port, age_s } => (
            "fdb_hit",
            json!({"bridge": dev(trace, *bridge), "mac": mac.to_string(), "port": dev(trace, *port), "age_s": age_s}),
        ),
        TraceKind::FdbLocal { bridge, mac } => {
            ("fdb_local", json!({"bridge": dev(trace, *bridge), "mac": mac.to_string()}))
        }
        TraceKind::Flood { bridge, why, ports } => {
            let why = match why {
                FloodWhy::Broadcast => "broadcast",
                FloodWhy::Multicast => "multicast",
                FloodWhy::UnknownUnicast => "unknown_unicast",
            };
            let ports: Vec<Value> = ports.iter().map(|p| dev(trace, *p)).collect();
            ("flood", json!({"bridge": dev(trace, *bridge), "why": why, "ports": ports}))
        }
        TraceKind::PassUp { bridge } => ("pass_up", json!({"bridge": dev(trace, *bridge)})),
        TraceKind::BrNetfilter { bridge, hook, why } => {
            let why = match why {
                BrNfWhy::Sysctl => "net.bridge.bridge-nf-call-iptables=1",
                BrNfWhy::BridgeOption => "bridge option nf_call_iptables=1",
            };
            ("br_netfilter", json!({"bridge": dev(trace, *bridge), "hook": hook.as_str(), "why": why}))
        }
        TraceKind::NftVerdict { hook, table, chain, rule, verdict, .. } => (
            "nft_verdict",
            json!({"hook": hook.as_str(), "table": table, "chain": chain, "rule": rule, "verdict": verdict}),
        ),
        TraceKind::NfHook { hook, in_dev, out_dev, tables, verdict, mark, .. } => {
            let tables: Vec<Value> = tables
                .iter()
                .map(|t| {
                    let matched: Vec<Value> = t
                        .hits
                        .iter()
                        .map(|h| json!({"chain": h.chain, "pos": h.pos, "rule": h.spec, "packets": h.packets, "bytes": h.bytes}))
                        .collect();
                    let policy = t.policy.map_or(Value::Null, |(p, n)| json!({"policy": p, "packets": n}));
                    json!({"table": t.table.as_str(), "verdict": t.verdict, "policy": policy, "matched": matched})
                })
                .collect();
            (
                "nf_hook",
                json!({"hook": hook.as_str(), "in": opt_dev(trace, *in_dev), "out": opt_dev(trace, *out_dev),
                       "verdict": verdict, "mark": mark, "tables": tables}),
            )
        }
        TraceKind::Conntrack { state, entry, .. } => ("conntrack", json!({"state": state, "entry": entry})),
        TraceKind::Nat { hook, before, after, .. } => {
            ("nat", json!({"hook": hook.as_str(), "before": before, "after": after}))
        }
        TraceKind::Route { input, dst, route, result, .. } => (
            "route",
            json!({"direction": if *input { "input" } else { "output" }, "dst": dst.to_string(), "route": route,
                   "result": result}),
        ),
        TraceKind::RpFilter { dev: d, src, mode, route_back, .. } => (
            "rp_filter",
            json!({"dev": dev(trace, *d), "src": src.to_string(), "rp_filter": mode, "route_back": route_back}),
        ),
        TraceKind::ForwardingOff { dev: d, .. } => ("forwarding_off", json!({"dev": dev(trace, *d)})),
        TraceKind::Neigh { dev: d, ip, state, lladdr, action } => (
            "neigh",
            json!({"dev": dev(trace, *d), "ip": ip.to_string(), "state": state,
                   "lladdr": lladdr.map(|m| m.to_string()), "action": action}),
        ),
        TraceKind::Arp { dev: d, op, sip, tip, outcome } => (
            "arp",
            json!({"dev": dev(trace, *d), "op": op, "sip": sip.to_string(), "tip": tip.to_string(), "outcome": outcome}),
        ),
        TraceKind::Deliver { what } => ("deliver", json!({"what": what})),
        TraceKind::Drop { reason, why } => ("drop", json!({"reason": reason.as_str(), "why": why})),
    }
}

/// One story as JSON.
pub fn story(trace: &Trace, s: &Story<'_>) -> Value {
    let steps: Vec<Value> = s
        .events
        .iter()
        .zip(places(trace, &s.events))
        .map(|(ev, p)| {
            let (kind, evidence) = evidence(trace, ev);
            let ns = p.split('/').next().unwrap_or_default().to_string();
            json!({"time_ns": ev.time, "at": opt_dev(trace, ev.link), "ns": ns, "kind": kind,
                   "text": text::step(trace, ev), "evidence": evidence})
        })
        .collect();
    let (kind, reason) = match &s.outcome.kind {
        OutcomeKind::Delivered => ("delivered", None),
        OutcomeKind::Dropped(r) => ("dropped", Some(r.as_str())),
        OutcomeKind::Ignored => ("ignored", None),
        OutcomeKind::NoFurther => ("no_further", None),
    };
    json!({
        "id": s.id, "parent": s.parent, "time_ns": s.time, "origin": s.origin, "by": s.by,
        "summary": text::summary(s.frame),
        "outcome": {"kind": kind, "reason": reason, "at": opt_dev(trace, s.outcome.at), "place": s.outcome.place,
                    "why": s.outcome.why,
                    "hint": s.outcome.hint},
        "steps": steps,
    })
}

/// The whole document.
pub fn render(trace: &Trace, stories: &[Story<'_>], profile: &str, seed: u64) -> String {
    let packets: Vec<Value> = stories.iter().map(|s| story(trace, s)).collect();
    let doc = json!({"schema": SCHEMA, "profile": profile, "seed": seed, "packets": packets});
    let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value always serialises");
    s.push('\n');
    s
}
