//! Exports for teaching material: the topology a script built (namespaces,
//! devices with their addresses, veth pairs, bridge ports) as a petgraph
//! graph rendered to Graphviz DOT or a Mermaid flowchart, and one packet's
//! path as a Mermaid sequence diagram (namespaces as participants, each
//! hand-off an arrow, each decision a note).
//!
//! Not here: layout (left to Graphviz/Mermaid), loopback devices (left out
//! of the topology: they connect nothing).

use crate::explain::{dev_name, text, OutcomeKind, Story};
use crate::model::{LinkId, LinkKind, World};
use crate::trace::{Trace, TraceKind};
use petgraph::graph::{NodeIndex, UnGraph};
/// Re-exported so callers can walk a node's edges without depending on petgraph.
pub use petgraph::visit::EdgeRef;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A device in the topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Namespace name (`root` for the initial one).
    pub ns: String,
    /// Device name.
    pub name: String,
    /// `veth` or `bridge`.
    pub kind: &'static str,
    /// IPv4 addresses as `ADDR/PREFIX`.
    pub addrs: Vec<String>,
    /// Administratively up.
    pub up: bool,
}

/// A connection between two devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// The two ends of a veth pair.
    Veth,
    /// A bridge and one of its ports.
    Port,
}

/// The topology of `w` as an undirected graph, nodes in link-id order.
pub fn topology(w: &World) -> UnGraph<Node, Edge> {
    let mut g = UnGraph::new_undirected();
    let mut idx: BTreeMap<LinkId, NodeIndex> = BTreeMap::new();
    for l in w.links.iter().flatten() {
        let kind = match l.kind {
            LinkKind::Veth { .. } => "veth",
            LinkKind::Bridge(_) => "bridge",
            LinkKind::Loopback => continue,
        };
        let ns = w
            .ns_name(l.ns)
            .map_or_else(|| if l.ns.0 == 0 { "root".into() } else { format!("netns{}", l.ns.0) }, str::to_string);
        let addrs = l.addrs.iter().map(|a| format!("{}/{}", a.addr, a.prefix_len)).collect();
        let n = g.add_node(Node { ns, name: l.name.clone(), kind, addrs, up: l.admin_up });
        idx.insert(l.id, n);
    }
    for l in w.links.iter().flatten() {
        let Some(&a) = idx.get(&l.id) else { continue };
        if let LinkKind::Veth { peer: Some(p) } = l.kind {
            if p > l.id {
                if let Some(&b) = idx.get(&p) {
                    g.add_edge(a, b, Edge::Veth);
                }
            }
        }
        if let Some(&m) = l.master.as_ref().and_then(|m| idx.get(m)) {
            g.add_edge(m, a, Edge::Port);
        }
    }
    g
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn ns_groups(g: &UnGraph<Node, Edge>) -> BTreeMap<&str, Vec<NodeIndex>> {
    let mut by_ns: BTreeMap<&str, Vec<NodeIndex>> = BTreeMap::new();
    for i in g.node_indices() {
        by_ns.entry(g[i].ns.as_str()).or_default().push(i);
    }
    by_ns
}

/// A node's label lines: name, addresses, `(down)`.
fn label_lines(n: &Node) -> Vec<String> {
    let mut v = vec![n.name.clone()];
    v.extend(n.addrs.iter().cloned());
    if !n.up {
        v.push("(down)".into());
    }
    v
}

/// Graphviz DOT: one cluster per namespace, veth pairs solid, bridge ports
/// dashed.
pub fn dot(g: &UnGraph<Node, Edge>) -> String {
    let mut out = String::from("graph netsim {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
    for (k, (ns, nodes)) in ns_groups(g).iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{k} {{\n    label=\"{}\";", quote(ns));
        for i in nodes {
            let n = &g[*i];
            let label: Vec<String> = label_lines(n).iter().map(|l| quote(l)).collect();
            let shape = if n.kind == "bridge" { "box" } else { "ellipse" };
            let _ = writeln!(out, "    n{} [label=\"{}\", shape={shape}];", i.index(), label.join("\\n"));
        }
        out.push_str("  }\n");
    }
    for e in g.edge_indices() {
        let (a, b) = g.edge_endpoints(e).expect("an edge has endpoints");
        let style = match g[e] {
            Edge::Veth => "[label=\"veth\"]",
            Edge::Port => "[label=\"port\", style=dashed]",
        };
        let _ = writeln!(out, "  n{} -- n{} {style};", a.index(), b.index());
    }
    out.push_str("}\n");
    out
}

/// Mermaid flowchart: one subgraph per namespace, veth pairs `---`,
/// bridge ports `-.-`.
pub fn mermaid(g: &UnGraph<Node, Edge>) -> String {
    let mut out = String::from("flowchart LR\n");
    for (k, (ns, nodes)) in ns_groups(g).iter().enumerate() {
        let _ = writeln!(out, "  subgraph ns{k}[\"{}\"]", ns.replace('"', "#quot;"));
        for i in nodes {
            let n = &g[*i];
            let label = label_lines(n).join("<br/>").replace('"', "#quot;");
            let (open, close) = if n.kind == "bridge" { ("[", "]") } else { ("([", "])") };
            let _ = writeln!(out, "    n{}{open}\"{label}\"{close}", i.index());
        }
        out.push_str("  end\n");
    }
    for e in g.edge_indices() {
        let (a, b) = g.edge_endpoints(e).expect("an edge has endpoints");
        let link = match g[e] {
            Edge::Veth => "---|veth|",
            Edge::Port => "-.-|port|",
        };
        let _ = writeln!(out, "  n{} {link} n{}", a.index(), b.index());
    }
    out
}

/// A Mermaid sequence diagram of one packet's path: each namespace it
/// visits is a participant, each veth hand-off an arrow, each decision a
/// note, the outcome the last note.
pub fn sequence(trace: &Trace, s: &Story<'_>) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let mut participants: Vec<String> = Vec::new();
    let ns_of = |l: LinkId| trace.devs.get(&l).map(|d| d.ns_name.clone()).unwrap_or_default();
    let places = crate::explain::places(trace, &s.events);
    for p in &places {
        let ns = p.split('/').next().unwrap_or_default().to_string();
        if !ns.is_empty() && !participants.contains(&ns) {
            participants.push(ns);
        }
    }
    for p in &participants {
        let _ = writeln!(out, "  participant {}", mermaid_id(p));
    }
    let first = mermaid_id(participants.first().map_or("host", String::as_str));
    let _ = writeln!(out, "  Note over {first}: packet {}: {}", s.id, mermaid_text(&text::summary(s.frame)));
    for (ev, place) in s.events.iter().zip(&places) {
        let ns = place.split('/').next().unwrap_or_default();
        if ns.is_empty() {
            continue;
        }
        match &ev.kind {
            TraceKind::VethXmit { peer } => {
                let from = ev.link.map(|l| dev_name(trace, l)).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {}->>{}: {} to {}",
                    mermaid_id(ns),
                    mermaid_id(&ns_of(*peer)),
                    mermaid_text(&from),
                    mermaid_text(&dev_name(trace, *peer))
                );
            }
            // The outcome note says how it ended.
            TraceKind::Tx { .. } | TraceKind::Rx { .. } | TraceKind::Origin { .. } | TraceKind::Drop { .. } => {}
            _ => {
                if let Some(t) = text::step(trace, ev) {
                    let first = t.lines().next().unwrap_or_default();
                    let _ = writeln!(out, "  Note over {}: {}", mermaid_id(ns), mermaid_text(first));
                }
            }
        }
    }
    let end = match &s.outcome.kind {
        OutcomeKind::Delivered => format!("delivered: {}", s.outcome.why),
        OutcomeKind::Dropped(r) => format!("DROPPED {} ({})", r.as_str(), s.outcome.why),
        OutcomeKind::Ignored => format!("no answer: {}", s.outcome.why),
        OutcomeKind::NoFurther => s.outcome.why.clone(),
    };
    let last = s.outcome.place.split('/').next().filter(|n| !n.is_empty()).map_or(first, mermaid_id);
    let _ = writeln!(out, "  Note over {last}: {}", mermaid_text(&end));
    out
}

/// A participant id Mermaid accepts (letters, digits, `_`).
fn mermaid_id(ns: &str) -> String {
    ns.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// Text safe in a Mermaid message (no `;`, `#` or newline).
fn mermaid_text(s: &str) -> String {
    s.replace(';', ",").replace('#', "no. ").replace('\n', " ")
}
